// --client-image on the eks target, end to end against the standalone simulator: the test pods get a
// container per image, the probe scripts come from the pic-probes ConfigMap mounted at /pic-probe, and
// the named client runs there. The simulator does not pull images (its pods run the machine's tools),
// so the python probe runs the machine's python3 with botocore, from the mounted script, in that
// container; the pod spec is checked to be what a real cluster would get.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { podManifest } from '../../../fixtures/pod.ts';
import type { RunContext } from '../../../fixtures/run-context.ts';
import { clientContainers, withClientImages } from '../../../targets/eks/client-images.ts';
import { eksCapabilities } from '../../../targets/eks.ts';
import { isolatedHome, runRunner, type StandaloneSim, startStandaloneSim } from './standalone.ts';

const SIM_ACCOUNT = '210987654321';
const IMAGE = 'registry.example.com/team/app:1.4';

describe('--client-image: the pod spec', () => {
  const containers = clientContainers([`python=${IMAGE}`, 'node-v2=node:22-slim', 'python=python:3.12-slim']);

  it('one container per client (the last image named wins), with the probes mounted from the ConfigMap', () => {
    expect(containers).toEqual([
      { client: 'boto3', image: 'python:3.12-slim', name: 'client-boto3' },
      { client: 'node-v2', image: 'node:22-slim', name: 'client-node-v2' },
    ]);
    const run = {
      info: {
        runId: 'pic-202612042142-abcde',
        pod: {
          image: 'public.ecr.aws/aws-cli/aws-cli:2.22.0',
          command: ['sleep', 'infinity'],
          imagePullPolicy: 'IfNotPresent',
          env: {},
          clientContainers: containers,
        },
      },
    } as unknown as RunContext;
    const spec = podManifest(run, { namespace: 'ns', name: 'app', serviceAccountName: 'app' }).spec!;
    expect(spec.containers.map((c) => [c.name, c.image, c.command])).toEqual([
      ['main', 'public.ecr.aws/aws-cli/aws-cli:2.22.0', ['sleep', 'infinity']],
      ['client-boto3', 'python:3.12-slim', ['sleep', 'infinity']],
      ['client-node-v2', 'node:22-slim', ['sleep', 'infinity']],
    ]);
    expect(spec.containers[1]?.volumeMounts).toEqual([
      { name: 'pic-probes', mountPath: '/pic-probe', readOnly: true },
    ]);
    expect(spec.volumes).toEqual([{ name: 'pic-probes', configMap: { name: 'pic-probes' } }]);
  });

  it('makes the imaged clients available, each saying which image it runs in and what that image needs', () => {
    const capabilities = withClientImages(
      eksCapabilities('public.ecr.aws/aws-cli/aws-cli:2.22.0', false),
      containers,
    );
    expect(capabilities.podBoto3Probe).toEqual({
      available: true,
      reason:
        'runs in python:3.12-slim (--client-image python=…), which needs python3 with boto3 or botocore',
    });
    expect(capabilities.podNodeV2Probe.available).toBe(true);
    expect(capabilities.podSdkProbe.available).toBe(false);
  });
});

describe('--client-image through the standalone simulator', () => {
  let sim: StandaloneSim;
  let home: Awaited<ReturnType<typeof isolatedHome>>;
  let work: string;

  beforeAll(async () => {
    [sim, home] = await Promise.all([startStandaloneSim(['--account', SIM_ACCOUNT]), isolatedHome()]);
    work = await mkdtemp(join(tmpdir(), 'pic-client-image-'));
  }, 120_000);

  afterAll(async () => {
    await sim?.stop();
    await home?.remove();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('python=IMAGE: boto3 runs in the client container and gets the role', { timeout: 300_000 }, async () => {
    const reportDir = join(work, 'reports');
    const env = Object.fromEntries(
      Object.entries({ PATH: process.env.PATH, NO_COLOR: '1', ...home.env, ...sim.exports }).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    const result = await runRunner(
      [
        '--target',
        'eks',
        '--account',
        SIM_ACCOUNT,
        '--suite',
        'pod-identity',
        '--file',
        'credentials',
        '--file',
        'client-compatibility',
        '--client-image',
        `python=${IMAGE}`,
        '--report-dir',
        reportDir,
      ],
      env,
    );
    expect(result.code, `${result.stdout.slice(-3000)}\n${result.stderr}`).toBe(0);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      await readFile(join(reportDir, 'junit.xml'), 'utf8'),
    );
    const cases = [parsed.testsuites.testsuite]
      .flat()
      .flatMap((suite: { testcase: unknown }) => [suite.testcase].flat()) as Array<{
      name: string;
      skipped?: unknown;
      failure?: unknown;
      'system-out'?: string;
    }>;
    const boto3 = cases.find((c) => c.name.endsWith('[boto3]'));
    expect(boto3?.name).toMatch(/^credentials › /);
    expect(boto3?.skipped ?? boto3?.failure).toBeUndefined();
    const compatibility = cases.find((c) => c.name.startsWith('client compatibility ›'));
    expect(compatibility?.failure).toBeUndefined();
    expect(compatibility?.['system-out']).toMatch(/boto3 \(botocore [\d.]+\): got the role/);
    // The simulator's eks target runs no old releases: only the clients asked about are judged.
    expect(compatibility?.['system-out']).not.toContain('node-v2@2.1400.0');
  });
});
