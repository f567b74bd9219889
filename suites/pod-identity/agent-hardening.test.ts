// The credential endpoint, called from inside an associated pod the way an attacker in it could:
// without a token, with a forged token, with an expired token, and with the pod's other (API server
// audience) token. Only the pod's own Pod Identity token may get credentials.

import { randomBytes, randomUUID } from 'node:crypto';
import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import { generateKeyPair, SignJWT } from 'jose';
import {
  type CaseContext,
  createAssociatedApp,
  ENV_FULL_URI,
  ENV_TOKEN_FILE,
  eventually,
  expectUnconfirmed,
  NotYet,
  POD_IDENTITY_AUDIENCE,
  type Pod,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

const DEFAULT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

interface AgentAnswer {
  status: number;
  /** Only ever captured for error answers: a success body holds credentials. */
  body: string;
}

const TRANSIENT_ATTEMPTS = 5;
const isTransient = (status: number) => status === 0 || status === 429 || (status >= 500 && status <= 504);

describe('agent hardening', () => {
  const suite = useSuiteRun();
  let pod: Pod;
  let issuer: string;
  let serviceAccountUid: string;

  beforeAll(async () => {
    const { run, stack, info } = suite;
    const app = await createAssociatedApp(run, stack, { purpose: 'agent-hardening' });
    pod = app.pod;
    const cluster = await run.aws.eks.send(new DescribeClusterCommand({ name: info.cluster.name }));
    issuer = cluster.cluster?.identity?.oidc?.issuer ?? '';
    const stored = await run.kube.core.readNamespacedServiceAccount({
      namespace: app.namespace,
      name: app.serviceAccount,
    });
    serviceAccountUid = stored.metadata?.uid ?? '';
  });

  /** Calls the agent from inside the pod with curl. The Authorization line, if any, goes in on stdin. */
  /**
   * Calls the agent from inside the pod with curl. The Authorization line goes in on stdin, or comes from
   * a shell expression evaluated in the pod; `host` replaces the Host header curl derives from the URL.
   */
  async function callAgent(
    ctx: CaseContext,
    request: { stdin?: string; shell?: string; host?: string },
  ): Promise<AgentAnswer> {
    const hasCurl = await pod.exec(['sh', '-c', 'command -v curl']);
    if (hasCurl.exitCode !== 0)
      ctx.skip('the pod image has no curl; calling the agent from the pod needs an HTTP client');
    const authorization =
      request.stdin !== undefined ? '-H @-' : request.shell ? `-H "Authorization: ${request.shell}"` : '';
    const host = request.host ? `-H 'Host: ${request.host}'` : '';
    const script = `curl -sS -o body.txt -w '%{http_code}' ${authorization} ${host} "$${ENV_FULL_URI}"; echo; test -s body.txt && grep -q AccessKeyId body.txt || cat body.txt; rm -f body.txt`;
    // No connection (000: the agent restarting), throttling and 5xx are not the agent's answer to the
    // request: tried again, as an SDK would, before the answer is judged.
    let answer: AgentAnswer = { status: 0, body: '' };
    for (let attempt = 1; attempt <= TRANSIENT_ATTEMPTS; attempt++) {
      const result = await pod.exec(['sh', '-c', script], { stdin: request.stdin });
      const [statusLine = '', ...rest] = result.stdout.split('\n');
      answer = { status: Number(statusLine.trim()), body: rest.join('\n').trim() };
      if (!isTransient(answer.status)) return answer;
      await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
    }
    return answer;
  }

  async function forgedToken(lifetime: { expiresInSeconds: number }): Promise<string> {
    const { privateKey } = await generateKeyPair('RS256');
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      'kubernetes.io': {
        namespace: pod.namespace,
        pod: { name: pod.name, uid: pod.uid },
        serviceaccount: { name: 'app', uid: serviceAccountUid },
      },
    })
      .setProtectedHeader({ alg: 'RS256', kid: randomBytes(20).toString('hex') })
      .setIssuer(issuer)
      .setSubject(`system:serviceaccount:${pod.namespace}:app`)
      .setAudience(POD_IDENTITY_AUDIENCE)
      .setIssuedAt(now - 7_200)
      .setNotBefore(now - 7_200)
      .setExpirationTime(now + lifetime.expiresInSeconds)
      .setJti(randomUUID())
      .sign(privateKey);
  }

  it("the pod's own token gets credentials (the control case)", async (ctx) => {
    const answer = await eventually(
      'the agent to serve the pod its credentials',
      async () => {
        const reply = await callAgent(ctx, { shell: `$(cat "$${ENV_TOKEN_FILE}")` });
        // Until IAM and the association have propagated, EKS Auth answers AccessDenied (400) or
        // ResourceNotFound (404), and it may throttle (429) or fail (5xx): all of it is "not yet".
        if (reply.status !== 200) throw new NotYet(`${reply.status} ${reply.body}`);
        return reply;
      },
      { timeoutMs: suite.info.waitTimeoutMs, intervalMs: 500 },
    );
    expect(answer.status).toBe(200);
  });

  it('a call through another address is refused with 403 before the token is read', async (ctx) => {
    // 192.0.2.1 is a documentation address: only the Host header names it, nothing connects to it.
    const answer = await callAgent(ctx, { host: '192.0.2.1' });
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Called agent through invalid address');
  });

  it('a request without a token is refused with 400', async (ctx) => {
    const answer = await callAgent(ctx, {});
    expect(answer.status).toBe(400);
    expect(answer.body).toContain('Service account token cannot be empty');
  });

  it('an expired token is refused with 400 before any upstream call', async (ctx) => {
    const answer = await callAgent(ctx, {
      stdin: `Authorization: ${await forgedToken({ expiresInSeconds: -600 })}\n`,
    });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatch(/expired/i);
  });

  it('a forged token (valid shape, signed with another key) is refused', async (ctx) => {
    const answer = await callAgent(ctx, {
      stdin: `Authorization: ${await forgedToken({ expiresInSeconds: 3_600 })}\n`,
    });
    // Credentials for a forged token would break Pod Identity's security model: never acceptable.
    expect(answer.status, 'the agent must not return credentials for a forged token').not.toBe(200);
    await expectUnconfirmed(
      ctx,
      suite.info,
      'EKS Auth refuses a forged token with InvalidTokenException (400)',
      answer.status === 400,
      `${answer.status} ${answer.body}`,
    );
  });

  it("the pod's API-audience service-account token is refused", async (ctx) => {
    const answer = await callAgent(ctx, { shell: `$(cat ${DEFAULT_TOKEN_FILE})` });
    await expectUnconfirmed(
      ctx,
      suite.info,
      'a token for another audience is refused',
      answer.status !== 200 && answer.status >= 400,
      `${answer.status} ${answer.body}`,
    );
  });
});
