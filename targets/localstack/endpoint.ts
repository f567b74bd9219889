// Where the localstack target's IAM, STS and S3 come from: an endpoint that is already running
// (LOCALSTACK_ENDPOINT, default http://localhost:4566) or a container started for the run with
// @testcontainers/localstack. Both are checked before anything is created: an endpoint that does not
// answer, credentials it refuses and a missing Docker engine are configuration errors (exit 2).

import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { errorMessage } from '../../helpers/aws-errors.ts';
import { ConfigurationError } from '../../runner/errors.ts';

export const LOCALSTACK_DEFAULT_ENDPOINT = 'http://localhost:4566';
/**
 * The last LocalStack image that starts without LOCALSTACK_AUTH_TOKEN (4.14.0, February 2026). From
 * 4.15 / 2026.03.0 on, localstack/localstack needs an auth token (LocalStack's account requirement).
 */
export const LOCALSTACK_DEFAULT_IMAGE = 'localstack/localstack:4.14.0';
/** LocalStack accepts any key pair; these are the ones its documentation uses. */
export const LOCALSTACK_DEFAULT_CREDENTIALS = { accessKeyId: 'test', secretAccessKey: 'test' } as const;

const ANSWER_TIMEOUT_MS = 5_000;

export interface EndpointCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A LocalStack endpoint the run uses, and how to let go of it. */
export interface LocalstackEndpoint {
  url: string;
  /** Stops what was started for the run (the container); nothing for an existing endpoint. */
  release(): Promise<void>;
}

/** Runner credentials: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY when both are set, else test/test. */
export function localstackCredentials(
  env: Readonly<Record<string, string | undefined>>,
): EndpointCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID?.trim();
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY?.trim();
  if (accessKeyId && secretAccessKey) return { accessKeyId, secretAccessKey };
  return { ...LOCALSTACK_DEFAULT_CREDENTIALS };
}

function describeConnectError(error: unknown): string {
  if ((error as Error | null)?.name === 'TimeoutError')
    return `no answer within ${ANSWER_TIMEOUT_MS / 1000} s`;
  const cause = (error as { cause?: { code?: unknown; message?: unknown } } | null)?.cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return errorMessage(error);
}

/** Any HTTP answer will do; a refused connection, an unknown host or silence is a configuration error. */
export async function checkEndpointAnswers(url: string, fetchImpl: typeof fetch = fetch): Promise<void> {
  try {
    const response = await fetchImpl(url, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
    await response.body?.cancel();
  } catch (error) {
    throw new ConfigurationError(
      `LocalStack endpoint ${url} does not answer (${describeConnectError(error)}); start LocalStack there (\`localstack start\` or \`docker run -p 4566:4566 ${LOCALSTACK_DEFAULT_IMAGE}\`), set LOCALSTACK_ENDPOINT to where it listens, or pass --localstack-container`,
    );
  }
}

/** The endpoint must speak STS and accept the runner's credentials; returns the account id. */
export async function checkCredentialsAccepted(
  url: string,
  region: string,
  credentials: EndpointCredentials,
): Promise<string> {
  // A copy: the SDK annotates the credentials object it is given.
  const sts = new STSClient({ endpoint: url, region, credentials: { ...credentials }, maxAttempts: 2 });
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('sts:GetCallerIdentity returned no account id');
    return identity.Account;
  } catch (error) {
    throw new ConfigurationError(
      `LocalStack endpoint ${url} answers, but sts:GetCallerIdentity with access key ${credentials.accessKeyId} failed (${errorMessage(error).split('\n')[0]}); check that it is LocalStack (or compatible) and set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY to credentials it accepts (LocalStack takes test/test)`,
    );
  } finally {
    sts.destroy();
  }
}

/** What the container start needs from testcontainers, so tests can stand in for Docker. */
export interface ContainerEngine {
  /** Throws when no container engine is reachable. */
  checkReachable(): Promise<void>;
  start(image: string, environment: Record<string, string>): Promise<LocalstackEndpoint>;
}

/** testcontainers is an optional dependency (124 packages with native builds): loaded only here. */
async function importTestcontainers(): Promise<typeof import('testcontainers')> {
  try {
    return await import('testcontainers');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error;
    throw new ConfigurationError(
      '--localstack-container needs the optional packages testcontainers and @testcontainers/localstack, which are not installed; run `npm install testcontainers @testcontainers/localstack`, or drop --localstack-container and set LOCALSTACK_ENDPOINT to a running LocalStack',
    );
  }
}

export const testcontainersEngine: ContainerEngine = {
  async checkReachable() {
    const { getContainerRuntimeClient } = await importTestcontainers();
    await getContainerRuntimeClient();
  },
  async start(image, environment) {
    const { LocalstackContainer } = await import('@testcontainers/localstack');
    const container = await new LocalstackContainer(image).withEnvironment(environment).start();
    return { url: container.getConnectionUri(), release: async () => void (await container.stop()) };
  },
};

/**
 * Environment for the LocalStack container: only IAM, STS and S3, plus LOCALSTACK_AUTH_TOKEN and
 * ENFORCE_IAM when the runner's environment sets them (images after 4.14.0 need the token; IAM
 * enforcement is a LocalStack Pro feature).
 */
export function containerEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Record<string, string> {
  const environment: Record<string, string> = { SERVICES: 'iam,sts,s3' };
  for (const name of ['LOCALSTACK_AUTH_TOKEN', 'ENFORCE_IAM']) {
    const value = env[name]?.trim();
    if (value) environment[name] = value;
  }
  return environment;
}

export async function startLocalstackContainer(
  image: string,
  env: Readonly<Record<string, string | undefined>>,
  engine: ContainerEngine,
): Promise<LocalstackEndpoint> {
  try {
    await engine.checkReachable();
  } catch (error) {
    if (error instanceof ConfigurationError) throw error;
    throw new ConfigurationError(
      `--localstack-container needs a Docker engine and none is reachable (${errorMessage(error).split('\n')[0]}); start Docker or set DOCKER_HOST, or drop --localstack-container and set LOCALSTACK_ENDPOINT to a running LocalStack`,
    );
  }
  try {
    return await engine.start(image, containerEnvironment(env));
  } catch (error) {
    const hint = env.LOCALSTACK_AUTH_TOKEN?.trim()
      ? ''
      : `; LocalStack images after 4.14.0 need LOCALSTACK_AUTH_TOKEN (or use ${LOCALSTACK_DEFAULT_IMAGE})`;
    throw new Error(
      `the LocalStack container (${image}) did not start: ${errorMessage(error).split('\n')[0]}${hint}`,
    );
  }
}
