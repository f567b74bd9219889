// Cluster conditions (SimOptions.conditions) make Pod Identity fail the way misconfigured clusters do.
// A namespace label that a "network policy" selects: pods there cannot reach the agent, their
// connections to 169.254.170.23 and [fd00:ec2::23] time out; pods elsewhere get credentials as usual.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { awsCli, type SimFixture, startSimFixture } from './sim-fixture.ts';

const LABEL = { key: 'egress-policy', value: 'deny-all' };
// --connect-timeout: an unanswered SYN, not a refused connection, is what a dropping policy gives.
const connect = (address: string) =>
  `curl -sS -o /dev/null --connect-timeout 2 -w '%{http_code}' http://${address}/v1/credentials`;

describe('agent blocked for namespaces with a label (an emulated NetworkPolicy)', () => {
  let f: SimFixture;
  beforeAll(async () => {
    f = await startSimFixture({
      podSandbox: 'required',
      conditions: { agentBlockedForNamespaceLabel: LABEL },
    });
    const role = await f.createRole('conditions-app');
    for (const namespace of ['blocked', 'open']) {
      await f.core.createNamespace({
        body: {
          metadata: { name: namespace, labels: namespace === 'blocked' ? { [LABEL.key]: LABEL.value } : {} },
        },
      });
      await f.createServiceAccount(namespace, 'app');
      await f.associate(namespace, 'app', role);
      await f.runPod(namespace, 'app', 'app');
    }
  }, 60_000);
  afterAll(() => f?.close());

  it('a pod in the labelled namespace: connections to both agent addresses time out', async () => {
    for (const address of ['169.254.170.23', '[fd00:ec2::23]']) {
      const result = await f.exec('blocked', 'app', ['sh', '-c', connect(address)]);
      expect(result.exitCode, `${address}: ${result.stderr}`).toBe(28); // curl: timed out
      expect(result.stderr).toMatch(/Connection timed out|Timeout was reached|timed out/);
    }
  });

  it('a pod in the labelled namespace reaches everything else (the API server’s service address)', async () => {
    const result = await f.exec('blocked', 'app', [
      'sh',
      '-c',
      `curl -sk -o /dev/null --connect-timeout 2 -w '%{http_code}' https://10.100.0.1/version`,
    ]);
    expect(result.stdout, result.stderr).toMatch(/^[0-9]{3}$/);
    expect(result.stdout).not.toBe('000');
  });

  it('a pod in another namespace gets its credentials from the agent', async () => {
    const result = await f.exec('open', 'app', ['sh', '-c', connect('169.254.170.23')]);
    // Without the token the agent answers 400: it was reached.
    expect(result.stdout, result.stderr).toBe('400');
  });

  it.runIf(awsCli)(
    'the AWS CLI in the blocked pod reports a connect timeout to the agent',
    async () => {
      const result = await f.exec('blocked', 'app', [awsCli!, 'sts', 'get-caller-identity']);
      expect(result.exitCode).not.toBe(0);
      expect(result.stderr).toContain(
        'Connect timeout on endpoint URL: "http://169.254.170.23/v1/credentials"',
      );
    },
    60_000,
  );
});
