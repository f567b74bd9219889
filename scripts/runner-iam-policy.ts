// npm run iam-policy: writes docs/runner-iam-policy.json, the least-privilege IAM policy for the runner
// on a real cluster, generated from what the code calls. Every AWS SDK command constructed
// (`new XxxCommand(`, aliased imports included) in the code that runs against real AWS is mapped, through the explicit table
// below, to the IAM actions it needs, scoped to the tool's markers where IAM allows it (roles under the
// path /pod-identity-conformance/, buckets pic-*). A command without a mapping is an error: add it to
// COMMAND_ACTIONS. `--check` exits 1 with a diff when the committed file is stale.
//
//   npm run iam-policy              # regenerate docs/runner-iam-policy.json
//   npm run iam-policy -- --check   # fail if it is out of date

import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPOSITORY_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const POLICY_PATH = join(REPOSITORY_ROOT, 'docs', 'runner-iam-policy.json');

/**
 * What runs against real AWS with the runner's credentials: the suites, their fixtures and helpers, the
 * eks target (preflight) and the janitor. The embedded and localstack targets never reach real AWS.
 */
export const SCANNED_PATHS = [
  'fixtures',
  'helpers',
  'suites',
  'targets/eks.ts',
  'targets/eks',
  'scripts/janitor.ts',
];

/** Resource scopes, by kind. `*` where the action has no resource-level permissions. */
export const RESOURCE_SCOPES = {
  any: '*',
  // The tool's roles live under its path. A role that does not exist (yet, or any more) has no known
  // path, so IAM may judge GetRole/PutRolePolicy on it by role/NAME: its names (pic-…) are allowed too,
  // so those calls answer NoSuchEntity, which the fixtures wait on, instead of AccessDenied.
  toolRole: ['arn:aws:iam::*:role/pod-identity-conformance/*', 'arn:aws:iam::*:role/pic-*'],
  toolBucket: 'arn:aws:s3:::pic-*',
  toolObject: 'arn:aws:s3:::pic-*/*',
  cluster: 'arn:aws:eks:*:*:cluster/*',
  addon: 'arn:aws:eks:*:*:addon/*',
  association: 'arn:aws:eks:*:*:podidentityassociation/*',
  oidcProvider: 'arn:aws:iam::*:oidc-provider/*',
} as const;
export type ResourceScope = keyof typeof RESOURCE_SCOPES;

/** Statement ids, per scope: what each statement is for. */
const STATEMENT_IDS: Record<ResourceScope, string> = {
  any: 'ActionsWithoutResourceLevelPermissions',
  toolRole: 'RolesUnderTheToolPath',
  toolBucket: 'BucketsNamedPic',
  toolObject: 'ObjectsInBucketsNamedPic',
  cluster: 'TheClusterUnderTest',
  addon: 'ThePodIdentityAgentAddon',
  association: 'PodIdentityAssociations',
  oidcProvider: 'OidcProvidersForIrsa',
};

export interface ActionGrant {
  action: string;
  scope: ResourceScope;
}

const grant = (action: string, scope: ResourceScope): ActionGrant => ({ action, scope });

/**
 * `service:Command` -> the IAM actions it needs. An empty list: no permission needed
 * (sts:GetCallerIdentity). Commands that tag on create also need the tagging action; commands that hand
 * a role to EKS need iam:PassRole on it.
 */
export const COMMAND_ACTIONS: Record<string, ActionGrant[]> = {
  // STS
  'sts:GetCallerIdentity': [],
  // IAM roles (fixtures/iam-role.ts)
  'iam:CreateRole': [grant('iam:CreateRole', 'toolRole'), grant('iam:TagRole', 'toolRole')],
  'iam:GetRole': [grant('iam:GetRole', 'toolRole')],
  'iam:DeleteRole': [grant('iam:DeleteRole', 'toolRole')],
  'iam:ListRoles': [grant('iam:ListRoles', 'any')],
  'iam:ListRoleTags': [grant('iam:ListRoleTags', 'toolRole')],
  'iam:TagRole': [grant('iam:TagRole', 'toolRole')],
  'iam:UntagRole': [grant('iam:UntagRole', 'toolRole')],
  'iam:PutRolePolicy': [grant('iam:PutRolePolicy', 'toolRole')],
  'iam:GetRolePolicy': [grant('iam:GetRolePolicy', 'toolRole')],
  'iam:DeleteRolePolicy': [grant('iam:DeleteRolePolicy', 'toolRole')],
  'iam:ListRolePolicies': [grant('iam:ListRolePolicies', 'toolRole')],
  'iam:AttachRolePolicy': [grant('iam:AttachRolePolicy', 'toolRole')],
  'iam:DetachRolePolicy': [grant('iam:DetachRolePolicy', 'toolRole')],
  'iam:ListAttachedRolePolicies': [grant('iam:ListAttachedRolePolicies', 'toolRole')],
  'iam:UpdateAssumeRolePolicy': [grant('iam:UpdateAssumeRolePolicy', 'toolRole')],
  // IRSA: the cluster issuer's OIDC provider (fixtures/oidc-provider.ts); deleted only when tagged by the tool
  'iam:CreateOpenIDConnectProvider': [
    grant('iam:CreateOpenIDConnectProvider', 'oidcProvider'),
    grant('iam:TagOpenIDConnectProvider', 'oidcProvider'),
  ],
  'iam:GetOpenIDConnectProvider': [grant('iam:GetOpenIDConnectProvider', 'oidcProvider')],
  'iam:ListOpenIDConnectProviders': [grant('iam:ListOpenIDConnectProviders', 'any')],
  'iam:DeleteOpenIDConnectProvider': [grant('iam:DeleteOpenIDConnectProvider', 'oidcProvider')],
  // The preflight's permission check (targets/eks/preflight.ts): the caller simulates its own policies.
  'iam:SimulatePrincipalPolicy': [grant('iam:SimulatePrincipalPolicy', 'any')],
  // S3 buckets (fixtures/s3-bucket.ts) and objects (suites)
  's3:CreateBucket': [grant('s3:CreateBucket', 'toolBucket'), grant('s3:TagResource', 'toolBucket')],
  's3:DeleteBucket': [grant('s3:DeleteBucket', 'toolBucket')],
  's3:HeadBucket': [grant('s3:ListBucket', 'toolBucket')],
  's3:ListObjectsV2': [grant('s3:ListBucket', 'toolBucket')],
  's3:ListObjects': [grant('s3:ListBucket', 'toolBucket')],
  's3:ListBuckets': [grant('s3:ListAllMyBuckets', 'any')],
  's3:PutBucketTagging': [grant('s3:PutBucketTagging', 'toolBucket')],
  's3:GetBucketTagging': [grant('s3:GetBucketTagging', 'toolBucket')],
  's3:PutBucketPolicy': [grant('s3:PutBucketPolicy', 'toolBucket')],
  's3:DeleteBucketPolicy': [grant('s3:DeleteBucketPolicy', 'toolBucket')],
  's3:PutObject': [grant('s3:PutObject', 'toolObject')],
  's3:GetObject': [grant('s3:GetObject', 'toolObject')],
  's3:HeadObject': [grant('s3:GetObject', 'toolObject')],
  's3:DeleteObject': [grant('s3:DeleteObject', 'toolObject')],
  's3:DeleteObjects': [grant('s3:DeleteObject', 'toolObject')],
  // EKS
  'eks:ListClusters': [grant('eks:ListClusters', 'any')],
  'eks:DescribeCluster': [grant('eks:DescribeCluster', 'cluster')],
  'eks:DescribeAddon': [grant('eks:DescribeAddon', 'addon')],
  'eks:ListAddons': [grant('eks:ListAddons', 'cluster')],
  'eks:CreatePodIdentityAssociation': [
    grant('eks:CreatePodIdentityAssociation', 'cluster'),
    grant('eks:TagResource', 'association'),
    grant('iam:PassRole', 'toolRole'),
  ],
  'eks:DescribePodIdentityAssociation': [grant('eks:DescribePodIdentityAssociation', 'association')],
  'eks:UpdatePodIdentityAssociation': [
    grant('eks:UpdatePodIdentityAssociation', 'association'),
    grant('iam:PassRole', 'toolRole'),
  ],
  'eks:DeletePodIdentityAssociation': [grant('eks:DeletePodIdentityAssociation', 'association')],
  'eks:ListPodIdentityAssociations': [grant('eks:ListPodIdentityAssociations', 'cluster')],
  'eks:ListTagsForResource': [grant('eks:ListTagsForResource', 'association')],
};

export interface CommandUse {
  /** `service:Command`, e.g. s3:ListObjectsV2. */
  command: string;
  /** Repository-relative path of a file that constructs it. */
  file: string;
}

const IMPORT_FROM_SDK = /import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*['"]@aws-sdk\/client-([a-z0-9-]+)['"]/g;
const NEW_EXPRESSION = /\bnew\s+([A-Za-z_$][\w$]*)\s*\(/g;

/** The SDK commands a source file constructs, with the service each is imported from. */
export function commandsInSource(source: string, file: string): CommandUse[] {
  const serviceOf = new Map<string, string>();
  for (const match of source.matchAll(IMPORT_FROM_SDK)) {
    for (const part of match[1]!.split(',')) {
      const names = part
        .trim()
        .replace(/^type\s+/, '')
        .split(/\s+as\s+/);
      const local = (names[1] ?? names[0])!.trim();
      const imported = names[0]!.trim();
      if (local && imported.endsWith('Command')) {
        serviceOf.set(local, `${match[2]}:${imported.replace(/Command$/, '')}`);
      }
    }
  }
  const uses: CommandUse[] = [];
  for (const match of source.matchAll(NEW_EXPRESSION)) {
    const local = match[1]!;
    const command = serviceOf.get(local);
    if (!command && !local.endsWith('Command')) continue;
    if (!command) {
      throw new Error(
        `${file}: cannot tell which AWS service ${local} belongs to; import it from @aws-sdk/client-<service> in that file`,
      );
    }
    uses.push({ command, file });
  }
  return uses;
}

async function sourceFiles(root: string, path: string): Promise<string[]> {
  const full = join(root, path);
  if (!existsSync(full)) return [];
  if (/\.(ts|mts|js|mjs)$/.test(path)) return [full];
  const entries = await readdir(full, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ts|mts|js|mjs)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every command the scanned code constructs, sorted, each with the first file that does. */
export async function scanCommands(root = REPOSITORY_ROOT, paths = SCANNED_PATHS): Promise<CommandUse[]> {
  const found = new Map<string, CommandUse>();
  for (const path of paths) {
    for (const file of await sourceFiles(root, path)) {
      const relativePath = relative(root, file).split(sep).join('/');
      for (const use of commandsInSource(await readFile(file, 'utf8'), relativePath)) {
        if (!found.has(use.command)) found.set(use.command, use);
      }
    }
  }
  return [...found.values()].sort((a, b) => a.command.localeCompare(b.command));
}

export interface PolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Action: string[];
  Resource: string | readonly string[];
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: PolicyStatement[];
}

/** The policy for these commands: one statement per resource scope, actions sorted. */
export function policyFor(uses: readonly CommandUse[]): PolicyDocument {
  const unmapped = uses.filter((use) => COMMAND_ACTIONS[use.command] === undefined);
  if (unmapped.length > 0) {
    throw new Error(
      `no IAM mapping for ${unmapped.map((u) => `${u.command} (${u.file})`).join(', ')}; add it to COMMAND_ACTIONS in scripts/runner-iam-policy.ts`,
    );
  }
  const byScope = new Map<ResourceScope, Set<string>>();
  for (const use of uses) {
    for (const { action, scope } of COMMAND_ACTIONS[use.command]!) {
      if (!byScope.has(scope)) byScope.set(scope, new Set());
      byScope.get(scope)!.add(action);
    }
  }
  const scopes = (Object.keys(RESOURCE_SCOPES) as ResourceScope[]).filter((scope) => byScope.has(scope));
  return {
    Version: '2012-10-17',
    Statement: scopes.map((scope) => ({
      Sid: STATEMENT_IDS[scope],
      Effect: 'Allow',
      Action: [...byScope.get(scope)!].sort(),
      Resource: RESOURCE_SCOPES[scope],
    })),
  };
}

const LINE_WIDTH = 110;

function renderResource(resource: string | readonly string[]): string {
  return typeof resource === 'string'
    ? JSON.stringify(resource)
    : `[${resource.map((r) => JSON.stringify(r)).join(', ')}]`;
}

/** JSON laid out as the repository's formatter (biome) lays it out: action lists on one line when they fit. */
export function renderPolicy(policy: PolicyDocument): string {
  const lines = ['{', '  "Version": "2012-10-17",', '  "Statement": ['];
  policy.Statement.forEach((statement, index) => {
    const actions = statement.Action.map((action) => JSON.stringify(action));
    const inline = `      "Action": [${actions.join(', ')}],`;
    lines.push(
      '    {',
      `      "Sid": ${JSON.stringify(statement.Sid)},`,
      `      "Effect": ${JSON.stringify(statement.Effect)},`,
      ...(inline.length <= LINE_WIDTH
        ? [inline]
        : [
            '      "Action": [',
            ...actions.map((a, i) => `        ${a}${i < actions.length - 1 ? ',' : ''}`),
            '      ],',
          ]),
      `      "Resource": ${renderResource(statement.Resource)}`,
      index < policy.Statement.length - 1 ? '    },' : '    }',
    );
  });
  lines.push('  ]', '}');
  return `${lines.join('\n')}\n`;
}

export async function generatePolicyText(root = REPOSITORY_ROOT): Promise<string> {
  return renderPolicy(policyFor(await scanCommands(root)));
}

/** A line diff of two texts (enough to show what changed in a small JSON file). */
export function lineDiff(before: string, after: string): string {
  const a = before.split('\n');
  const b = after.split('\n');
  const lines: string[] = [];
  // Longest common subsequence, then walk it.
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      lines.push(`+ ${b[j++]}`);
    } else {
      lines.push(`- ${a[i++]}`);
    }
  }
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const check = argv.includes('--check');
  const unknown = argv.filter((arg) => arg !== '--check');
  if (unknown.length > 0) {
    process.stderr.write(`unknown argument ${unknown[0]}; usage: npm run iam-policy [-- --check]\n`);
    return 2;
  }
  let generated: string;
  try {
    generated = await generatePolicyText();
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 1;
  }
  const committed = existsSync(POLICY_PATH) ? await readFile(POLICY_PATH, 'utf8') : '';
  if (check) {
    if (committed === generated) return 0;
    process.stderr.write(
      `docs/runner-iam-policy.json is out of date; run \`npm run iam-policy\`:\n${lineDiff(committed, generated)}\n`,
    );
    return 1;
  }
  if (committed !== generated) {
    await mkdir(dirname(POLICY_PATH), { recursive: true });
    await writeFile(POLICY_PATH, generated);
  }
  process.stdout.write(
    `${relative(process.cwd(), POLICY_PATH) || POLICY_PATH} ${committed === generated ? 'is up to date' : 'written'}\n`,
  );
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main(process.argv.slice(2));
}
