// Hostile input on the API server: bodies above kube-apiserver's limit get a 413 Status without being
// buffered, namespace and name path segments are validated (no `..` into another scope), connections
// are capped and slow clients cut, while quiet watches, log streams and exec sessions keep working.

import { request } from 'node:https';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { type Exchange, exchangeSlowBody } from '../support/slow-body.ts';
import { adminToken, callApi, clients, waitForPhase } from './helpers.ts';

const MiB = 1024 * 1024;
let sim: StartedKubeSim;

beforeAll(async () => {
  // Small timeouts, so that the tests see them act; the exempt streams must outlive the idle one.
  sim = await startKubeSim({
    clusterName: 'limits',
    headersTimeoutMs: 300,
    requestTimeoutMs: 5000,
    idleTimeoutMs: 600,
  });
  const { core } = clients(sim);
  await core.createNamespace({ body: { metadata: { name: 'lim' } } });
  await core.createNamespacedPod({
    namespace: 'lim',
    body: {
      metadata: { name: 'quiet' },
      spec: { containers: [{ name: 'c', image: 'x', command: ['sleep', '3600'] }] },
    },
  });
  await waitForPhase(core, 'lim', 'quiet', ['Running']);
});

afterAll(async () => {
  await sim?.close();
});

function tls(target: StartedKubeSim): Promise<TLSSocket> {
  const { hostname, port } = new URL(target.apiServerUrl);
  return new Promise((resolve, reject) => {
    const socket = connectTls(
      { host: hostname, port: Number(port), ca: target.caCertPem, servername: 'localhost' },
      () => resolve(socket),
    );
    socket.on('error', reject);
  });
}

function tcp(target: StartedKubeSim): Promise<Socket> {
  const { hostname, port } = new URL(target.apiServerUrl);
  return new Promise((resolve, reject) => {
    const socket = connectTcp(Number(port), hostname, () => resolve(socket));
    socket.on('error', reject);
  });
}

/** Resolves when the socket closes (true) or after `ms` (false), with what the server sent. */
function closedWithin(socket: Socket, ms: number): Promise<{ closed: boolean; data: string }> {
  return new Promise((resolve) => {
    let data = '';
    socket.on('data', (chunk) => {
      data += chunk.toString();
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => resolve({ closed: false, data }), ms);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve({ closed: true, data });
    });
  });
}

/** Sends `head`, then body pieces of 64 KiB until the server answers; what it answered and when. */
async function exchange(head: string, bodyBytes: number, chunked = false): Promise<Exchange> {
  return exchangeSlowBody(await tls(sim), head, bodyBytes, { chunked });
}

const requestHead = (method: string, path: string, headers: Record<string, string>) =>
  `${[`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', `Authorization: Bearer ${adminToken(sim)}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)].join('\r\n')}\r\n\r\n`;

/** A request with exactly this path on the request line (a URL object would resolve `%2e%2e` first). */
function rawCall(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: () => Record<string, unknown> }> {
  const { hostname, port } = new URL(sim.apiServerUrl);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        method,
        path,
        ca: sim.caCertPem,
        headers: {
          Authorization: `Bearer ${adminToken(sim)}`,
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          // A watch answers with a stream: its first line is enough.
          if (res.headers['transfer-encoding'] === 'chunked' && text.includes('\n')) res.destroy();
        });
        res.on('close', () =>
          resolve({ status: res.statusCode ?? 0, json: () => JSON.parse(text.split('\n')[0]) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function statusOf(reply: string): Record<string, unknown> {
  return JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4));
}

describe('request bodies', () => {
  it('answers a 4 MB body announced by Content-Length with a 413 Status, before it is sent', async () => {
    const result = await exchange(
      requestHead('POST', '/api/v1/namespaces/lim/configmaps', {
        'Content-Type': 'application/json',
        'Content-Length': String(4 * MiB),
      }),
      4 * MiB,
    );
    expect(result.reply).toMatch(/^HTTP\/1.1 413 /);
    expect(result.reply).toContain('Connection: close');
    expect(statusOf(result.reply)).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Request entity too large: limit is 3145728',
      reason: 'RequestEntityTooLarge',
      code: 413,
    });
    expect(result.sentWhenAnswered).toBeLessThanOrEqual(256 * 1024);
    expect(result.closed).toBe(true);
  });

  it('stops reading a chunked body at 3 MiB with the same Status (no TLS reset)', async () => {
    const result = await exchange(
      requestHead('POST', '/api/v1/namespaces/lim/configmaps', {
        'Content-Type': 'application/json',
        'Transfer-Encoding': 'chunked',
      }),
      64 * MiB,
      true,
    );
    expect(result.reply).toMatch(/^HTTP\/1.1 413 /);
    expect(statusOf(result.reply)).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    expect(result.sentWhenAnswered).toBeGreaterThan(3 * MiB);
    expect(result.sentWhenAnswered).toBeLessThan(8 * MiB);
  });

  it('accepts a body just under the limit', async () => {
    const object = JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'padded' } });
    const body = `${object.slice(0, -1)}${' '.repeat(2 * MiB)}}`;
    const created = await callApi(sim, 'POST', '/api/v1/namespaces/lim/configmaps', { body });
    expect(created.status).toBe(201);
  });

  it('takes the limit as an option', async () => {
    const small = await startKubeSim({ clusterName: 'small-bodies', maxRequestBodyBytes: 1024 });
    try {
      const body = JSON.stringify({ metadata: { name: 'big', annotations: { a: 'x'.repeat(2000) } } });
      const refused = await callApi(small, 'POST', '/api/v1/namespaces/default/configmaps', { body });
      expect([refused.status, refused.json().message]).toEqual([
        413,
        'Request entity too large: limit is 1024',
      ]);
    } finally {
      await small.close();
    }
  });
});

describe('path segments', () => {
  const badRequest = (message: string) => ({
    kind: 'Status',
    status: 'Failure',
    reason: 'BadRequest',
    code: 400,
    message,
  });
  const dotDot = 'Namespace parameter invalid: "..": may not be \'..\'';

  it('never lets %2e%2e or .. reach the cluster-wide pod list', async () => {
    for (const path of [
      '/api/v1/namespaces/%2e%2e/pods',
      '/api/v1/namespaces/%2E%2E/pods',
      '/api/v1/namespaces/../pods',
      '/api/v1/namespaces/%2e%2e/pods?watch=true',
    ]) {
      const result = await rawCall('GET', path);
      expect(result.json(), path).toMatchObject(badRequest(dotDot));
    }
    const dot = await rawCall('GET', '/api/v1/namespaces/./pods');
    expect(dot.json()).toMatchObject(badRequest('Namespace parameter invalid: ".": may not be \'.\''));
    // Nor a deletecollection across every namespace.
    const deleteAll = await rawCall('DELETE', '/api/v1/namespaces/%2e%2e/configmaps');
    expect(deleteAll.status).toBe(400);
    expect((await callApi(sim, 'GET', '/api/v1/namespaces/lim/configmaps/padded')).status).toBe(200);
  });

  it('refuses names that are not path segment names with the API server wording', async () => {
    expect((await rawCall('GET', '/api/v1/namespaces/%2e%2e')).json()).toMatchObject(
      badRequest('Name parameter invalid: "..": may not be \'..\''),
    );
    expect((await rawCall('GET', '/api/v1/namespaces/lim/pods/a%2Fb')).json()).toMatchObject(
      badRequest('Name parameter invalid: "a/b": may not contain \'/\''),
    );
    expect((await rawCall('DELETE', '/api/v1/namespaces/lim/configmaps/x%25y%2Fz')).json()).toMatchObject(
      badRequest("Name parameter invalid: \"x%y/z\": may not contain '/';may not contain '%'"),
    );
    expect((await rawCall('GET', '/api/v1/namespaces/a%25b/pods')).json()).toMatchObject(
      badRequest('Namespace parameter invalid: "a%b": may not contain \'%\''),
    );
  });

  it('answers a namespace that is no DNS-1123 label as one that does not exist', async () => {
    const list = await callApi(sim, 'GET', '/api/v1/namespaces/Not_A_Label/pods');
    expect([list.status, list.json().items]).toEqual([200, []]);
    expect((await callApi(sim, 'GET', '/api/v1/namespaces/Not_A_Label/pods/quiet')).status).toBe(404);
    const created = await callApi(sim, 'POST', '/api/v1/namespaces/Not_A_Label/configmaps', {
      body: JSON.stringify({ metadata: { name: 'x' } }),
    });
    expect([created.status, created.json().message]).toEqual([404, 'namespaces "Not_A_Label" not found']);
  });

  it('does not route empty segments', async () => {
    expect((await rawCall('GET', '/api/v1/namespaces//pods')).status).toBe(404);
  });

  it('refuses an exec upgrade into a .. namespace', async () => {
    const socket = await tls(sim);
    socket.write(
      requestHead('GET', '/api/v1/namespaces/%2e%2e/pods/quiet/exec?command=true&stdout=true', {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.alloc(16, 1).toString('base64'),
        'Sec-WebSocket-Protocol': 'v5.channel.k8s.io',
      }),
    );
    const { data } = await closedWithin(socket, 3000);
    expect(data).toMatch(/^HTTP\/1.1 400 /);
    expect(statusOf(data)).toMatchObject(badRequest(dotDot));
  });
});

describe('connections and timeouts', () => {
  it('closes connections above maxConnections at once', async () => {
    const capped = await startKubeSim({ clusterName: 'capped', maxConnections: 2 });
    const sockets: Socket[] = [];
    try {
      sockets.push(await tcp(capped), await tcp(capped));
      const third = await tcp(capped);
      sockets.push(third);
      expect((await closedWithin(third, 2000)).closed).toBe(true);
      expect(sockets[0].destroyed || sockets[1].destroyed).toBe(false);
    } finally {
      for (const socket of sockets) socket.destroy();
      await capped.close();
    }
  });

  it('cuts a client that stalls in the TLS handshake or in its headers', async () => {
    const stalled = await tcp(sim);
    expect((await closedWithin(stalled, 3000)).closed).toBe(true);
    const slow = await tls(sim);
    slow.write('GET /api/v1/namespaces HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const started = Date.now();
    expect((await closedWithin(slow, 3000)).closed).toBe(true);
    expect(Date.now() - started).toBeLessThan(2500);
  });

  it('closes a connection that goes quiet in the middle of a request', async () => {
    const idle = await tls(sim);
    idle.write(
      requestHead('POST', '/api/v1/namespaces/lim/configmaps', {
        'Content-Type': 'application/json',
        'Content-Length': '100',
      }),
    );
    expect((await closedWithin(idle, 3000)).closed).toBe(true);
  });

  it('keeps a quiet watch open past the idle timeout', async () => {
    const events: string[] = [];
    const req = request(new URL('/api/v1/namespaces/lim/configmaps?watch=true', sim.apiServerUrl), {
      ca: sim.caCertPem,
      headers: { Authorization: `Bearer ${adminToken(sim)}` },
    });
    let closed = false;
    req.on('response', (res) => {
      res.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          events.push(`${JSON.parse(line).type} ${JSON.parse(line).object.metadata.name}`);
      });
      res.on('close', () => {
        closed = true;
      });
    });
    req.end();
    try {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(closed).toBe(false);
      await callApi(sim, 'POST', '/api/v1/namespaces/lim/configmaps', {
        body: JSON.stringify({ metadata: { name: 'after-quiet' } }),
      });
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(events).toContain('ADDED after-quiet');
    } finally {
      req.destroy();
    }
  });

  it('keeps an exec session and a followed log open while they are quiet', async () => {
    const { core } = clients(sim);
    await core.createNamespacedPod({
      namespace: 'lim',
      body: {
        metadata: { name: 'talker' },
        spec: {
          containers: [{ name: 'c', image: 'x', command: ['sh', '-c', 'sleep 2; echo late; sleep 3600'] }],
        },
      },
    });
    await waitForPhase(core, 'lim', 'talker', ['Running']);
    const query = new URLSearchParams({ container: 'c', stdout: 'true', stderr: 'true' });
    for (const part of ['sh', '-c', 'sleep 1.5; echo done']) query.append('command', part);
    const url = `${sim.apiServerUrl.replace('https', 'wss')}/api/v1/namespaces/lim/pods/quiet/exec?${query}`;
    const execOutput = new Promise<string>((resolve, reject) => {
      const ws = new WebSocket(url, ['v5.channel.k8s.io'], {
        ca: sim.caCertPem,
        headers: { Authorization: `Bearer ${adminToken(sim)}` },
      });
      let out = '';
      ws.on('message', (data: Buffer) => {
        if (data[0] === 1) out += data.subarray(1).toString();
      });
      ws.on('close', () => resolve(out));
      ws.on('error', reject);
    });
    const logs = new Promise<string>((resolve, reject) => {
      const req = request(new URL('/api/v1/namespaces/lim/pods/talker/log?follow=true', sim.apiServerUrl), {
        ca: sim.caCertPem,
        headers: { Authorization: `Bearer ${adminToken(sim)}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          if (text.includes('late')) {
            req.destroy();
            resolve(text);
          }
        });
        res.on('close', () => resolve(text));
      });
      req.on('error', reject);
      req.end();
    });
    expect(await execOutput).toBe('done\n');
    expect(await logs).toContain('late');
  });

  it('refuses limits that make no sense', async () => {
    await expect(startKubeSim({ maxConnections: -1 })).rejects.toThrow(/maxConnections/);
    await expect(startKubeSim({ headersTimeoutMs: 10_000, requestTimeoutMs: 1000 })).rejects.toThrow(
      /headersTimeoutMs/,
    );
  });
});
