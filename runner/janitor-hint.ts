// What to tell a person whose run may have left resources: the janitor command that finds them, for the
// same target (and cluster, region, context, endpoint and accounts, which the janitor needs to look in
// the right place and to pass its account guard). Every command printed runs as printed: nothing the
// janitor refuses (--target embedded, --localstack-container), and on eks --delete with the --account
// or --yes the run had, which the janitor's account guard asks for again. On the embedded target nothing can outlive the run:
// the simulator holding it all stops with the runner; a LocalStack container started for the run goes
// with it too.

import type { TargetName } from '../targets/target.ts';

export interface LeftoverScope {
  target: TargetName;
  runId: string;
  cluster?: string;
  region?: string;
  /** The kubeconfig context the run used (eks). */
  context?: string;
  /** The LocalStack endpoint the run used, when not the default. */
  localstackEndpoint?: string;
  /** The run started its own LocalStack container (--localstack-container): it goes with the run. */
  localstackContainer?: boolean;
  /** The accounts the run was allowed to use: the janitor keeps the same account guard. */
  accounts?: readonly string[];
  /** The run was started with --yes (eks, no --account): the janitor's --delete needs it too. */
  yes?: boolean;
}

/** The scope of a run from its settings: `leftoverScope(settings, runId)`. */
export function leftoverScope(
  settings: Omit<LeftoverScope, 'runId' | 'accounts'> & { accounts?: readonly string[] },
  runId: string,
): LeftoverScope {
  const scope: LeftoverScope = { target: settings.target, runId };
  if (settings.cluster) scope.cluster = settings.cluster;
  if (settings.region) scope.region = settings.region;
  if (settings.context) scope.context = settings.context;
  if (settings.localstackEndpoint) scope.localstackEndpoint = settings.localstackEndpoint;
  if (settings.localstackContainer) scope.localstackContainer = true;
  if (settings.accounts && settings.accounts.length > 0) scope.accounts = [...settings.accounts];
  if (settings.yes) scope.yes = true;
  return scope;
}

export interface JanitorCommandOptions {
  /** Add --delete (default); without it the command is the janitor's dry run, which lists. */
  delete?: boolean;
  /** --older-than, as given. */
  olderThan?: string;
  /** The account found by the target, used for --account when the scope has none (eks). */
  accountId?: string;
  /** Leave out --run-id: every run's resources. */
  allRuns?: boolean;
}

/** A shell word: quoted when it holds anything the shell would read specially. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The janitor command line for the scope, as `npm run janitor -- …`. */
export function janitorCommand(
  scope: Omit<LeftoverScope, 'runId'> & { runId?: string },
  options: JanitorCommandOptions = {},
): string {
  const remove = options.delete ?? true;
  const args = ['--target', scope.target];
  if (scope.cluster) args.push('--cluster', scope.cluster);
  if (scope.region) args.push('--region', scope.region);
  if (scope.context) args.push('--context', scope.context);
  if (scope.localstackEndpoint) args.push('--localstack-endpoint', scope.localstackEndpoint);
  const accounts =
    scope.accounts && scope.accounts.length > 0
      ? scope.accounts
      : options.accountId && scope.target === 'eks'
        ? [options.accountId]
        : [];
  for (const account of accounts) args.push('--account', account);
  // The guard is eks's, and only --delete needs it: --yes is repeated only where it is needed.
  if (remove && scope.target === 'eks' && accounts.length === 0 && scope.yes) args.push('--yes');
  if (scope.runId && !options.allRuns) args.push('--run-id', scope.runId);
  if (options.olderThan) args.push('--older-than', options.olderThan);
  if (remove) args.push('--delete');
  return `npm run janitor -- ${args.map(shellWord).join(' ')}`;
}

/** A sentence ending a warning about resources that may be left ("… may be left: <hint>"). */
export function leftoverHint(scope: LeftoverScope): string {
  if (scope.target === 'embedded') return 'the embedded simulator stops with the run and takes them with it';
  if (scope.target === 'localstack' && scope.localstackContainer) {
    return 'the LocalStack container started for the run (--localstack-container) is removed with it and takes them with it';
  }
  // On eks a run that created anything had --account or --yes (its preflight refuses it otherwise), and
  // the janitor's --delete gets the same: the scope must carry them (leftoverScope does).
  return `find and delete them with \`${janitorCommand(scope)}\``;
}
