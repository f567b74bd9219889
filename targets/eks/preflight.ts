// The eks target's checks before anything is created, each one pass/fail line: who the caller is, that
// the account is one the person allowed, that the cluster exists, is ACTIVE and runs a version with Pod
// Identity, that its Kubernetes API accepts the runner, that the pod identity agent runs (the add-on, or
// its DaemonSet), and that the runner may do what the run will do (iam:SimulatePrincipalPolicy over
// docs/runner-iam-policy.json, reported as a warning when it cannot be simulated). Any failure throws a
// PreflightError (exit 2) listing every check; nothing has been created.

import { readFile } from 'node:fs/promises';
import {
  DescribeAddonCommand,
  DescribeClusterCommand,
  type DescribeClusterCommandOutput,
  type EKSClient,
  ListClustersCommand,
} from '@aws-sdk/client-eks';
import { GetRoleCommand, type IAMClient, SimulatePrincipalPolicyCommand } from '@aws-sdk/client-iam';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import type { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import { PreflightError } from '../../runner/preflight.ts';
import type { PodSettings, PreflightCheck } from '../target.ts';
import { AGENT_POD_SELECTOR, nodesWithoutAgent } from './agent-nodes.ts';
import { podIdentitySupport } from './support.ts';

export const CHECK_NAMES = {
  identity: 'caller identity',
  account: 'account allowed',
  cluster: 'cluster',
  support: 'Pod Identity support',
  kubernetes: 'Kubernetes access',
  agent: 'pod identity agent',
  agentNodes: 'agent on the test pods’ nodes',
  permissions: 'runner permissions',
} as const;

export const AGENT_ADDON_NAME = 'eks-pod-identity-agent';
export const AGENT_DAEMONSET = { namespace: 'kube-system', name: 'eks-pod-identity-agent' };
export const RUNNER_POLICY_URL = new URL('../../docs/runner-iam-policy.json', import.meta.url);

type Sender<T extends { send: unknown }> = Pick<T, 'send'>;

export interface CallerIdentity {
  account: string;
  arn: string;
}

export interface ClusterFacts {
  name: string;
  arn: string;
  endpoint: string;
  /** Base64 PEM of the cluster CA. */
  certificateAuthorityData: string;
  status: string;
  version: string;
  platformVersion: string;
}

export interface KubernetesAccess {
  core: Pick<CoreV1Api, 'readNamespace' | 'listNode' | 'listNamespacedPod'>;
  apps: Pick<AppsV1Api, 'readNamespacedDaemonSet'>;
  /** How access was obtained, for the line: "kubeconfig context x (~/.kube/config)". */
  how: string;
  /** Anything to mention about the choice (e.g. a context whose server differs from the endpoint). */
  caveat?: string;
}

export interface PolicyStatement {
  Action: string | string[];
  Resource: string | string[];
}

/** AWS SDK errors carry `name` (the error code) and `$metadata.httpStatusCode`. */
function awsErrorCode(error: unknown): string {
  const e = error as { name?: string; Code?: string; message?: string };
  return e?.Code ?? e?.name ?? 'Error';
}

function describeAwsError(error: unknown): string {
  const message = (error as Error)?.message ?? String(error);
  const code = awsErrorCode(error);
  return message.startsWith(code) ? message : `${code}: ${message}`;
}

function oneLine(text: string, max = 300): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

const passed = (name: string, detail: string): PreflightCheck => ({ name, status: 'passed', detail });
const failed = (name: string, detail: string): PreflightCheck => ({ name, status: 'failed', detail });
const warning = (name: string, detail: string): PreflightCheck => ({ name, status: 'warning', detail });
const notChecked = (name: string, why: string): PreflightCheck => ({
  name,
  status: 'not checked',
  detail: `not checked: ${why}`,
});

export async function checkCallerIdentity(
  sts: Sender<STSClient>,
): Promise<{ check: PreflightCheck; identity?: CallerIdentity }> {
  try {
    const answer = await sts.send(new GetCallerIdentityCommand({}));
    const identity = { account: answer.Account ?? '', arn: answer.Arn ?? '' };
    return { check: passed(CHECK_NAMES.identity, `${identity.arn} (account ${identity.account})`), identity };
  } catch (error) {
    return {
      check: failed(
        CHECK_NAMES.identity,
        `sts:GetCallerIdentity failed (${oneLine(describeAwsError(error))}); give the runner AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, SSO or a role) and check them with \`aws sts get-caller-identity\``,
      ),
    };
  }
}

/**
 * The guard against running in the wrong account: --account (PIC_ALLOWED_ACCOUNTS), or --yes. For the
 * janitor it guards deleting (its dry run deletes nothing and passes --yes for itself).
 */
export function checkAccountAllowed(
  identity: CallerIdentity,
  allowedAccounts: readonly string[],
  yes: boolean,
  purpose: 'run' | 'janitor' = 'run',
): PreflightCheck {
  const { account, arn } = identity;
  if (allowedAccounts.length > 0) {
    if (allowedAccounts.includes(account))
      return passed(CHECK_NAMES.account, `account ${account} is allowed (--account)`);
    return failed(
      CHECK_NAMES.account,
      `the credentials (${arn}) belong to account ${account}, which is not an allowed account (${allowedAccounts.join(', ')}); use credentials for an allowed account, or add --account ${account} if this is the account to ${purpose === 'janitor' ? 'clean' : 'test'}`,
    );
  }
  if (yes) return passed(CHECK_NAMES.account, `account ${account} accepted by --yes (no --account given)`);
  const would =
    purpose === 'janitor'
      ? `--delete would delete the IAM roles, S3 buckets, namespaces and pod identity associations that runs left in account ${account}`
      : `this run would create IAM roles, S3 buckets and pod identity associations in account ${account}`;
  return failed(
    CHECK_NAMES.account,
    `no allowed account given; ${would} (as ${arn}); pass --account ${account} (or PIC_ALLOWED_ACCOUNTS=${account}) to confirm, or --yes`,
  );
}

export async function checkCluster(
  eks: Sender<EKSClient>,
  where: { clusterName: string; region: string; account: string },
): Promise<{ check: PreflightCheck; cluster?: ClusterFacts }> {
  const { clusterName, region, account } = where;
  let described: DescribeClusterCommandOutput;
  try {
    described = await eks.send(new DescribeClusterCommand({ name: clusterName }));
  } catch (error) {
    if (awsErrorCode(error) === 'ResourceNotFoundException') {
      const others = await eks
        .send(new ListClustersCommand({}))
        .then((list) => list.clusters ?? [])
        .catch(() => undefined);
      const hint =
        others === undefined
          ? ''
          : others.length === 0
            ? '; it has no clusters'
            : `; clusters there: ${others.join(', ')}`;
      return {
        check: failed(
          CHECK_NAMES.cluster,
          `cluster "${clusterName}" does not exist in ${region} (account ${account})${hint}; check --cluster and --region`,
        ),
      };
    }
    return {
      check: failed(
        CHECK_NAMES.cluster,
        `eks:DescribeCluster ${clusterName} in ${region} failed (${oneLine(describeAwsError(error))}); the runner needs eks:DescribeCluster (docs/runner-iam-policy.json)`,
      ),
    };
  }
  const c = described.cluster;
  const cluster: ClusterFacts = {
    name: c?.name ?? clusterName,
    arn: c?.arn ?? '',
    endpoint: c?.endpoint ?? '',
    certificateAuthorityData: c?.certificateAuthority?.data ?? '',
    status: c?.status ?? 'UNKNOWN',
    version: c?.version ?? '',
    platformVersion: c?.platformVersion ?? '',
  };
  if (cluster.status !== 'ACTIVE') {
    return {
      check: failed(
        CHECK_NAMES.cluster,
        `cluster ${cluster.arn || clusterName} is ${cluster.status}, not ACTIVE; wait until it is ACTIVE (aws eks wait cluster-active --name ${clusterName})`,
      ),
      cluster,
    };
  }
  if (!cluster.endpoint) {
    return {
      check: failed(CHECK_NAMES.cluster, `cluster ${cluster.arn} reports no API server endpoint`),
      cluster,
    };
  }
  return { check: passed(CHECK_NAMES.cluster, `${cluster.arn} is ACTIVE at ${cluster.endpoint}`), cluster };
}

export function checkPodIdentitySupport(cluster: ClusterFacts): PreflightCheck {
  const verdict = podIdentitySupport(cluster.version, cluster.platformVersion);
  if (verdict.supported === true) return passed(CHECK_NAMES.support, verdict.reason);
  if (verdict.supported === false) return failed(CHECK_NAMES.support, verdict.reason);
  return warning(CHECK_NAMES.support, verdict.reason);
}

function kubeStatusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

export async function checkKubernetesAccess(
  access: KubernetesAccess,
  cluster: ClusterFacts,
  identity: CallerIdentity,
): Promise<PreflightCheck> {
  try {
    await access.core.readNamespace({ name: 'kube-system' });
    const caveat = access.caveat ? `; ${access.caveat}` : '';
    return passed(CHECK_NAMES.kubernetes, `${cluster.endpoint} answers, via ${access.how}${caveat}`);
  } catch (error) {
    const status = kubeStatusOf(error);
    if (status === 401) {
      return failed(
        CHECK_NAMES.kubernetes,
        `the API server refused the credentials of ${access.how} (401 Unauthorized); give ${identity.arn} access to the cluster (aws eks create-access-entry --cluster-name ${cluster.name} --principal-arn <its IAM ARN>, then associate AmazonEKSClusterAdminPolicy) or use --context with a kubeconfig context that has access`,
      );
    }
    if (status === 403) {
      return failed(
        CHECK_NAMES.kubernetes,
        `authenticated via ${access.how}, but may not read namespace kube-system (403 Forbidden); the runner creates and deletes namespaces, service accounts and pods and execs into pods: grant it that (e.g. AmazonEKSClusterAdminPolicy)`,
      );
    }
    return failed(
      CHECK_NAMES.kubernetes,
      `could not reach the API server ${cluster.endpoint} via ${access.how} (${oneLine((error as Error).message ?? String(error))}); check the network path to the endpoint (private endpoint, VPN) and the kubeconfig`,
    );
  }
}

/** The agent add-on ACTIVE, or else its DaemonSet ready on every node it is scheduled on. */
export async function checkPodIdentityAgent(
  eks: Sender<EKSClient>,
  apps: KubernetesAccess['apps'] | undefined,
  clusterName: string,
): Promise<PreflightCheck> {
  let addonState: string;
  try {
    const answer = await eks.send(new DescribeAddonCommand({ clusterName, addonName: AGENT_ADDON_NAME }));
    const status = answer.addon?.status ?? 'UNKNOWN';
    if (status === 'ACTIVE') {
      return passed(
        CHECK_NAMES.agent,
        `add-on ${AGENT_ADDON_NAME} ${answer.addon?.addonVersion ?? ''} is ACTIVE`.replace('  ', ' '),
      );
    }
    addonState = `add-on ${AGENT_ADDON_NAME} is ${status}`;
  } catch (error) {
    addonState =
      awsErrorCode(error) === 'ResourceNotFoundException'
        ? `no ${AGENT_ADDON_NAME} add-on`
        : `add-on not readable (${oneLine(describeAwsError(error), 120)})`;
  }
  const install = `install it: aws eks create-addon --cluster-name ${clusterName} --addon-name ${AGENT_ADDON_NAME}`;
  if (!apps)
    return failed(
      CHECK_NAMES.agent,
      `${addonState}, and the DaemonSet could not be read without Kubernetes access; ${install}`,
    );
  const where = `${AGENT_DAEMONSET.namespace}/${AGENT_DAEMONSET.name}`;
  try {
    const daemonSet = await apps.readNamespacedDaemonSet(AGENT_DAEMONSET);
    const desired = daemonSet.status?.desiredNumberScheduled ?? 0;
    const ready = daemonSet.status?.numberReady ?? 0;
    if (desired > 0 && ready === desired) {
      return passed(
        CHECK_NAMES.agent,
        `DaemonSet ${where} ready on ${ready} of ${desired} nodes (${addonState})`,
      );
    }
    return failed(
      CHECK_NAMES.agent,
      `${addonState}, and DaemonSet ${where} is ready on ${ready} of ${desired} nodes; ${desired === 0 ? install : 'check its pods: kubectl -n kube-system get pods -l app.kubernetes.io/name=eks-pod-identity-agent'}`,
    );
  } catch (error) {
    if (kubeStatusOf(error) === 404)
      return failed(CHECK_NAMES.agent, `${addonState} and no DaemonSet ${where}; ${install}`);
    return failed(
      CHECK_NAMES.agent,
      `${addonState}, and DaemonSet ${where} could not be read (${oneLine((error as Error).message ?? String(error), 160)}); ${install}`,
    );
  }
}

/**
 * Every node test pods may be scheduled on runs an agent pod. A warning, not a failure: the run can still
 * tell which cases landed there, and their failures name the node.
 */
export async function checkAgentOnTestNodes(
  core: KubernetesAccess['core'],
  placement: Pick<PodSettings, 'tolerations' | 'nodeSelector'>,
): Promise<PreflightCheck> {
  try {
    const [nodes, agents] = await Promise.all([
      core.listNode(),
      core.listNamespacedPod({ namespace: AGENT_DAEMONSET.namespace, labelSelector: AGENT_POD_SELECTOR }),
    ]);
    const uncovered = nodesWithoutAgent(nodes.items, agents.items, placement);
    if (uncovered.length === 0)
      return passed(
        CHECK_NAMES.agentNodes,
        `an agent pod runs on every node test pods may use (${nodes.items.length} node(s))`,
      );
    const list = uncovered
      .map((node) => `${node.name}${node.taints.length > 0 ? ` (taints ${node.taints.join(', ')})` : ''}`)
      .join(', ');
    return warning(
      CHECK_NAMES.agentNodes,
      `test pods may be scheduled on ${list}, where no pod identity agent runs: pods there get no credentials; let the eks-pod-identity-agent DaemonSet tolerate those taints, or keep test pods off those nodes with --node-selector`,
    );
  } catch (error) {
    return warning(
      CHECK_NAMES.agentNodes,
      `nodes or agent pods could not be listed (${oneLine((error as Error).message ?? String(error), 160)}); not checked`,
    );
  }
}

/** A concrete ARN inside a policy resource pattern, standing for what the run will create. */
export function sampleResourceArn(
  pattern: string,
  where: { region: string; account: string; clusterName: string },
): string {
  if (pattern === '*') return '*';
  const { region, account, clusterName } = where;
  return pattern
    .replace(/^arn:aws:([a-z0-9-]+):\*:\*:/, `arn:aws:$1:${region}:${account}:`)
    .replace(/^arn:aws:iam::\*:/, `arn:aws:iam::${account}:`)
    .replace(/:cluster\/\*$/, `:cluster/${clusterName}`)
    .replace(/:podidentityassociation\/\*$/, `:podidentityassociation/${clusterName}/a-preflightcheck0000`)
    .replace(/:addon\/\*$/, `:addon/${clusterName}/${AGENT_ADDON_NAME}/00000000-0000-0000-0000-000000000000`)
    .replaceAll('*', 'preflight-check');
}

/** The IAM ARN to simulate for a caller: assumed-role sessions are simulated as their role. */
export function simulationPrincipal(
  callerArn: string,
): { arn: string; roleName?: string } | { unsupported: string } {
  const assumed = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(callerArn);
  if (assumed)
    return { arn: `arn:${assumed[1]}:iam::${assumed[2]}:role/${assumed[3]}`, roleName: assumed[3] };
  if (/^arn:[^:]+:iam::\d{12}:user\//.test(callerArn)) return { arn: callerArn };
  if (/^arn:[^:]+:iam::\d{12}:root$/.test(callerArn))
    return { unsupported: 'the root user may do everything; prefer an IAM role' };
  return { unsupported: `${callerArn} is not an IAM user or role session` };
}

export async function loadRunnerPolicy(url: URL = RUNNER_POLICY_URL): Promise<PolicyStatement[] | undefined> {
  try {
    const document = JSON.parse(await readFile(url, 'utf8')) as { Statement?: PolicyStatement[] };
    return document.Statement;
  } catch {
    return undefined;
  }
}

/**
 * Simulates the runner's policies for every action of docs/runner-iam-policy.json on a resource of the
 * kind the run creates. Denials fail; a simulation that cannot run is a warning.
 */
export async function checkRunnerPermissions(
  iam: Sender<IAMClient>,
  identity: CallerIdentity,
  statements: PolicyStatement[] | undefined,
  where: { region: string; clusterName: string },
): Promise<PreflightCheck> {
  const name = CHECK_NAMES.permissions;
  if (!statements)
    return warning(name, 'could not simulate: docs/runner-iam-policy.json is missing or unreadable');
  const principal = simulationPrincipal(identity.arn);
  if ('unsupported' in principal) {
    return principal.unsupported.startsWith('the root user')
      ? passed(name, principal.unsupported)
      : warning(name, `could not simulate: ${principal.unsupported}`);
  }
  const sample = { ...where, account: identity.account };
  const simulate = async (policySourceArn: string) => {
    const denied: string[] = [];
    let evaluated = 0;
    for (const statement of statements) {
      const actions = Array.isArray(statement.Action) ? statement.Action : [statement.Action];
      const patterns = Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
      const resources = patterns.map((pattern) => sampleResourceArn(pattern, sample));
      let Marker: string | undefined;
      do {
        const page = await iam.send(
          new SimulatePrincipalPolicyCommand({
            PolicySourceArn: policySourceArn,
            ActionNames: actions,
            ...(resources.includes('*') ? {} : { ResourceArns: resources }),
            Marker,
          }),
        );
        for (const result of page.EvaluationResults ?? []) {
          evaluated++;
          if (result.EvalDecision !== 'allowed') {
            denied.push(
              `${result.EvalActionName} on ${result.EvalResourceName ?? resources.join(',')} (${result.EvalDecision})`,
            );
          }
        }
        Marker = page.IsTruncated ? page.Marker : undefined;
      } while (Marker);
    }
    return { denied, evaluated };
  };
  let outcome: { denied: string[]; evaluated: number };
  let simulatedArn = principal.arn;
  try {
    try {
      outcome = await simulate(simulatedArn);
    } catch (error) {
      // A role under a path: the session ARN does not show the path, GetRole does.
      if (awsErrorCode(error) !== 'NoSuchEntity' || !principal.roleName) throw error;
      const role = await iam.send(new GetRoleCommand({ RoleName: principal.roleName }));
      simulatedArn = role.Role?.Arn ?? simulatedArn;
      outcome = await simulate(simulatedArn);
    }
  } catch (error) {
    return warning(
      name,
      `could not simulate (iam:SimulatePrincipalPolicy: ${oneLine(awsErrorCode(error), 80)}); a missing permission will show as AccessDenied in the cases`,
    );
  }
  if (outcome.denied.length === 0) {
    return passed(
      name,
      `${outcome.evaluated} actions of docs/runner-iam-policy.json allowed for ${simulatedArn}`,
    );
  }
  const shown = outcome.denied.slice(0, 8).join('; ');
  const more = outcome.denied.length > 8 ? `; and ${outcome.denied.length - 8} more` : '';
  return failed(
    name,
    `${outcome.denied.length} of ${outcome.evaluated} actions denied for ${simulatedArn}: ${shown}${more}; attach docs/runner-iam-policy.json to it`,
  );
}

export interface PreflightInputs {
  sts: Sender<STSClient>;
  eks: Sender<EKSClient>;
  iam: Sender<IAMClient>;
  clusterName: string;
  region: string;
  allowedAccounts: readonly string[];
  yes: boolean;
  /** docs/runner-iam-policy.json's statements (undefined: not readable). */
  policy: PolicyStatement[] | undefined;
  /** Opens Kubernetes access to the described cluster (kubeconfig context or an EKS token). */
  connect(cluster: ClusterFacts, identity: CallerIdentity): Promise<KubernetesAccess>;
  /** The janitor only deletes: Pod Identity support and the agent do not matter to it. */
  cleanupOnly?: boolean;
  /** Where test pods may be scheduled (their tolerations and node selector). */
  podPlacement?: Pick<PodSettings, 'tolerations' | 'nodeSelector'>;
}

export interface PreflightOutcome {
  checks: PreflightCheck[];
  identity: CallerIdentity;
  cluster: ClusterFacts;
}

/** Runs every check in order; throws PreflightError when one failed. */
export async function runPreflight(inputs: PreflightInputs): Promise<PreflightOutcome> {
  const checks: PreflightCheck[] = [];
  const remaining = (why: string, ...names: string[]) => {
    for (const name of names) checks.push(notChecked(name, why));
  };
  const later = [CHECK_NAMES.support, CHECK_NAMES.kubernetes, CHECK_NAMES.agent, CHECK_NAMES.permissions];

  const caller = await checkCallerIdentity(inputs.sts);
  checks.push(caller.check);
  if (!caller.identity) {
    remaining('needs the caller identity', CHECK_NAMES.account, CHECK_NAMES.cluster, ...later);
    throw new PreflightError(checks);
  }
  const { identity } = caller;
  const account = checkAccountAllowed(
    identity,
    inputs.allowedAccounts,
    inputs.yes,
    inputs.cleanupOnly ? 'janitor' : 'run',
  );
  checks.push(account);
  if (account.status === 'failed') {
    remaining('the account is not allowed', CHECK_NAMES.cluster, ...later);
    throw new PreflightError(checks);
  }
  const described = await checkCluster(inputs.eks, {
    clusterName: inputs.clusterName,
    region: inputs.region,
    account: identity.account,
  });
  checks.push(described.check);
  const cluster = described.cluster;
  if (!cluster || described.check.status === 'failed') {
    remaining('needs an ACTIVE cluster', ...later);
    throw new PreflightError(checks);
  }
  if (!inputs.cleanupOnly) checks.push(checkPodIdentitySupport(cluster));

  let access: KubernetesAccess | undefined;
  try {
    access = await inputs.connect(cluster, identity);
  } catch (error) {
    checks.push(failed(CHECK_NAMES.kubernetes, oneLine((error as Error).message ?? String(error))));
  }
  let kubernetesOk = false;
  if (access) {
    const check = await checkKubernetesAccess(access, cluster, identity);
    checks.push(check);
    kubernetesOk = check.status === 'passed';
  }
  if (!inputs.cleanupOnly) {
    checks.push(
      await checkPodIdentityAgent(inputs.eks, kubernetesOk ? access?.apps : undefined, cluster.name),
    );
    if (kubernetesOk && access)
      checks.push(await checkAgentOnTestNodes(access.core, inputs.podPlacement ?? {}));
  }
  checks.push(
    await checkRunnerPermissions(inputs.iam, identity, inputs.policy, {
      region: inputs.region,
      clusterName: cluster.name,
    }),
  );
  if (checks.some((check) => check.status === 'failed')) throw new PreflightError(checks);
  return { checks, identity, cluster };
}
