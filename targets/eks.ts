// The real-cluster target: real AWS through the SDK's default credential chain (AWS_PROFILE,
// AWS_REGION, AWS_ENDPOINT_URL[_SERVICE] honoured as the SDK honours them) and the cluster's Kubernetes
// API through the person's kubeconfig, or, with none for this cluster, through a kubeconfig the target
// writes with an in-process EKS token it refreshes until close(). Nothing is created until the preflight
// (targets/eks/preflight.ts) has passed. Pointed at a standalone simulator (`npm run sim` exports), it
// exercises exactly this path offline.

import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { EKSClient } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromIni, fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import type { KubeConfig } from '@kubernetes/client-node';
import { createKubeClients } from '../helpers/kube.ts';
import { ConfigurationError } from '../runner/errors.ts';
import type { RunSettings } from '../runner/settings.ts';
import { clientContainers, withClientImages } from './eks/client-images.ts';
import {
  contextForEndpoint,
  contextServer,
  createPrivateDirectory,
  eksClusterOfContext,
  findKubeconfig,
  type KubeconfigLocation,
  loadKubeconfig,
  normalizeServer,
  removePrivateDirectory,
  singleContextKubeconfig,
  tokenFileKubeconfig,
  writePrivateFile,
} from './eks/kubeconfig.ts';
import { eksPodSettings } from './eks/pod-settings.ts';
import { type ClusterFacts, type KubernetesAccess, loadRunnerPolicy, runPreflight } from './eks/preflight.ts';
import { type CredentialProvider, EksTokenSource } from './eks/token.ts';
import type { TargetStartOptions } from './index.ts';
import {
  AWS_SERVICES,
  type AwsService,
  type Capabilities,
  type Target,
  type TargetInfo,
  type TargetRoleAccountInfo,
} from './target.ts';

export const EKS_WAIT_TIMEOUT_MS = 120_000;
/** Tokens live 15 minutes and client-node re-reads the file after 60 s: refresh well before. */
export const TOKEN_REFRESH_MS = 5 * 60_000;

export interface EksTargetDeps {
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  /** The AWS credential provider; default: the SDK's default chain (fromNodeProviderChain). */
  credentials?: CredentialProvider;
  tokenRefreshMs?: number;
  /** One line about something that went wrong in the background (a token refresh). */
  warn(line: string): void;
}

export function defaultEksTargetDeps(): EksTargetDeps {
  return {
    env: process.env,
    homeDir: homedir(),
    warn: (line) => process.stderr.write(`${line}\n`),
  };
}

/** The role AWS Organizations creates in member accounts: assumed there unless a profile is given. */
export const ORGANIZATION_ACCESS_ROLE = 'OrganizationAccountAccessRole';

export function eksCapabilities(
  podImage: string,
  customImage: boolean,
  targetRoleAccount?: TargetRoleAccountInfo,
): Capabilities {
  return {
    targetRoleAccount: targetRoleAccount
      ? {
          available: true,
          reason: `roles are created in account ${targetRoleAccount.accountId} ${targetRoleAccount.profile ? `with the AWS profile ${targetRoleAccount.profile}` : `through ${targetRoleAccount.assumeRoleArn}`}`,
        }
      : {
          available: false,
          reason:
            'needs a second AWS account for the target roles: pass --target-role-account ID, with --target-role-profile NAME or runner credentials that may assume OrganizationAccountAccessRole there',
        },
    iamEnforcement: { available: true, reason: 'real IAM evaluates every call' },
    sessionTags: {
      available: true,
      reason: 'EKS Auth tags the session and IAM evaluates aws:PrincipalTag conditions',
    },
    podAwsCli: {
      available: true,
      reason: customImage
        ? `the pod image ${podImage} (--pod-image) must have the aws CLI and sh`
        : `the pod image ${podImage} is the AWS CLI v2 image`,
    },
    podSdkProbe: {
      available: false,
      reason:
        'the pod image has no node; run the JS SDK v3 probe in an image of yours with --client-image node-v3=IMAGE',
    },
    podBoto3Probe: {
      available: false,
      reason:
        'the pod image is the AWS CLI; run the boto3 probe in an image of yours with --client-image python=IMAGE',
    },
    podNodeV2Probe: {
      available: false,
      reason:
        'the pod image has no node; run the JS SDK v2 probe in an image of yours with --client-image node-v2=IMAGE',
    },
    podSandbox: { available: true, reason: 'pods are real pods on EKS nodes' },
    webIdentityFederation: {
      available: true,
      reason:
        "IAM trusts the cluster's OIDC issuer through an OIDC provider (created for the run when missing)",
    },
  };
}

/**
 * AWS_ENDPOINT_URL_<SERVICE>, else AWS_ENDPOINT_URL, per service (the SDK reads them itself; naming
 * them in TargetInfo also makes S3 use path-style addressing on such an endpoint).
 */
export function endpointsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
): Partial<Record<AwsService, string>> {
  if (/^true$/i.test(env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return {};
  const endpoints: Partial<Record<AwsService, string>> = {};
  for (const service of AWS_SERVICES) {
    const specific = env[`AWS_ENDPOINT_URL_${service.toUpperCase().replaceAll('-', '_')}`];
    const url = specific || env.AWS_ENDPOINT_URL;
    if (url) endpoints[service] = url;
  }
  return endpoints;
}

/** The region the SDK would use (AWS_REGION, the profile's region), if any. */
async function sdkRegion(): Promise<string | undefined> {
  const sts = new STSClient({});
  try {
    return await sts.config.region();
  } catch {
    return undefined;
  } finally {
    sts.destroy();
  }
}

function describeLocation(location: KubeconfigLocation): string {
  if (location.source === 'none') return 'KUBECONFIG is not set and ~/.kube/config does not exist';
  if (location.paths.length === 0) return `KUBECONFIG=${location.missing.join(':')} names no existing file`;
  return location.paths.join(':');
}

function loadPersonKubeconfig(location: KubeconfigLocation): KubeConfig | undefined {
  if (location.paths.length === 0) return undefined;
  try {
    return loadKubeconfig(location.paths);
  } catch (error) {
    throw new ConfigurationError(
      `the kubeconfig ${location.paths.join(':')} could not be read (${(error as Error).message.split('\n')[0]}); fix it, point KUBECONFIG elsewhere, or unset it and pass --cluster`,
    );
  }
}

/** --target-role-account and how the runner acts there: --target-role-profile, else the organization role. */
function targetRoleAccountOf(settings: RunSettings): TargetRoleAccountInfo | undefined {
  if (!settings.targetRoleAccount) return undefined;
  return {
    accountId: settings.targetRoleAccount,
    ...(settings.targetRoleProfile
      ? { profile: settings.targetRoleProfile }
      : { assumeRoleArn: `arn:aws:iam::${settings.targetRoleAccount}:role/${ORGANIZATION_ACCESS_ROLE}` }),
  };
}

/**
 * Before anything is created: the runner can act in the second account, and it is that account. Else
 * one line saying how it tried and what to pass instead (exit 2).
 */
async function checkTargetRoleAccount(
  account: TargetRoleAccountInfo,
  region: string,
  runnerCredentials: CredentialProvider,
  runId: string,
): Promise<void> {
  const how = account.profile
    ? `with the AWS profile ${account.profile}`
    : `by assuming ${account.assumeRoleArn}`;
  const sts = new STSClient({
    region,
    maxAttempts: 3,
    credentials: account.profile
      ? fromIni({ profile: account.profile })
      : fromTemporaryCredentials({
          params: { RoleArn: account.assumeRoleArn!, RoleSessionName: `pod-identity-conformance-${runId}` },
          masterCredentials: runnerCredentials,
          clientConfig: { region },
        }),
  });
  let found: string | undefined;
  try {
    found = (await sts.send(new GetCallerIdentityCommand({}))).Account;
  } catch (error) {
    throw new ConfigurationError(
      `--target-role-account ${account.accountId}: the runner cannot act there ${how} (${(error as Error).message.split('\n')[0]}); pass --target-role-profile NAME with credentials of that account, or allow the runner to assume ${ORGANIZATION_ACCESS_ROLE} there`,
    );
  } finally {
    sts.destroy();
  }
  if (found !== account.accountId) {
    throw new ConfigurationError(
      `--target-role-account ${account.accountId}: the credentials ${how} belong to account ${found}; name that account or use credentials of ${account.accountId}`,
    );
  }
}

export async function createEksTarget(
  settings: RunSettings,
  runId: string,
  options: TargetStartOptions = { purpose: 'run' },
  deps: EksTargetDeps = defaultEksTargetDeps(),
): Promise<Target> {
  const location = findKubeconfig(deps.env, deps.homeDir);
  const personConfig = loadPersonKubeconfig(location);
  if (settings.context !== undefined) {
    if (!personConfig) {
      throw new ConfigurationError(
        `--context ${settings.context} needs a kubeconfig, but ${describeLocation(location)}; set KUBECONFIG, or drop --context to use --cluster alone`,
      );
    }
    if (!personConfig.getContextObject(settings.context)) {
      const names = personConfig.getContexts().map((c) => c.name);
      throw new ConfigurationError(
        `kubeconfig ${location.paths.join(':')} has no context "${settings.context}"; contexts: ${names.join(', ') || '(none)'}`,
      );
    }
  }
  const contextName = settings.context ?? personConfig?.getCurrentContext();
  const fromContext =
    personConfig && contextName ? eksClusterOfContext(personConfig, contextName) : undefined;
  const clusterName = settings.cluster ?? fromContext?.name;
  if (!clusterName) {
    throw new ConfigurationError(
      personConfig
        ? `no cluster given, and the kubeconfig's context "${contextName ?? ''}" does not name an EKS cluster; pass --cluster NAME`
        : `no cluster given and no kubeconfig (${describeLocation(location)}); pass --cluster NAME --region REGION, or set KUBECONFIG`,
    );
  }
  // A cluster named by the kubeconfig's context lives in the region of that context's ARN.
  const contextRegion = settings.cluster === undefined ? fromContext?.region : undefined;
  const region =
    settings.region ??
    contextRegion ??
    (await sdkRegion()) ??
    deps.env.AWS_DEFAULT_REGION ??
    fromContext?.region;
  if (!region) {
    throw new ConfigurationError(
      `no AWS region for cluster ${clusterName}; pass --region REGION or set AWS_REGION (or the profile's region)`,
    );
  }

  const credentials = deps.credentials ?? fromNodeProviderChain();
  const clientConfig = { region, credentials, maxAttempts: 3 };
  const sts = new STSClient(clientConfig);
  const eks = new EKSClient(clientConfig);
  const iam = new IAMClient(clientConfig);
  // Outside the report directory: reports get uploaded (CI artifacts), and a killed run leaves this behind.
  const accessDirectory = join(tmpdir(), `pic-eks-access-${runId}`);
  let tokenSource: EksTokenSource | undefined;
  let kubeconfigPath: string | undefined;
  let kubeContext: string | undefined;
  let tokenFile: string | undefined;

  /** Kubernetes access for the cluster: a kubeconfig context for its endpoint, else an EKS token. */
  const connect = async (cluster: ClusterFacts): Promise<KubernetesAccess> => {
    let caveat: string | undefined;
    const chosen = settings.context
      ? personConfig!.getContextObject(settings.context)!
      : personConfig
        ? contextForEndpoint(personConfig, cluster.endpoint)
        : undefined;
    let how: string;
    if (chosen && personConfig) {
      kubeContext = chosen.name;
      how = `kubeconfig context ${chosen.name} (${location.paths.join(':')})`;
      const server = contextServer(personConfig, chosen.name);
      if (server && normalizeServer(server) !== normalizeServer(cluster.endpoint)) {
        caveat = `context ${chosen.name} points at ${server}, not at the cluster's endpoint ${cluster.endpoint}`;
      }
      if (location.paths.length === 1) {
        kubeconfigPath = location.paths[0]!;
      } else {
        await createPrivateDirectory(accessDirectory);
        kubeconfigPath = join(accessDirectory, 'kubeconfig');
        await writePrivateFile(kubeconfigPath, singleContextKubeconfig(personConfig, chosen.name));
      }
    } else {
      tokenSource = new EksTokenSource({ clusterName: cluster.name, region, credentials });
      await createPrivateDirectory(accessDirectory);
      tokenFile = join(accessDirectory, 'token');
      await writePrivateFile(tokenFile, (await tokenSource.token()).token);
      kubeconfigPath = join(accessDirectory, 'kubeconfig');
      await writePrivateFile(
        kubeconfigPath,
        tokenFileKubeconfig({
          name: cluster.name,
          server: cluster.endpoint,
          certificateAuthorityData: cluster.certificateAuthorityData,
          tokenFile,
        }),
      );
      kubeContext = undefined;
      how = personConfig
        ? `an in-process EKS token (no context in ${location.paths.join(':')} points at this endpoint)`
        : 'an in-process EKS token (no kubeconfig)';
    }
    const kube = createKubeClients({ kubeconfigPath, ...(kubeContext ? { kubeContext } : {}) });
    return { core: kube.core, apps: kube.apps, how, ...(caveat ? { caveat } : {}) };
  };

  const release = async () => {
    tokenSource?.destroy();
    await removePrivateDirectory(accessDirectory).catch(() => {});
  };

  let outcome: Awaited<ReturnType<typeof runPreflight>>;
  try {
    outcome = await runPreflight({
      sts,
      eks,
      iam,
      clusterName,
      region,
      allowedAccounts: settings.accounts ?? [],
      yes: settings.yes ?? false,
      policy: await loadRunnerPolicy(),
      connect,
      cleanupOnly: options.purpose === 'janitor',
      podPlacement: eksPodSettings(settings),
    });
  } catch (error) {
    await release();
    throw error;
  } finally {
    for (const client of [sts, eks, iam]) client.destroy();
  }

  const targetRoleAccount = targetRoleAccountOf(settings);
  if (targetRoleAccount) {
    try {
      await checkTargetRoleAccount(targetRoleAccount, region, credentials, runId);
    } catch (error) {
      await release();
      throw error;
    }
  }

  // The token file is re-read by the workers' client-node every 60 s; rewrite it well within 15 minutes.
  let refreshing: NodeJS.Timeout | undefined;
  let closed = false;
  if (tokenSource && tokenFile) {
    const source = tokenSource;
    const file = tokenFile;
    refreshing = setInterval(() => {
      source
        .token()
        .then((fresh) => writePrivateFile(file, fresh.token))
        .catch((error: unknown) => {
          // A refresh still under way when the target closed finds its directory gone: nothing to say.
          if (closed) return;
          deps.warn(
            `pod-identity-conformance: refreshing the EKS token for ${clusterName} failed (${(error as Error).message}); the current token stays valid until 15 minutes after it was made`,
          );
        });
    }, deps.tokenRefreshMs ?? TOKEN_REFRESH_MS);
    refreshing.unref();
  }

  const podImage = settings.podImage;
  const pod = eksPodSettings(settings);
  const containers = clientContainers(settings.clientImages);
  if (containers.length > 0) pod.clientContainers = containers;
  const info: TargetInfo = {
    name: 'eks',
    region,
    accountId: outcome.identity.account,
    cluster: { name: outcome.cluster.name, arn: outcome.cluster.arn },
    endpoints: endpointsFromEnvironment(deps.env),
    kubeconfigPath: kubeconfigPath!,
    ...(kubeContext ? { kubeContext } : {}),
    pod,
    capabilities: withClientImages(
      eksCapabilities(pod.image, podImage !== undefined, targetRoleAccount),
      containers,
    ),
    ...(targetRoleAccount ? { targetRoleAccount } : {}),
    runId,
    reportDir: settings.reportDir,
    keep: settings.keep,
    waitTimeoutMs: settings.waitTimeout ? Number(settings.waitTimeout) * 1000 : EKS_WAIT_TIMEOUT_MS,
  };
  let closing: Promise<void> | undefined;
  return {
    info,
    preflight: outcome.checks,
    close: () => {
      closing ??= (async () => {
        closed = true;
        clearInterval(refreshing);
        await release();
      })();
      return closing;
    },
  };
}
