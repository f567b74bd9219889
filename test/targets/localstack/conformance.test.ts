// The whole pod-identity suite through `npm test -- --target localstack`, with moto's server standing in
// for LocalStack (no Docker here): every case passes except those that need IAM enforcement, which are
// skipped with the probed reason, and nothing of the run is left on the endpoint. Also the runner's
// exit-2 answers when the endpoint or Docker is missing.

import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { execa } from 'execa';
import { XMLParser } from 'fast-xml-parser';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IAM_PATH } from '../../../helpers/naming.ts';
import { childEnv } from './child-env.ts';
import { motoPython, startMotoServer } from './moto-server.ts';
import { closedLoopbackPort } from './ports.ts';

const CONFORMANCE = fileURLToPath(new URL('../../../scripts/conformance.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const SUITE_TIMEOUT_MS = 300_000;

let work: string;
beforeEach(async () => {
  work = await mkdtemp(join(tmpdir(), 'pic-localstack-'));
});
afterEach(async () => {
  await rm(work, { recursive: true, force: true });
});

function runConformance(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [CONFORMANCE, ...args], {
    cwd: REPO,
    env: childEnv(env),
    extendEnv: false,
    reject: false,
    timeout: SUITE_TIMEOUT_MS,
  });
}

interface JunitCase {
  suite: string;
  name: string;
  skipped?: string;
  failed: boolean;
}

function junitCases(text: string): JunitCase[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase'].includes(name),
  });
  const doc = parser.parse(text) as {
    testsuites: {
      testsuite: Array<{
        name: string;
        testcase?: Array<{ name: string; skipped?: { message: string } | ''; failure?: unknown }>;
      }>;
    };
  };
  return doc.testsuites.testsuite.flatMap((suite) =>
    (suite.testcase ?? []).map((c) => ({
      suite: suite.name,
      name: c.name,
      skipped: c.skipped === undefined ? undefined : c.skipped === '' ? '' : c.skipped.message,
      failed: c.failure !== undefined,
    })),
  );
}

describe.skipIf(!motoPython)(
  'pod-identity suite on the localstack target (moto stands in; needs python3 with moto)',
  () => {
    it(
      'passes, skipping only the cases that need IAM enforcement or IRSA, with their reasons, and leaves nothing',
      async () => {
        const moto = await startMotoServer();
        try {
          const reports = join(work, 'reports');
          const result = await runConformance(
            ['--target', 'localstack', '--suite', 'pod-identity', '--report-dir', reports],
            {
              LOCALSTACK_ENDPOINT: moto.url,
            },
          );
          expect(result.exitCode, `${result.stdout}\n${result.stderr}`).toBe(0);

          const cases = junitCases(await readFile(join(reports, 'junit.xml'), 'utf8'));
          expect(cases.filter((c) => c.failed)).toEqual([]);
          const skipped = cases.filter((c) => c.skipped !== undefined);
          const reason = `LocalStack at ${moto.url} allowed an unauthorised call: IAM enforcement is off (a LocalStack Pro feature, ENFORCE_IAM=1)`;
          // IRSA needs an STS that can verify the simulator cluster's tokens, which LocalStack's cannot.
          const irsaReason =
            "needs webIdentityFederation: IAM and STS are LocalStack's, which cannot verify the simulator cluster's service-account tokens (only the simulator's API server serves the issuer's keys)";
          for (const c of skipped) {
            const why =
              c.suite === 'pod-identity/irsa'
                ? irsaReason
                : c.suite === 'pod-identity/target-role'
                  ? 'needs targetRoleAccount: the simulator has a second account only with its own AWS (not with LocalStack)'
                  : c.suite === 'pod-identity/credential-refresh'
                    ? expect.stringMatching(/^the first credentials expire at .* later than --wait-timeout/)
                    : `needs iamEnforcement: ${reason}`;
            expect(c.skipped, `${c.suite} › ${c.name}`).toEqual(why);
          }
          // Exactly these files are skipped: the enforcement-dependent ones (session tags and policies,
          // cross-role isolation, the deleted role, which an IAM without enforcement may still let EKS Auth
          // assume), the cross-account ones (one account), refresh (hour-long credentials) and IRSA.
          expect([...new Set(skipped.map((c) => c.suite))].sort()).toEqual([
            'pod-identity/credential-refresh',
            'pod-identity/irsa',
            'pod-identity/isolation',
            'pod-identity/misconfiguration',
            'pod-identity/session-policy',
            'pod-identity/session-tags',
            'pod-identity/target-role',
          ]);
          expect(cases.filter((c) => c.suite === 'pod-identity/irsa' && c.skipped === undefined)).toEqual([]);
          expect(skipped.filter((c) => c.suite === 'pod-identity/isolation').map((c) => c.name)).toEqual(
            expect.arrayContaining([expect.stringMatching(/role B cannot write where only role A may/)]),
          );
          const passedSuites = new Set(cases.filter((c) => c.skipped === undefined).map((c) => c.suite));
          for (const suite of [
            'credentials',
            's3-round-trip',
            'mutation',
            'agent-hardening',
            'association-lifecycle',
            'isolation',
            'cleanup.last',
          ]) {
            expect(passedSuites, `a case of ${suite} passed`).toContain(`pod-identity/${suite}`);
          }
          const summary = await readFile(join(reports, 'summary.md'), 'utf8');
          expect(summary).toContain('localstack');
          expect(summary).toContain(reason);

          // Everything the run (and its capability probe) created on the endpoint is gone.
          const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
          const iam = new IAMClient({ endpoint: moto.url, region: 'us-east-1', credentials });
          const s3 = new S3Client({
            endpoint: moto.url,
            region: 'us-east-1',
            credentials,
            forcePathStyle: true,
          });
          try {
            expect((await iam.send(new ListRolesCommand({ PathPrefix: IAM_PATH }))).Roles ?? []).toEqual([]);
            const buckets = (await s3.send(new ListBucketsCommand({}))).Buckets ?? [];
            expect(buckets.filter((b) => b.Name?.startsWith('pic-'))).toEqual([]);
          } finally {
            iam.destroy();
            s3.destroy();
          }
        } finally {
          await moto.stop();
        }
      },
      SUITE_TIMEOUT_MS,
    );
  },
);

describe('localstack target: configuration errors (exit 2, one line, nothing created)', () => {
  it('an endpoint that does not answer', async () => {
    const url = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const reports = join(work, 'reports');
    const result = await runConformance(['--target', 'localstack', '--report-dir', reports], {
      LOCALSTACK_ENDPOINT: url,
    });
    expect(result.exitCode).toBe(2);
    expect(String(result.stderr).trimEnd().split('\n')).toEqual([
      `pod-identity-conformance: LocalStack endpoint ${url} does not answer (ECONNREFUSED); start LocalStack there (\`localstack start\` or \`docker run -p 4566:4566 localstack/localstack:4.14.0\`), set LOCALSTACK_ENDPOINT to where it listens, or pass --localstack-container`,
    ]);
    expect(await readdir(work)).toEqual([]);
  });

  it('--localstack-container without a reachable Docker engine', async () => {
    const reports = join(work, 'reports');
    const result = await runConformance(
      ['--target', 'localstack', '--localstack-container', '--report-dir', reports],
      {
        // A Docker host where nothing listens: testcontainers finds no engine.
        DOCKER_HOST: `tcp://127.0.0.1:${await closedLoopbackPort()}`,
      },
    );
    expect(result.exitCode).toBe(2);
    const lines = String(result.stderr).trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^pod-identity-conformance: --localstack-container needs a Docker engine and none is reachable \(.+\); start Docker or set DOCKER_HOST, or drop --localstack-container and set LOCALSTACK_ENDPOINT to a running LocalStack$/,
    );
    expect(await readdir(work)).toEqual([]);
  });
});
