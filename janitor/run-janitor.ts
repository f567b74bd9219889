// The janitor, end to end: resolve the target like the runner does, find this tool's resources by their
// markers and names (fixtures/inventory.ts), list them, and with --delete delete them in dependency order
// with the fixtures' own deleters (fixtures/teardown.ts), reporting each. Only --delete passes the eks
// target's account guard (--account or --yes); the dry run deletes nothing and needs neither. scripts/janitor.ts calls it with the
// real dependencies; the tests call it with their own streams and clock.

import { findToolResources, type InventoryItem } from '../fixtures/inventory.ts';
import { createRunContext, type RunContext } from '../fixtures/run-context.ts';
import { deleteResource } from '../fixtures/teardown.ts';
import { redact, registerSecret } from '../helpers/redact.ts';
import { newRunId } from '../helpers/run-id.ts';
import { ConfigurationError, isUserFacingError, UsageError } from '../runner/errors.ts';
import { janitorCommand, leftoverScope } from '../runner/janitor-hint.ts';
import type { OutputStream } from '../runner/redacting-stream.ts';
import { resolveSettings } from '../runner/settings.ts';
import { findSuites } from '../runner/suites.ts';
import type { TargetFactory } from '../targets/index.ts';
import type { Target, TargetName } from '../targets/target.ts';
import { janitorHelpText, parseJanitorCommandLine } from './cli.ts';
import { formatAge } from './duration.ts';

export const JANITOR_EXIT_CLEAN = 0;
export const JANITOR_EXIT_DELETE_FAILED = 1;
export const JANITOR_EXIT_USAGE = 2;

export interface JanitorDeps {
  targets: Record<TargetName, TargetFactory>;
  /** Folder with one folder per suite (only to resolve settings the way the runner does). */
  suitesRoot: string;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  stdout: OutputStream;
  stderr: OutputStream;
  now: () => Date;
}

const PREFIX = 'janitor:';

export async function runJanitor(argv: readonly string[], deps: JanitorDeps): Promise<number> {
  const out = (line: string) => deps.stdout.write(`${redact(line)}\n`);
  const warn = (line: string) => deps.stderr.write(`${redact(line)}\n`);
  let target: Target | undefined;
  try {
    const command = parseJanitorCommandLine(argv);
    if (command.help) {
      deps.stdout.write(janitorHelpText());
      return JANITOR_EXIT_CLEAN;
    }
    const settings = await resolveSettings({
      commandLine: command.commandLine,
      env: deps.env,
      cwd: deps.cwd,
      availableSuites: async (dirs) =>
        (await findSuites(deps.suitesRoot, dirs, deps.cwd)).map((suite) => suite.name),
    });
    if (settings.target === 'embedded') {
      throw new UsageError(
        'the janitor cannot clean the embedded target: its simulator lives only as long as the run that started it, so nothing of it outlives the run; pass --target localstack or --target eks',
      );
    }
    if (settings.localstackContainer) {
      throw new UsageError(
        'the janitor cannot use --localstack-container (PIC_LOCALSTACK_CONTAINER): a LocalStack started now holds nothing to clean; set LOCALSTACK_ENDPOINT to the LocalStack the runs used',
      );
    }
    // The account guard (eks: --account, or --yes) protects against deleting in the wrong account; a
    // dry run deletes nothing, so it needs neither and lists what is in the credentials' account. An
    // --account given still has to match.
    const guarded = command.delete || (settings.accounts?.length ?? 0) > 0;
    const targetSettings = guarded ? settings : { ...settings, yes: true };
    try {
      target = await deps.targets[settings.target](targetSettings, newRunId(deps.now()), {
        purpose: 'janitor',
      });
    } catch (error) {
      if (error instanceof ConfigurationError) throw forJanitor(error);
      if (isUserFacingError(error)) throw error;
      throw new Error(`could not reach the ${settings.target} target: ${(error as Error).message}`, {
        cause: error,
      });
    }
    registerSecret(target.info.credentials?.secretAccessKey);
    registerSecret(target.info.credentials?.sessionToken);

    const run = createRunContext(target.info);
    try {
      const now = deps.now();
      const createdBefore = command.olderThan && new Date(now.getTime() - command.olderThan.ms);
      const items = await findToolResources(run, {
        ...(command.runId ? { runId: command.runId } : {}),
        ...(createdBefore ? { createdBefore } : {}),
        now,
      });
      const where = describeTarget(target);
      const scope = describeScope(command.runId, command.olderThan?.text);
      if (items.length === 0) {
        out(`${PREFIX} nothing of pod-identity-conformance${scope} on ${where}`);
        return JANITOR_EXIT_CLEAN;
      }
      out(`${PREFIX} ${items.length} resource(s) of pod-identity-conformance${scope} on ${where}:`);
      for (const line of renderTable(items, now)) out(line);
      if (!command.delete) {
        // The command as it runs, with the account the dry run found for the guard of --delete.
        const deleteCommand = janitorCommand(
          {
            ...leftoverScope(settings, command.runId ?? ''),
            ...(settings.target === 'eks'
              ? { cluster: target.info.cluster.name, region: target.info.region }
              : { region: target.info.region }),
          },
          {
            accountId: target.info.accountId,
            allRuns: command.runId === undefined,
            ...(command.olderThan ? { olderThan: command.olderThan.text } : {}),
          },
        );
        out(`${PREFIX} dry run: nothing was deleted; to delete these, run: ${deleteCommand}`);
        return JANITOR_EXIT_CLEAN;
      }
      const failed = await deleteAll(run, items, out);
      out(`${PREFIX} ${items.length - failed} deleted, ${failed} failed`);
      return failed > 0 ? JANITOR_EXIT_DELETE_FAILED : JANITOR_EXIT_CLEAN;
    } finally {
      run.aws.destroy();
    }
  } catch (error) {
    if (isUserFacingError(error)) {
      warn(`${PREFIX} ${error.message}`);
      return JANITOR_EXIT_USAGE;
    }
    warn(`${PREFIX} ${error instanceof Error ? error.message : String(error)}`);
    return JANITOR_EXIT_DELETE_FAILED;
  } finally {
    await target?.close().catch((error: unknown) => {
      warn(`${PREFIX} closing the target failed: ${(error as Error).message}`);
    });
  }
}

/**
 * A target's configuration error, told for the janitor: the localstack target's fix for an endpoint that
 * does not answer offers --localstack-container, which the janitor refuses (a LocalStack started now
 * holds nothing to clean).
 */
function forJanitor(error: ConfigurationError): ConfigurationError {
  const offline = /^(LocalStack endpoint \S+ does not answer \([^)]*\));/.exec(error.message);
  if (!offline && !error.message.includes('--localstack-container')) return error;
  const what = offline ? offline[1] : error.message.split('; ')[0];
  return new ConfigurationError(
    `${what}; point --localstack-endpoint (or LOCALSTACK_ENDPOINT) at the running LocalStack the runs used (the janitor starts none: a new LocalStack would hold nothing to clean)`,
    { cause: error },
  );
}

function describeTarget(target: Target): string {
  const { info } = target;
  return `${info.name} (account ${info.accountId}, region ${info.region}, cluster ${info.cluster.name})`;
}

function describeScope(runId: string | undefined, olderThan: string | undefined): string {
  const parts: string[] = [];
  if (runId) parts.push(`run ${runId}`);
  if (olderThan) parts.push(`older than ${olderThan}`);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

/** One row per resource: kind, name, run id, age; columns padded to their widest cell. */
export function renderTable(items: readonly InventoryItem[], now: Date): string[] {
  const rows = [
    ['KIND', 'NAME', 'RUN ID', 'AGE'],
    ...items.map((item) => [
      item.kind,
      item.name,
      // No run-id tag or label: the run id is read from the name.
      `${item.runId ?? '-'}${item.byName ? ' (by name)' : ''}`,
      formatAge(item.createdAt, now),
    ]),
  ];
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) =>
    `  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join('  ')}`.trimEnd(),
  );
}

/** Deletes in the given (dependency) order, one at a time, past failures; returns how many failed. */
async function deleteAll(
  run: RunContext,
  items: readonly InventoryItem[],
  out: (line: string) => void,
): Promise<number> {
  let failed = 0;
  for (const item of items) {
    try {
      await deleteResource(run, item.kind, item.ref);
      out(`${PREFIX} deleted ${item.kind} ${item.name}`);
    } catch (error) {
      failed += 1;
      const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
      out(`${PREFIX} FAILED to delete ${item.kind} ${item.name}: ${message}`);
    }
  }
  return failed;
}
