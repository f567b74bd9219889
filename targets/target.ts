// The one interface every target implements. Suites never know which target they run on: they read a
// serialisable TargetInfo (handed to vitest workers with provide/inject) and talk to AWS and Kubernetes
// over real HTTP with the AWS SDK v3 and @kubernetes/client-node.

export const TARGET_NAMES = ['embedded', 'localstack', 'eks'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

/** AWS services the suites call, keyed the way AWS_ENDPOINT_URL_<SERVICE> names them. */
export const AWS_SERVICES = ['iam', 'sts', 's3', 'eks', 'eks-auth'] as const;
export type AwsService = (typeof AWS_SERVICES)[number];

/**
 * What a target can do. A case that needs a capability the target lacks is reported skipped with the
 * capability's reason, never passed and never failed.
 */
export const CAPABILITY_NAMES = [
  /** The AWS side denies what the caller's policies do not allow (LocalStack community does not). */
  'iamEnforcement',
  /** Pod Identity session tags reach IAM policy evaluation as aws:PrincipalTag/*. */
  'sessionTags',
  /** Pods can run the AWS CLI (`aws`). */
  'podAwsCli',
  /** Pods can run the project's JS SDK v3 probe (needs `node` in the pod). */
  'podSdkProbe',
  /** Pods can run the project's boto3 probe (needs `python3` with botocore in the pod). */
  'podBoto3Probe',
  /** Pods can run the project's JS SDK v2 probe (needs `node` and `aws-sdk` v2). */
  'podNodeV2Probe',
  /**
   * Pods see what a pod on an EKS node sees: their own network (the agent at 169.254.170.23, IMDS at
   * 169.254.169.254), volumes at their real paths, the environment as stored.
   */
  'podSandbox',
  /**
   * IRSA: STS AssumeRoleWithWebIdentity verifies the cluster's service-account tokens against an IAM OIDC
   * provider for the cluster's issuer (DescribeCluster identity.oidc.issuer).
   */
  'webIdentityFederation',
  /** A second AWS account where the run may create cross-account target roles (targetRoleArn). */
  'targetRoleAccount',
] as const;
export type CapabilityName = (typeof CAPABILITY_NAMES)[number];

export interface Capability {
  available: boolean;
  /** Why it is (not) available, shown as the skip reason. */
  reason: string;
}
export type Capabilities = Record<CapabilityName, Capability>;

export interface AwsCredentialsInfo {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** A container of the test pods that runs one client in an image of the user's (--client-image). */
export interface ClientContainer {
  /** The client it runs: boto3, sdk-probe, node-v2, aws-cli. */
  client: string;
  image: string;
  /** The container's name in the pod: client-<client>. */
  name: string;
}

export interface PodSettings {
  image: string;
  /** Command that keeps the pod running so the suites can exec into it. */
  command: string[];
  imagePullPolicy: 'Always' | 'IfNotPresent' | 'Never';
  nodeSelector?: Record<string, string>;
  tolerations?: Array<Record<string, string | number>>;
  /** Environment added to every test container (e.g. AWS_EC2_METADATA_DISABLED on real nodes). */
  env: Record<string, string>;
  /** --client-image: more containers, each running a probe in the user's image. */
  clientContainers?: ClientContainer[];
}

/**
 * The second account for cross-account target roles, and how the runner acts there: with these
 * credentials, with this AWS profile, or else by assuming `assumeRoleArn` with the runner's credentials.
 */
export interface TargetRoleAccountInfo {
  accountId: string;
  /** Never logged. */
  credentials?: AwsCredentialsInfo;
  profile?: string;
  assumeRoleArn?: string;
}

/** Everything a test needs to reach the target. Plain data: it crosses into vitest workers. */
export interface TargetInfo {
  name: TargetName;
  region: string;
  accountId: string;
  cluster: { name: string; arn: string };
  /**
   * Endpoint per AWS service. Absent means the SDK's default resolution (real AWS, or AWS_ENDPOINT_URL
   * from the environment).
   */
  endpoints: Partial<Record<AwsService, string>>;
  /** Runner credentials. Absent means the SDK's default credential chain. Never logged. */
  credentials?: AwsCredentialsInfo;
  /** Path of the kubeconfig file to load, and the context to use (default: current context). */
  kubeconfigPath: string;
  kubeContext?: string;
  pod: PodSettings;
  capabilities: Capabilities;
  /** The second account, when the target has one (capability targetRoleAccount). */
  targetRoleAccount?: TargetRoleAccountInfo;
  /** Run id carried by every created resource: pic-<yyyymmddhhmm>-<5 random>. */
  runId: string;
  /** Where reports and the run ledger are written. */
  reportDir: string;
  /** Skip teardown and report what was kept. */
  keep: boolean;
  /** Upper bound for a single wait (pod Running, association effective, role assumable), in ms. */
  waitTimeoutMs: number;
  /** Labels every test namespace carries (--namespace-label), e.g. what the cluster's network policies select. */
  namespaceLabels?: Record<string, string>;
}

/** One check a target made before creating anything (the eks target's preflight), for the reports. */
export interface PreflightCheck {
  /** What was checked, e.g. "account allowed". */
  name: string;
  /** warning: could not be decided, reported without failing; not checked: an earlier check failed. */
  status: 'passed' | 'failed' | 'warning' | 'not checked';
  /** What was found and, when it failed, what to change. */
  detail: string;
}

/** A resolved target: its info plus what must be released when the run ends. */
export interface Target {
  info: TargetInfo;
  close(): Promise<void>;
  /** The checks the target made before anything was created, when it makes any. */
  preflight?: PreflightCheck[];
}
