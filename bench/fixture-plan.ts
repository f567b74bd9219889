// What each file of the pod-identity suite waits for, as a graph of steps: which fixtures it needs,
// which of them depend on which, and the calls its cases make. Durations come from a latency profile
// (sim/latency.ts), never from a measured run: bench/floor.ts turns plan + profile into the floor, the
// time the suite cannot go below under that profile. A suite file without a plan fails
// test/bench/fixture-plan.test.ts, so the plan follows the suite.

export type ApiService = 'iam' | 'sts' | 's3' | 'eks' | 'eks-auth';

/** One thing a step waits for; its duration is the profile's. */
export type Wait =
  | { api: ApiService; calls?: number }
  /** A case that waits by design: a client kept running past its credentials' lifetimes. */
  | { heldMs: number }
  | 'iamPropagation'
  | 'associationPropagation'
  | 'podStart'
  | 'namespaceDeletion'
  /** A client's first call in a pod: the agent's EKS Auth call, which assumes the role through STS. */
  | 'podCredentials'
  /**
   * A client in a pod without an association: its default credential chain ends at the instance
   * metadata service, whose token request a hop limit of 1 never answers; both clients give up after
   * their default 1 s timeout (botocore `metadata_service_timeout`, the JS SDK's `fromInstanceMetadata`).
   * Not a profile figure: the same with or without one.
   */
  | 'noCredentialsTimeout';

export interface PlanStep {
  id: string;
  waits: Wait[];
  /** Steps that must end before this one starts (default: none). */
  after?: string[];
}

export interface FilePlan {
  /** As the reports name it: pod-identity/credentials.test.ts. */
  file: string;
  /** A `.last` file: runs after all the others. */
  last?: boolean;
  steps: PlanStep[];
}

// aws-cli, sdk-probe and boto3 (the embedded default): each case runs once per client, in turn.
const CLIENTS = 3;
/** The clients with a keep-calling loop (credential refresh): aws-cli and sdk-probe. */
const LONG_CALL_CLIENTS = 2;
/** credential-refresh.test.ts: its association's credentials live 5 s; each client runs past 2.25 of them. */
const REFRESH_HELD_MS = 5_000 * 2.25;

/** A namespace, service account, role (with its policy), association and a pod it has reached. */
function associatedApp(prefix: string, options: { permissions?: boolean; after?: string[] } = {}) {
  const p = (id: string) => `${prefix}${id}`;
  return [
    { id: p('namespace'), waits: [], after: options.after },
    { id: p('serviceAccount'), waits: [], after: [p('namespace')] },
    { id: p('role'), waits: [{ api: 'iam', calls: options.permissions ? 2 : 1 }], after: options.after },
    { id: p('roleVisible'), waits: ['iamPropagation'], after: [p('role')] },
    {
      id: p('association'),
      waits: [{ api: 'eks' }],
      after: [p('serviceAccount'), p('roleVisible')],
    },
    { id: p('associationApplied'), waits: ['associationPropagation'], after: [p('association')] },
    { id: p('pod'), waits: ['podStart'], after: [p('associationApplied')] },
  ] satisfies PlanStep[];
}

/** Cases one after the other, each call of each client in turn. */
function cases(after: string[], perClient: Wait[], clients = CLIENTS): PlanStep {
  return { id: 'cases', waits: Array.from({ length: clients }, () => perClient).flat(), after };
}

/**
 * The file's teardown, newest kind first: pods, associations (delete, then listed until gone),
 * roles (policies listed and deleted, the role deleted and checked gone), buckets, namespaces.
 */
function teardown(options: { associations: boolean; roles: boolean; bucket?: boolean }): PlanStep {
  return {
    id: 'teardown',
    waits: [
      ...(options.associations ? [{ api: 'eks' as const, calls: 3 }] : []),
      ...(options.roles ? [{ api: 'iam' as const, calls: 5 }] : []),
      ...(options.bucket ? [{ api: 's3' as const, calls: 3 }] : []),
      'namespaceDeletion',
    ],
    after: ['cases'],
  };
}

const whoami: Wait[] = ['podCredentials', { api: 'sts' }];

export const POD_IDENTITY_PLAN: FilePlan[] = [
  {
    file: 'pod-identity/credentials.test.ts',
    steps: [...associatedApp(''), cases(['pod'], whoami), teardown({ associations: true, roles: true })],
  },
  {
    file: 'pod-identity/s3-round-trip.test.ts',
    steps: [
      { id: 'bucket', waits: [{ api: 's3', calls: 2 }] },
      ...associatedApp('', { permissions: true, after: ['bucket'] }),
      cases(['pod'], ['podCredentials', { api: 's3', calls: 2 }]),
      teardown({ associations: true, roles: true, bucket: true }),
    ],
  },
  {
    file: 'pod-identity/isolation.test.ts',
    steps: [
      { id: 'namespaces', waits: [] },
      { id: 'bucket', waits: [{ api: 's3', calls: 2 }] },
      ...['a', 'b'].flatMap((w) => [
        { id: `${w}role`, waits: [{ api: 'iam' as const, calls: 2 }], after: ['bucket'] },
        { id: `${w}roleVisible`, waits: ['iamPropagation' as const], after: [`${w}role`] },
        { id: `${w}association`, waits: [{ api: 'eks' as const }], after: ['namespaces', `${w}roleVisible`] },
      ]),
      { id: 'bAssociationApplied', waits: ['associationPropagation'], after: ['bassociation'] },
      { id: 'podB', waits: ['podStart'], after: ['bAssociationApplied'] },
      // The unassociated pods need only their namespaces.
      { id: 'unassociatedPods', waits: ['podStart'], after: ['namespaces'] },
      cases(
        ['podB', 'unassociatedPods', 'aassociation'],
        ['noCredentialsTimeout', 'noCredentialsTimeout', ...whoami, { api: 's3', calls: 2 }],
      ),
      teardown({ associations: true, roles: true, bucket: true }),
    ],
  },
  {
    file: 'pod-identity/session-tags.test.ts',
    steps: [
      { id: 'namespace', waits: [] },
      { id: 'bucket', waits: [{ api: 's3', calls: 2 }] },
      { id: 'role', waits: [{ api: 'iam', calls: 2 }], after: ['bucket'] },
      { id: 'roleVisible', waits: ['iamPropagation'], after: ['role'] },
      ...['tagged', 'untagged', 'unlisted'].flatMap((sa) => [
        { id: `${sa}Association`, waits: [{ api: 'eks' as const }], after: ['namespace', 'roleVisible'] },
        { id: `${sa}Applied`, waits: ['associationPropagation' as const], after: [`${sa}Association`] },
        { id: `${sa}Pod`, waits: ['podStart' as const], after: [`${sa}Applied`] },
      ]),
      cases(
        ['taggedPod', 'untaggedPod', 'unlistedPod'],
        ['podCredentials', { api: 's3', calls: 2 }, 'podCredentials', 'podCredentials'],
      ),
      teardown({ associations: true, roles: true, bucket: true }),
    ],
  },
  {
    file: 'pod-identity/mutation.test.ts',
    steps: [
      ...associatedApp(''),
      { id: 'unassociatedPod', waits: ['podStart'], after: ['serviceAccount'] },
      // Reads of the stored pods and execs without AWS calls.
      { id: 'cases', waits: [], after: ['pod', 'unassociatedPod'] },
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/agent-hardening.test.ts',
    steps: [
      ...associatedApp(''),
      // curl against the agent: one EKS Auth call (the control case); the refusals call nothing.
      { id: 'cases', waits: ['podCredentials'], after: ['pod'] },
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/association-lifecycle.test.ts',
    steps: [
      { id: 'namespace', waits: [] },
      { id: 'serviceAccount', waits: [], after: ['namespace'] },
      { id: 'roles', waits: [{ api: 'iam', calls: 1 }] },
      { id: 'rolesVisible', waits: ['iamPropagation'], after: ['roles'] },
      { id: 'association', waits: [{ api: 'eks' }], after: ['serviceAccount', 'rolesVisible'] },
      { id: 'associationApplied', waits: ['associationPropagation'], after: ['association'] },
      { id: 'firstPod', waits: ['podStart'], after: ['associationApplied'] },
      // Moved to role B: the update propagates before a new pod gets it.
      {
        id: 'cases',
        waits: [
          ...whoami,
          { api: 'eks' },
          'associationPropagation',
          'podStart',
          ...whoami,
          { api: 'sts' },
          // Deleted: deletion applies at once; a new pod gets nothing.
          { api: 'eks', calls: 3 },
          'podStart',
          'noCredentialsTimeout',
        ],
        after: ['firstPod'],
      },
      teardown({ associations: false, roles: true }),
    ],
  },
  {
    file: 'pod-identity/session-policy.test.ts',
    steps: [
      { id: 'bucket', waits: [{ api: 's3', calls: 2 }] },
      ...associatedApp('', { permissions: true, after: ['bucket'] }),
      cases(['pod'], ['podCredentials', { api: 's3', calls: 2 }]),
      teardown({ associations: true, roles: true, bucket: true }),
    ],
  },
  {
    file: 'pod-identity/credential-refresh.test.ts',
    steps: [
      ...associatedApp(''),
      cases(['pod'], [...whoami, { heldMs: REFRESH_HELD_MS }], LONG_CALL_CLIENTS),
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/irsa.test.ts',
    steps: [
      { id: 'namespace', waits: [] },
      // The cluster's OIDC provider, the IRSA role (web-identity trust) and the Pod Identity role.
      { id: 'roles', waits: [{ api: 'iam', calls: 3 }] },
      { id: 'rolesVisible', waits: ['iamPropagation'], after: ['roles'] },
      { id: 'association', waits: [{ api: 'eks' }], after: ['namespace', 'rolesVisible'] },
      { id: 'associationApplied', waits: ['associationPropagation'], after: ['association'] },
      { id: 'irsaPods', waits: ['podStart'], after: ['rolesVisible'] },
      { id: 'pods', waits: ['podStart'], after: ['associationApplied'] },
      // Web identity and Pod Identity calls per client; the migration restarts pods twice.
      {
        id: 'cases',
        waits: [
          ...Array.from({ length: CLIENTS }, () => [
            { api: 'sts' as const },
            ...whoami,
            { api: 'sts' as const },
          ]).flat(),
          { api: 'eks' },
          'associationPropagation',
          'podStart',
          'podStart',
          ...whoami,
        ],
        after: ['irsaPods', 'pods'],
      },
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/target-role.test.ts',
    steps: [
      { id: 'namespace', waits: [] },
      // The source role, the target role in the other account and the one that refuses it.
      { id: 'roles', waits: [{ api: 'iam', calls: 4 }] },
      { id: 'rolesVisible', waits: ['iamPropagation'], after: ['roles'] },
      { id: 'associations', waits: [{ api: 'eks', calls: 2 }], after: ['namespace', 'rolesVisible'] },
      { id: 'associationsApplied', waits: ['associationPropagation'], after: ['associations'] },
      { id: 'pods', waits: ['podStart'], after: ['associationsApplied'] },
      // Chained credentials (EKS Auth assumes twice), a GetRole, a refusal, per client.
      cases(['pods'], ['podCredentials', { api: 'sts', calls: 2 }, { api: 'iam' }, 'podCredentials']),
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/misconfiguration.test.ts',
    steps: [
      { id: 'namespace', waits: [] },
      { id: 'earlyPod', waits: ['podStart'], after: ['namespace'] },
      ...associatedApp('', { after: ['earlyPod'] }),
      { id: 'otherPod', waits: ['podStart'], after: ['pod'] },
      // Listing associations; a refused association; a role made, associated, deleted and refused.
      {
        id: 'cases',
        waits: [
          { api: 'eks', calls: 4 },
          { api: 'iam', calls: 2 },
          'iamPropagation',
          { api: 'eks' },
          { api: 'iam', calls: 2 },
          'iamPropagation',
          { api: 'eks' },
          'associationPropagation',
          'podStart',
          { api: 'iam', calls: 3 },
          'podCredentials',
        ],
        after: ['otherPod'],
      },
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/client-compatibility.test.ts',
    steps: [
      ...associatedApp(''),
      // Every client of the run and the two old releases, at once in one pod.
      { id: 'cases', waits: [...whoami, 'noCredentialsTimeout'], after: ['pod'] },
      teardown({ associations: true, roles: true }),
    ],
  },
  {
    file: 'pod-identity/cleanup.last.test.ts',
    last: true,
    steps: [{ id: 'cases', waits: [{ api: 'iam' }, { api: 'eks' }, { api: 's3' }] }],
  },
];
