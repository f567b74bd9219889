// What to tell a person whose run may have left resources: the janitor command that finds them, for the
// same target (and cluster and region, which the janitor needs to look in the right place). On the
// embedded target nothing can outlive the run: the simulator holding it all stops with the runner.

import type { TargetName } from '../targets/target.ts';

export interface LeftoverScope {
  target: TargetName;
  runId: string;
  cluster?: string;
  region?: string;
  /** The accounts the run was allowed to use: the janitor keeps the same account guard. */
  accounts?: readonly string[];
}

export function janitorCommand(scope: LeftoverScope): string {
  const args = ['--target', scope.target];
  if (scope.cluster) args.push('--cluster', scope.cluster);
  if (scope.region) args.push('--region', scope.region);
  for (const account of scope.accounts ?? []) args.push('--account', account);
  args.push('--run-id', scope.runId, '--delete');
  return `npm run janitor -- ${args.join(' ')}`;
}

/** A sentence ending a warning about resources that may be left ("… may be left: <hint>"). */
export function leftoverHint(scope: LeftoverScope): string {
  if (scope.target === 'embedded') return 'the embedded simulator stops with the run and takes them with it';
  return `find and delete them with \`${janitorCommand(scope)}\``;
}
