// The eks target's preflight checks, one by one, against stand-in AWS and Kubernetes clients that
// answer the way the real services do (their error names and shapes).

import { describe, expect, it } from 'vitest';
import { PreflightError } from '../../../runner/preflight.ts';
import {
  CHECK_NAMES,
  type ClusterFacts,
  checkAccountAllowed,
  checkAgentOnTestNodes,
  checkCallerIdentity,
  checkCluster,
  checkKubernetesAccess,
  checkPodIdentityAgent,
  checkRunnerPermissions,
  type KubernetesAccess,
  loadRunnerPolicy,
  type PreflightInputs,
  runPreflight,
  sampleResourceArn,
  simulationPrincipal,
} from '../../../targets/eks/preflight.ts';

type Answer = (input: Record<string, unknown>) => unknown;

/** A client whose send() answers per command class name; unknown commands are a test bug. */
function fakeClient(answers: Record<string, Answer>) {
  const calls: Array<{ command: string; input: Record<string, unknown> }> = [];
  return {
    calls,
    send: (async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      const name = command.constructor.name;
      calls.push({ command: name, input: command.input });
      const answer = answers[name];
      if (!answer) throw new Error(`unexpected ${name}`);
      return answer(command.input);
    }) as never,
  };
}

function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: 400 } });
}

function kubeError(code: number): Error {
  return Object.assign(new Error(`HTTP-Code: ${code}`), { code });
}

const IDENTITY = { account: '111122223333', arn: 'arn:aws:iam::111122223333:user/ci' };
const CLUSTER: ClusterFacts = {
  name: 'prod',
  arn: 'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
  endpoint: 'https://ABC.gr7.eu-west-1.eks.amazonaws.com',
  certificateAuthorityData: 'Q0E=',
  status: 'ACTIVE',
  version: '1.31',
  platformVersion: 'eks.12',
};

function describedCluster(overrides: Partial<Record<string, unknown>> = {}) {
  return {
    cluster: {
      name: 'prod',
      arn: CLUSTER.arn,
      endpoint: CLUSTER.endpoint,
      status: 'ACTIVE',
      version: '1.31',
      platformVersion: 'eks.12',
      certificateAuthority: { data: 'Q0E=' },
      ...overrides,
    },
  };
}

const node = (name: string, taints: object[] = [], labels: Record<string, string> = {}) => ({
  metadata: { name, labels },
  spec: { taints },
});
const agentPod = (nodeName: string) => ({ metadata: { name: `agent-${nodeName}` }, spec: { nodeName } });

function kubeAccess(options: {
  readNamespace?: () => Promise<unknown>;
  daemonSet?: () => Promise<unknown>;
  nodes?: object[];
  agents?: object[];
}) {
  return {
    core: {
      readNamespace: options.readNamespace ?? (async () => ({ metadata: { name: 'kube-system' } })),
      listNode: async () => ({ items: options.nodes ?? [node('n1')] }),
      listNamespacedPod: async () => ({ items: options.agents ?? [agentPod('n1')] }),
    },
    apps: { readNamespacedDaemonSet: options.daemonSet ?? (async () => Promise.reject(kubeError(404))) },
    how: 'kubeconfig context prod (~/.kube/config)',
  } as unknown as KubernetesAccess;
}

describe('caller identity', () => {
  it('names the caller and its account', async () => {
    const sts = fakeClient({
      GetCallerIdentityCommand: () => ({ Account: '111122223333', Arn: IDENTITY.arn }),
    });
    const result = await checkCallerIdentity(sts);
    expect(result.identity).toEqual(IDENTITY);
    expect(result.check).toEqual({
      name: CHECK_NAMES.identity,
      status: 'passed',
      detail: 'arn:aws:iam::111122223333:user/ci (account 111122223333)',
    });
  });

  it('fails with what to do when there are no credentials', async () => {
    const sts = fakeClient({
      GetCallerIdentityCommand: () => {
        throw awsError('CredentialsProviderError', 'Could not load credentials from any providers');
      },
    });
    const { check, identity } = await checkCallerIdentity(sts);
    expect(identity).toBeUndefined();
    expect(check.status).toBe('failed');
    expect(check.detail).toContain('Could not load credentials from any providers');
    expect(check.detail).toContain('aws sts get-caller-identity');
  });
});

describe('account guard', () => {
  it('passes an allowed account, and refuses any other naming both', () => {
    expect(checkAccountAllowed(IDENTITY, ['999999999999', '111122223333'], false).status).toBe('passed');
    const refused = checkAccountAllowed(IDENTITY, ['999999999999'], true);
    expect(refused.status).toBe('failed');
    expect(refused.detail).toContain('account 111122223333, which is not an allowed account (999999999999)');
  });

  it('without --account stops unless --yes, saying which account it would have used', () => {
    const stopped = checkAccountAllowed(IDENTITY, [], false);
    expect(stopped.status).toBe('failed');
    expect(stopped.detail).toContain(
      'would create IAM roles, S3 buckets and pod identity associations in account 111122223333',
    );
    expect(stopped.detail).toContain('pass --account 111122223333');
    expect(checkAccountAllowed(IDENTITY, [], true)).toMatchObject({
      status: 'passed',
      detail: 'account 111122223333 accepted by --yes (no --account given)',
    });
  });
});

describe('cluster', () => {
  const where = { clusterName: 'prod', region: 'eu-west-1', account: '111122223333' };

  it('describes an ACTIVE cluster', async () => {
    const eks = fakeClient({ DescribeClusterCommand: () => describedCluster() });
    const { check, cluster } = await checkCluster(eks, where);
    expect(check.status).toBe('passed');
    expect(cluster).toEqual(CLUSTER);
  });

  it('names the clusters that do exist when the one asked for does not', async () => {
    const eks = fakeClient({
      DescribeClusterCommand: () => {
        throw awsError('ResourceNotFoundException', 'No cluster found for name: nope.');
      },
      ListClustersCommand: () => ({ clusters: ['prod', 'staging'] }),
    });
    const { check } = await checkCluster(eks, { ...where, clusterName: 'nope' });
    expect(check).toMatchObject({ status: 'failed' });
    expect(check.detail).toBe(
      'cluster "nope" does not exist in eu-west-1 (account 111122223333); clusters there: prod, staging; check --cluster and --region',
    );
  });

  it('fails a cluster that is not ACTIVE, and one the caller may not describe', async () => {
    const creating = await checkCluster(
      fakeClient({ DescribeClusterCommand: () => describedCluster({ status: 'CREATING' }) }),
      where,
    );
    expect(creating.check.detail).toContain('is CREATING, not ACTIVE');
    const denied = await checkCluster(
      fakeClient({
        DescribeClusterCommand: () => {
          throw awsError('AccessDeniedException', 'User is not authorized to perform: eks:DescribeCluster');
        },
      }),
      where,
    );
    expect(denied.check.status).toBe('failed');
    expect(denied.check.detail).toContain('the runner needs eks:DescribeCluster');
  });
});

describe('Kubernetes access', () => {
  it('passes when the API server answers, saying how access was obtained', async () => {
    const check = await checkKubernetesAccess(kubeAccess({}), CLUSTER, IDENTITY);
    expect(check).toEqual({
      name: CHECK_NAMES.kubernetes,
      status: 'passed',
      detail: `${CLUSTER.endpoint} answers, via kubeconfig context prod (~/.kube/config)`,
    });
  });

  it('explains 401 (no access entry), 403 (no permission) and an unreachable endpoint', async () => {
    const unauthorized = await checkKubernetesAccess(
      kubeAccess({ readNamespace: async () => Promise.reject(kubeError(401)) }),
      CLUSTER,
      IDENTITY,
    );
    expect(unauthorized.detail).toContain('401 Unauthorized');
    expect(unauthorized.detail).toContain('aws eks create-access-entry --cluster-name prod');
    const forbidden = await checkKubernetesAccess(
      kubeAccess({ readNamespace: async () => Promise.reject(kubeError(403)) }),
      CLUSTER,
      IDENTITY,
    );
    expect(forbidden.detail).toContain('403 Forbidden');
    const unreachable = await checkKubernetesAccess(
      kubeAccess({ readNamespace: async () => Promise.reject(new Error('connect ETIMEDOUT 10.0.0.1:443')) }),
      CLUSTER,
      IDENTITY,
    );
    expect(unreachable).toMatchObject({ status: 'failed' });
    expect(unreachable.detail).toContain('could not reach the API server');
  });
});

describe('pod identity agent', () => {
  const daemonSet = (desired: number, ready: number) => async () => ({
    status: { desiredNumberScheduled: desired, numberReady: ready },
  });

  it('passes on an ACTIVE add-on without looking at the DaemonSet', async () => {
    const eks = fakeClient({
      DescribeAddonCommand: () => ({ addon: { status: 'ACTIVE', addonVersion: 'v1.3.8-eksbuild.2' } }),
    });
    const check = await checkPodIdentityAgent(eks, undefined, 'prod');
    expect(check).toMatchObject({
      status: 'passed',
      detail: 'add-on eks-pod-identity-agent v1.3.8-eksbuild.2 is ACTIVE',
    });
  });

  it('without the add-on, passes on a DaemonSet ready on every node, and says so', async () => {
    const eks = fakeClient({
      DescribeAddonCommand: () => {
        throw awsError('ResourceNotFoundException');
      },
    });
    const check = await checkPodIdentityAgent(eks, kubeAccess({ daemonSet: daemonSet(3, 3) }).apps, 'prod');
    expect(check).toMatchObject({
      status: 'passed',
      detail:
        'DaemonSet kube-system/eks-pod-identity-agent ready on 3 of 3 nodes (no eks-pod-identity-agent add-on)',
    });
  });

  it('fails with no add-on and no DaemonSet, or one not ready everywhere, or on no node', async () => {
    const noAddon = fakeClient({
      DescribeAddonCommand: () => {
        throw awsError('ResourceNotFoundException');
      },
    });
    const missing = await checkPodIdentityAgent(noAddon, kubeAccess({}).apps, 'prod');
    expect(missing.status).toBe('failed');
    expect(missing.detail).toContain(
      'aws eks create-addon --cluster-name prod --addon-name eks-pod-identity-agent',
    );
    const partial = await checkPodIdentityAgent(
      noAddon,
      kubeAccess({ daemonSet: daemonSet(3, 2) }).apps,
      'prod',
    );
    expect(partial).toMatchObject({ status: 'failed' });
    expect(partial.detail).toContain('ready on 2 of 3 nodes');
    const nowhere = await checkPodIdentityAgent(
      noAddon,
      kubeAccess({ daemonSet: daemonSet(0, 0) }).apps,
      'prod',
    );
    expect(nowhere.status).toBe('failed');
    const degraded = fakeClient({ DescribeAddonCommand: () => ({ addon: { status: 'DEGRADED' } }) });
    const degradedButRunning = await checkPodIdentityAgent(
      degraded,
      kubeAccess({ daemonSet: daemonSet(2, 2) }).apps,
      'prod',
    );
    expect(degradedButRunning).toMatchObject({ status: 'passed' });
    expect(degradedButRunning.detail).toContain('add-on eks-pod-identity-agent is DEGRADED');
  });
});

describe('runner permissions', () => {
  const where = { region: 'eu-west-1', clusterName: 'prod' };
  const statements = [
    {
      Action: ['iam:CreateRole', 'iam:PassRole'],
      Resource: 'arn:aws:iam::*:role/pod-identity-conformance/*',
    },
    { Action: ['s3:ListAllMyBuckets'], Resource: '*' },
  ];

  it('simulates each statement on a resource of the kind the run creates, passing when all are allowed', async () => {
    const iam = fakeClient({
      SimulatePrincipalPolicyCommand: (input) => ({
        EvaluationResults: (input.ActionNames as string[]).map((action) => ({
          EvalActionName: action,
          EvalResourceName: (input.ResourceArns as string[] | undefined)?.[0] ?? '*',
          EvalDecision: 'allowed',
        })),
      }),
    });
    const check = await checkRunnerPermissions(iam, IDENTITY, statements, where);
    expect(check).toMatchObject({
      status: 'passed',
      detail: '3 actions of docs/runner-iam-policy.json allowed for arn:aws:iam::111122223333:user/ci',
    });
    expect(iam.calls.map((c) => c.input)).toEqual([
      {
        PolicySourceArn: IDENTITY.arn,
        ActionNames: ['iam:CreateRole', 'iam:PassRole'],
        ResourceArns: ['arn:aws:iam::111122223333:role/pod-identity-conformance/preflight-check'],
        Marker: undefined,
      },
      { PolicySourceArn: IDENTITY.arn, ActionNames: ['s3:ListAllMyBuckets'], Marker: undefined },
    ]);
  });

  it('fails listing the denied actions and the policy to attach', async () => {
    const iam = fakeClient({
      SimulatePrincipalPolicyCommand: (input) => ({
        EvaluationResults: (input.ActionNames as string[]).map((action) => ({
          EvalActionName: action,
          EvalResourceName: 'r',
          EvalDecision: action === 'iam:PassRole' ? 'implicitDeny' : 'allowed',
        })),
      }),
    });
    const check = await checkRunnerPermissions(iam, IDENTITY, statements, where);
    expect(check.status).toBe('failed');
    expect(check.detail).toContain('1 of 3 actions denied');
    expect(check.detail).toContain('iam:PassRole on r (implicitDeny)');
    expect(check.detail).toContain('attach docs/runner-iam-policy.json');
  });

  it('simulates an assumed-role session as its role, finding the path with GetRole when needed', async () => {
    const session = {
      account: '111122223333',
      arn: 'arn:aws:sts::111122223333:assumed-role/ci-runner/gha-123',
    };
    const iam = fakeClient({
      SimulatePrincipalPolicyCommand: (input) => {
        if (input.PolicySourceArn === 'arn:aws:iam::111122223333:role/ci-runner')
          throw awsError('NoSuchEntity');
        return { EvaluationResults: [{ EvalActionName: 'x', EvalDecision: 'allowed' }] };
      },
      GetRoleCommand: () => ({ Role: { Arn: 'arn:aws:iam::111122223333:role/ci/ci-runner' } }),
    });
    const check = await checkRunnerPermissions(iam, session, statements, where);
    expect(check.status).toBe('passed');
    expect(check.detail).toContain('arn:aws:iam::111122223333:role/ci/ci-runner');
  });

  it('warns, without failing, when the simulation cannot run', async () => {
    const iam = fakeClient({
      SimulatePrincipalPolicyCommand: () => {
        throw awsError('AccessDenied', 'not authorized to perform: iam:SimulatePrincipalPolicy');
      },
    });
    const check = await checkRunnerPermissions(iam, IDENTITY, statements, where);
    expect(check).toMatchObject({ status: 'warning' });
    expect(check.detail).toContain('could not simulate (iam:SimulatePrincipalPolicy: AccessDenied)');
    expect((await checkRunnerPermissions(iam, IDENTITY, undefined, where)).status).toBe('warning');
  });

  it('reads the committed policy file', async () => {
    const policy = await loadRunnerPolicy();
    expect(policy?.some((s) => (s.Action as string[]).includes('eks:CreatePodIdentityAssociation'))).toBe(
      true,
    );
  });

  it('makes sample ARNs from the policy patterns', () => {
    const sample = { region: 'eu-west-1', account: '111122223333', clusterName: 'prod' };
    expect(sampleResourceArn('arn:aws:s3:::pic-*', sample)).toBe('arn:aws:s3:::pic-preflight-check');
    expect(sampleResourceArn('arn:aws:s3:::pic-*/*', sample)).toBe(
      'arn:aws:s3:::pic-preflight-check/preflight-check',
    );
    expect(sampleResourceArn('arn:aws:eks:*:*:cluster/*', sample)).toBe(
      'arn:aws:eks:eu-west-1:111122223333:cluster/prod',
    );
    expect(sampleResourceArn('arn:aws:eks:*:*:podidentityassociation/*', sample)).toBe(
      'arn:aws:eks:eu-west-1:111122223333:podidentityassociation/prod/a-preflightcheck0000',
    );
    expect(sampleResourceArn('*', sample)).toBe('*');
    expect(simulationPrincipal('arn:aws:iam::111122223333:root')).toMatchObject({
      unsupported: expect.stringContaining('root'),
    });
    expect(simulationPrincipal('arn:aws:sts::111122223333:federated-user/bob')).toHaveProperty('unsupported');
  });
});

describe('runPreflight', () => {
  function inputs(overrides: Partial<PreflightInputs> = {}): PreflightInputs {
    return {
      sts: fakeClient({ GetCallerIdentityCommand: () => ({ Account: IDENTITY.account, Arn: IDENTITY.arn }) }),
      eks: fakeClient({
        DescribeClusterCommand: () => describedCluster(),
        DescribeAddonCommand: () => ({ addon: { status: 'ACTIVE', addonVersion: 'v1' } }),
      }),
      iam: fakeClient({
        SimulatePrincipalPolicyCommand: () => {
          throw awsError('InvalidAction');
        },
      }),
      clusterName: 'prod',
      region: 'eu-west-1',
      allowedAccounts: [IDENTITY.account],
      yes: false,
      policy: [],
      connect: async () => kubeAccess({}),
      ...overrides,
    };
  }

  it('returns every check, in order, when none failed', async () => {
    const outcome = await runPreflight(inputs());
    expect(outcome.checks.map((c) => [c.name, c.status])).toEqual([
      ['caller identity', 'passed'],
      ['account allowed', 'passed'],
      ['cluster', 'passed'],
      ['Pod Identity support', 'passed'],
      ['Kubernetes access', 'passed'],
      ['pod identity agent', 'passed'],
      ['agent on the test pods’ nodes', 'passed'],
      ['runner permissions', 'passed'],
    ]);
    expect(outcome.cluster).toEqual(CLUSTER);
  });

  it('stops at a disallowed account: nothing else is looked at, the rest reported not checked', async () => {
    let connected = false;
    const eks = fakeClient({});
    const error = await runPreflight(
      inputs({
        allowedAccounts: ['999999999999'],
        eks,
        connect: async () => {
          connected = true;
          return kubeAccess({});
        },
      }),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreflightError);
    const { checks, message } = error as PreflightError;
    expect(checks.map((c) => c.status)).toEqual([
      'passed',
      'failed',
      'not checked',
      'not checked',
      'not checked',
      'not checked',
      'not checked',
    ]);
    expect(eks.calls).toEqual([]);
    expect(connected).toBe(false);
    expect(message.split('\n')[0]).toBe(
      'preflight failed (1 of 7 checks); nothing was created. Fix what is marked FAIL and run again:',
    );
    expect(message).toContain('  FAIL  account allowed: the credentials');
  });

  it('collects several failures after the cluster check, each saying what to fix', async () => {
    const error = (await runPreflight(
      inputs({
        eks: fakeClient({
          DescribeClusterCommand: () => describedCluster({ version: '1.28', platformVersion: 'eks.2' }),
          DescribeAddonCommand: () => {
            throw awsError('ResourceNotFoundException');
          },
        }),
      }),
    ).catch((e: unknown) => e)) as PreflightError;
    expect(error).toBeInstanceOf(PreflightError);
    expect(error.checks.filter((c) => c.status === 'failed').map((c) => c.name)).toEqual([
      'Pod Identity support',
      'pod identity agent',
    ]);
  });

  it('for the janitor, checks neither Pod Identity support nor the agent', async () => {
    const outcome = await runPreflight(
      inputs({
        cleanupOnly: true,
        eks: fakeClient({
          DescribeClusterCommand: () => describedCluster({ version: '1.20', platformVersion: 'eks.1' }),
        }),
      }),
    );
    expect(outcome.checks.map((c) => c.name)).toEqual([
      'caller identity',
      'account allowed',
      'cluster',
      'Kubernetes access',
      'runner permissions',
    ]);
  });
});

describe('agent on the test pods’ nodes', () => {
  const tainted = node('n2', [{ key: 'dedicated', value: 'ci', effect: 'NoSchedule' }]);
  const core = (nodes: object[], agents: object[]) => kubeAccess({ nodes, agents }).core;

  it('passes when every node test pods fit on runs an agent pod (a tainted one they do not tolerate is no concern)', async () => {
    const check = await checkAgentOnTestNodes(core([node('n1'), tainted], [agentPod('n1')]), {});
    expect(check).toMatchObject({ status: 'passed', detail: expect.stringContaining('(2 node(s))') });
  });

  it('warns naming the node and its taints when test pods tolerate a node without an agent', async () => {
    const check = await checkAgentOnTestNodes(core([node('n1'), tainted], [agentPod('n1')]), {
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ci', effect: 'NoSchedule' }],
    });
    expect(check.status).toBe('warning');
    expect(check.detail).toBe(
      'test pods may be scheduled on n2 (taints dedicated=ci:NoSchedule), where no pod identity agent runs: pods there get no credentials; let the eks-pod-identity-agent DaemonSet tolerate those taints, or keep test pods off those nodes with --node-selector',
    );
  });

  it('a node selector keeps the prediction to the selected nodes', async () => {
    const check = await checkAgentOnTestNodes(
      core([node('n1', [], { pool: 'a' }), node('n2', [], { pool: 'b' })], [agentPod('n1')]),
      { nodeSelector: { pool: 'a' } },
    );
    expect(check.status).toBe('passed');
  });

  it('warns, without failing, when nodes cannot be listed', async () => {
    const check = await checkAgentOnTestNodes(
      { ...core([], []), listNode: async () => Promise.reject(new Error('nodes is forbidden')) } as never,
      {},
    );
    expect(check).toMatchObject({ status: 'warning', detail: expect.stringContaining('nodes is forbidden') });
  });
});
