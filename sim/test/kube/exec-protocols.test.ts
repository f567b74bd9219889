// The exec websocket at the wire level: v4 and v5 channel protocols, the status channel, refusals.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type StartedKubeSim, startKubeSim } from '../../kube/index.ts';
import { adminToken, clients, waitForPhase } from './helpers.ts';

let sim: StartedKubeSim;

beforeAll(async () => {
  sim = await startKubeSim({ clusterName: 'exec' });
  const { core } = clients(sim);
  await core.createNamespacedPod({
    namespace: 'default',
    body: {
      metadata: { name: 'target' },
      spec: { containers: [{ name: 'c', image: 'x', command: ['sleep', '3600'] }] },
    },
  });
  await waitForPhase(core, 'default', 'target', ['Running']);
});

afterAll(async () => {
  await sim?.close();
});

interface Session {
  protocol: string;
  frames: Array<{ channel: number; data: string }>;
}

function execOver(protocols: string[], command: string[], stdin?: string): Promise<Session> {
  const query = new URLSearchParams({
    container: 'c',
    stdout: 'true',
    stderr: 'true',
    stdin: stdin ? 'true' : 'false',
  });
  for (const part of command) query.append('command', part);
  const url = `${sim.apiServerUrl.replace('https', 'wss')}/api/v1/namespaces/default/pods/target/exec?${query}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, {
      ca: sim.caCertPem,
      headers: { Authorization: `Bearer ${adminToken(sim)}` },
    });
    const frames: Session['frames'] = [];
    ws.on('open', () => {
      if (stdin !== undefined) {
        ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(stdin)]));
        ws.send(Buffer.from([255, 0]));
      }
    });
    ws.on('message', (data: Buffer) =>
      frames.push({ channel: data[0], data: data.subarray(1).toString('utf8') }),
    );
    ws.on('close', () => resolve({ protocol: ws.protocol, frames }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`upgrade refused with ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('exec websocket protocols', () => {
  it('speaks v4.channel.k8s.io with the exit code on the status channel', async () => {
    const session = await execOver(['v4.channel.k8s.io'], ['sh', '-c', 'echo out; echo err >&2; exit 3']);
    expect(session.protocol).toBe('v4.channel.k8s.io');
    expect(session.frames[0]).toEqual({ channel: 1, data: '' });
    expect(
      session.frames
        .filter((f) => f.channel === 1)
        .map((f) => f.data)
        .join(''),
    ).toBe('out\n');
    expect(
      session.frames
        .filter((f) => f.channel === 2)
        .map((f) => f.data)
        .join(''),
    ).toBe('err\n');
    const status = session.frames.at(-1);
    expect(status?.channel).toBe(3);
    expect(JSON.parse(status?.data ?? '')).toMatchObject({
      status: 'Failure',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    });
  });

  it('prefers v5 and honours its stdin close message', async () => {
    const session = await execOver(['v4.channel.k8s.io', 'v5.channel.k8s.io'], ['cat'], 'piped');
    expect(session.protocol).toBe('v5.channel.k8s.io');
    expect(
      session.frames
        .filter((f) => f.channel === 1)
        .map((f) => f.data)
        .join(''),
    ).toBe('piped');
    expect(JSON.parse(session.frames.at(-1)?.data ?? '')).toEqual({ metadata: {}, status: 'Success' });
  });

  it('refuses protocols it does not speak, unknown containers and missing tokens', async () => {
    await expect(execOver(['channel.k8s.io'], ['true'])).rejects.toThrow('upgrade refused with 400');
    await expect(
      new Promise((resolve, reject) => {
        const ws = new WebSocket(
          `${sim.apiServerUrl.replace('https', 'wss')}/api/v1/namespaces/default/pods/target/exec?command=true&stdout=true`,
          ['v5.channel.k8s.io'],
          { ca: sim.caCertPem },
        );
        ws.on('unexpected-response', (_req, res) =>
          reject(new Error(`upgrade refused with ${res.statusCode}`)),
        );
        ws.on('open', resolve);
      }),
    ).rejects.toThrow('upgrade refused with 401');
  });
});

describe('exec into containers that are not running', () => {
  it('refuses before upgrading, naming the container', async () => {
    const { core } = clients(sim);
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: { name: 'finished' },
        spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'x', command: ['true'] }] },
      },
    });
    await waitForPhase(core, 'default', 'finished', ['Succeeded']);
    const query = 'command=true&stdout=true&container=c';
    const refusal = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const ws = new WebSocket(
        `${sim.apiServerUrl.replace('https', 'wss')}/api/v1/namespaces/default/pods/finished/exec?${query}`,
        ['v5.channel.k8s.io'],
        { ca: sim.caCertPem, headers: { Authorization: `Bearer ${adminToken(sim)}` } },
      );
      ws.on('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString('utf8');
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      ws.on('open', () => reject(new Error('upgraded')));
    });
    expect(refusal.status).toBe(400);
    expect(JSON.parse(refusal.body)).toMatchObject({
      reason: 'BadRequest',
      message: 'cannot exec into a container in a completed pod; current phase is Succeeded',
    });
  });
});
