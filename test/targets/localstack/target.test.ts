// createLocalstackTarget with a fake simulator, a fake probe and a fake container engine. The project's
// AWS simulator stands in for the LocalStack endpoint (it answers STS and checks the keys).

import type { SimHandle, SimOptions } from '@pod-identity-conformance/sim';
import { type AwsSim, startAwsSim } from '@pod-identity-conformance/sim';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../runner/errors.ts';
import type { RunSettings } from '../../../runner/settings.ts';
import { embeddedCapabilities, harnessToolDirs } from '../../../targets/embedded.ts';
import {
  type ContainerEngine,
  containerEnvironment,
  LOCALSTACK_DEFAULT_IMAGE,
  localstackCredentials,
} from '../../../targets/localstack/endpoint.ts';
import type { IamCapabilities } from '../../../targets/localstack/probe.ts';
import {
  createLocalstackTarget,
  LOCALSTACK_DEFAULT_CLUSTER,
  type LocalstackTargetDeps,
} from '../../../targets/localstack.ts';
import { CAPABILITY_NAMES, type TargetInfo } from '../../../targets/target.ts';
import { closedLoopbackPort } from './ports.ts';

const RUN_ID = 'pic-202611281000-abcde';
let aws: AwsSim;

beforeAll(async () => {
  aws = await startAwsSim({ accountId: '123456789012' });
});
afterAll(async () => {
  await aws.close();
});

function settings(overrides: Partial<RunSettings> = {}): RunSettings {
  return {
    suites: ['pod-identity'],
    target: 'localstack',
    reportDir: '/tmp/pic-localstack-reports',
    keep: false,
    localstackEndpoint: aws.url,
    ...overrides,
  };
}

const ENFORCING: IamCapabilities = {
  iamEnforcement: { available: true, reason: 'enforced (probed)' },
  sessionTags: { available: true, reason: 'tags honoured (probed)' },
};
const OPEN: IamCapabilities = {
  iamEnforcement: { available: false, reason: 'LocalStack at X allowed an unauthorised call' },
  sessionTags: { available: false, reason: 'no enforcement' },
};

interface Recorded {
  simOptions: SimOptions[];
  probed: TargetInfo[];
  events: string[];
}

function fakeDeps(
  recorded: Recorded,
  overrides: Partial<LocalstackTargetDeps> = {},
  probeResult: IamCapabilities = OPEN,
): LocalstackTargetDeps {
  return {
    env: {
      AWS_ACCESS_KEY_ID: aws.adminCredentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: aws.adminCredentials.secretAccessKey,
    },
    startSim: async (options): Promise<SimHandle> => {
      recorded.simOptions.push(options);
      recorded.events.push('sim started');
      return {
        kubeconfigPath: '/tmp/sim/kubeconfig',
        kubeconfigYaml: 'apiVersion: v1',
        awsEndpointUrl: 'http://127.0.0.1:45678',
        podSandbox: { enabled: true, reason: 'pods run in their own namespaces' },
        adminCredentials: options.externalAws!.credentials,
        accountId: options.accountId!,
        region: options.region!,
        cluster: {
          name: options.clusterName!,
          arn: `arn:aws:eks:${options.region}:${options.accountId}:cluster/${options.clusterName}`,
        },
        close: async () => {
          recorded.events.push('sim closed');
        },
      };
    },
    containers: {
      checkReachable: async () => {
        throw new Error('the fake has no Docker');
      },
      start: async () => {
        throw new Error('not expected');
      },
    },
    probe: async (info) => {
      recorded.probed.push(structuredClone(info));
      return probeResult;
    },
    ...overrides,
  };
}

const record = (): Recorded => ({ simOptions: [], probed: [], events: [] });

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: Error) => error,
  );
}

describe('localstack target', () => {
  it('takes IAM, STS and S3 from the endpoint and EKS, EKS Auth and the agent from the simulator', async () => {
    const recorded = record();
    const target = await createLocalstackTarget(settings(), RUN_ID, { purpose: 'run' }, fakeDeps(recorded));
    expect(recorded.simOptions).toEqual([
      {
        region: 'us-east-1',
        accountId: '123456789012',
        clusterName: LOCALSTACK_DEFAULT_CLUSTER,
        externalAws: { endpoint: aws.url, credentials: aws.adminCredentials },
        podToolDirs: harnessToolDirs(),
      },
    ]);
    const { info } = target;
    expect(info).toMatchObject({
      name: 'localstack',
      region: 'us-east-1',
      accountId: '123456789012',
      cluster: { name: LOCALSTACK_DEFAULT_CLUSTER },
      endpoints: {
        iam: aws.url,
        sts: aws.url,
        s3: aws.url,
        eks: 'http://127.0.0.1:45678',
        'eks-auth': 'http://127.0.0.1:45678',
      },
      credentials: aws.adminCredentials,
      kubeconfigPath: '/tmp/sim/kubeconfig',
      runId: RUN_ID,
      reportDir: '/tmp/pic-localstack-reports',
      keep: false,
      waitTimeoutMs: 60_000,
    });
    expect(Object.keys(info.capabilities).sort()).toEqual([...CAPABILITY_NAMES].sort());
    expect(JSON.parse(JSON.stringify(info))).toEqual(info);
    // The probe sees the finished target (endpoints and credentials), before the run uses it.
    expect(recorded.probed).toHaveLength(1);
    expect(recorded.probed[0]!.endpoints.iam).toBe(aws.url);
    await target.close();
    await target.close();
    expect(recorded.events).toEqual(['sim started', 'sim closed']);
  });

  it.each([
    ['enforces IAM', ENFORCING],
    ['does not enforce IAM', OPEN],
  ])(
    'reports what the probe found when the endpoint %s, and the pods as on the embedded target',
    async (_, found) => {
      const target = await createLocalstackTarget(
        settings(),
        RUN_ID,
        undefined,
        fakeDeps(record(), {}, found),
      );
      const pods = embeddedCapabilities(undefined);
      expect(target.info.capabilities.iamEnforcement).toEqual(found.iamEnforcement);
      expect(target.info.capabilities.sessionTags).toEqual(found.sessionTags);
      expect(target.info.capabilities.podSdkProbe).toEqual(pods.podSdkProbe);
      // LocalStack's STS cannot verify the simulator cluster's tokens: the IRSA cases skip, saying so.
      expect(target.info.capabilities.webIdentityFederation.available).toBe(false);
      expect(target.info.capabilities.webIdentityFederation.reason).toContain("IAM and STS are LocalStack's");
      await target.close();
    },
  );

  it('passes --region and --cluster to the simulator and honours --wait-timeout', async () => {
    const recorded = record();
    const target = await createLocalstackTarget(
      settings({
        region: 'eu-west-1',
        cluster: 'ls-cluster',
        localstackEndpoint: `${aws.url}/`,
        waitTimeout: '90',
      }),
      RUN_ID,
      undefined,
      fakeDeps(recorded),
    );
    expect(recorded.simOptions[0]).toMatchObject({ region: 'eu-west-1', clusterName: 'ls-cluster' });
    expect(target.info.endpoints.s3).toBe(aws.url);
    expect(target.info.waitTimeoutMs).toBe(90_000);
    await target.close();
  });

  it('does not probe for the janitor (nothing is created)', async () => {
    const recorded = record();
    const target = await createLocalstackTarget(
      settings(),
      RUN_ID,
      { purpose: 'janitor' },
      fakeDeps(recorded),
    );
    expect(recorded.probed).toEqual([]);
    expect(target.info.capabilities.iamEnforcement).toEqual({
      available: false,
      reason: 'not probed: the janitor runs no case',
    });
    await target.close();
  });

  it('closes the simulator when the probe fails', async () => {
    const recorded = record();
    const deps = fakeDeps(recorded, {
      probe: async () => {
        throw new Error('probe exploded');
      },
    });
    const error = await failure(createLocalstackTarget(settings(), RUN_ID, undefined, deps));
    expect(error.message).toBe('probe exploded');
    expect(recorded.events).toEqual(['sim started', 'sim closed']);
  });

  it('an endpoint that does not answer is a one-line configuration error and nothing starts', async () => {
    const recorded = record();
    const url = `http://127.0.0.1:${await closedLoopbackPort()}`;
    const error = await failure(
      createLocalstackTarget(settings({ localstackEndpoint: url }), RUN_ID, undefined, fakeDeps(recorded)),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      `LocalStack endpoint ${url} does not answer (ECONNREFUSED); start LocalStack there (\`localstack start\` or \`docker run -p 4566:4566 localstack/localstack:4.14.0\`), set LOCALSTACK_ENDPOINT to where it listens, or pass --localstack-container`,
    );
    expect(recorded.events).toEqual([]);
  });

  it('credentials the endpoint refuses are a configuration error naming the variables; nothing starts', async () => {
    const recorded = record();
    const deps = fakeDeps(recorded, {
      env: { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000', AWS_SECRET_ACCESS_KEY: 'not-a-secret-it-knows' },
    });
    const error = await failure(createLocalstackTarget(settings(), RUN_ID, undefined, deps));
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toMatch(
      new RegExp(
        `^LocalStack endpoint ${aws.url} answers, but sts:GetCallerIdentity with access key AKIAUNKNOWN000000000 failed \\(.+\\); .*AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY`,
      ),
    );
    expect(error.message).not.toContain('not-a-secret-it-knows');
    expect(error.message.split('\n')).toHaveLength(1);
    expect(recorded.events).toEqual([]);
  });
});

describe('localstack target with --localstack-container', () => {
  function engine(
    events: string[],
    started: Array<{ image: string; env: Record<string, string> }>,
  ): ContainerEngine {
    return {
      checkReachable: async () => {},
      start: async (image, env) => {
        started.push({ image, env });
        events.push('container started');
        return {
          url: aws.url,
          release: async () => {
            events.push('container stopped');
          },
        };
      },
    };
  }

  it('starts the pinned image by default with only IAM, STS and S3, and stops it after the simulator', async () => {
    const recorded = record();
    const started: Array<{ image: string; env: Record<string, string> }> = [];
    const target = await createLocalstackTarget(
      settings({ localstackContainer: true, localstackEndpoint: undefined }),
      RUN_ID,
      undefined,
      fakeDeps(recorded, { containers: engine(recorded.events, started) }),
    );
    expect(started).toEqual([{ image: LOCALSTACK_DEFAULT_IMAGE, env: { SERVICES: 'iam,sts,s3' } }]);
    expect(target.info.endpoints.iam).toBe(aws.url);
    await target.close();
    expect(recorded.events).toEqual(['container started', 'sim started', 'sim closed', 'container stopped']);
  });

  it('uses --localstack-image and hands LOCALSTACK_AUTH_TOKEN and ENFORCE_IAM to the container', async () => {
    const recorded = record();
    const started: Array<{ image: string; env: Record<string, string> }> = [];
    const deps = fakeDeps(recorded, { containers: engine(recorded.events, started) });
    const target = await createLocalstackTarget(
      settings({ localstackContainer: true, localstackImage: 'localstack/localstack-pro:2026.11' }),
      RUN_ID,
      undefined,
      { ...deps, env: { ...deps.env, LOCALSTACK_AUTH_TOKEN: 'ls-token', ENFORCE_IAM: '1' } },
    );
    expect(started).toEqual([
      {
        image: 'localstack/localstack-pro:2026.11',
        env: { SERVICES: 'iam,sts,s3', LOCALSTACK_AUTH_TOKEN: 'ls-token', ENFORCE_IAM: '1' },
      },
    ]);
    await target.close();
  });

  it('stops the container when the target fails after starting it', async () => {
    const recorded = record();
    const started: Array<{ image: string; env: Record<string, string> }> = [];
    const deps = fakeDeps(recorded, { containers: engine(recorded.events, started) });
    const error = await failure(
      createLocalstackTarget(settings({ localstackContainer: true }), RUN_ID, undefined, {
        ...deps,
        env: { AWS_ACCESS_KEY_ID: 'AKIAUNKNOWN000000000', AWS_SECRET_ACCESS_KEY: 'x' },
      }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(recorded.events).toEqual(['container started', 'container stopped']);
  });

  it('without a reachable Docker engine: a configuration error, and no container is started', async () => {
    const recorded = record();
    const started: Array<{ image: string; env: Record<string, string> }> = [];
    const unreachable: ContainerEngine = {
      checkReachable: async () => {
        throw new Error('Could not find a working container runtime strategy');
      },
      start: engine(recorded.events, started).start,
    };
    const error = await failure(
      createLocalstackTarget(settings({ localstackContainer: true }), RUN_ID, undefined, {
        ...fakeDeps(recorded),
        containers: unreachable,
      }),
    );
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error.message).toBe(
      '--localstack-container needs a Docker engine and none is reachable (Could not find a working container runtime strategy); start Docker or set DOCKER_HOST, or drop --localstack-container and set LOCALSTACK_ENDPOINT to a running LocalStack',
    );
    expect(started).toEqual([]);
    expect(recorded.events).toEqual([]);
  });
});

describe('localstack credentials and container environment', () => {
  it('defaults to test/test unless both AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are set', () => {
    expect(localstackCredentials({})).toEqual({ accessKeyId: 'test', secretAccessKey: 'test' });
    expect(localstackCredentials({ AWS_ACCESS_KEY_ID: 'AKIA1' })).toEqual({
      accessKeyId: 'test',
      secretAccessKey: 'test',
    });
    expect(localstackCredentials({ AWS_ACCESS_KEY_ID: 'AKIA1', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      accessKeyId: 'AKIA1',
      secretAccessKey: 's',
    });
  });

  it('passes only the auth token and ENFORCE_IAM through, when set', () => {
    expect(containerEnvironment({ HOME: '/root', ENFORCE_IAM: ' ' })).toEqual({ SERVICES: 'iam,sts,s3' });
  });
});
