// The GitHub workflows: both parse and validate with GitHub's own workflow parser, run exactly the
// commands the README's "Continuous integration" section shows, pass only flags the runner and the
// janitor accept, and have the triggers, permissions, concurrency and report steps they promise. Every
// action is pinned by commit; ci.yml publishes its results with a read-only token (all a pull request
// from a fork gets); and the case table reaches each job summary once (the runner appends summary.md).

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { JANITOR_FLAGS, janitorTargetOptions } from '../../janitor/cli.ts';
import { COMMAND_FLAGS, RUN_OPTIONS } from '../../runner/options.ts';
import { convertWorkflowTemplate, NoOperationTraceWriter, parseWorkflow } from './workflow-parser.ts';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const read = (path: string) => readFileSync(`${REPO}/${path}`, 'utf8');

interface WorkflowStep {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number | boolean>;
}
interface WorkflowJob {
  'runs-on': string;
  uses?: string;
  permissions?: Record<string, string> | string;
  env?: Record<string, string>;
  steps: WorkflowStep[];
}
interface WorkflowFile {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; 'cancel-in-progress': boolean };
  jobs: Record<string, WorkflowJob>;
}

/** Parses and validates with @actions/workflow-parser; fails with every message it reports. */
async function loadWorkflow(file: string): Promise<{ yaml: WorkflowFile; runs: string[]; events: string[] }> {
  const content = read(`.github/workflows/${file}`);
  const parsed = parseWorkflow({ name: file, content }, new NoOperationTraceWriter());
  expect(
    parsed.context.errors.getErrors().map((error) => error.message),
    `${file} parse errors`,
  ).toEqual([]);
  expect(parsed.value, `${file} parsed to nothing`).toBeDefined();
  const template = await convertWorkflowTemplate(parsed.context, parsed.value!);
  expect(template.errors ?? [], `${file} conversion errors`).toEqual([]);
  const runs: string[] = [];
  for (const job of template.jobs) {
    if (job.type !== 'job') continue;
    for (const step of job.steps) {
      if ('run' in step) runs.push(String((step.run as { value?: unknown }).value).trim());
    }
  }
  return { yaml: parseYaml(content) as WorkflowFile, runs, events: Object.keys(template.events) };
}

/** The command lines of the n-th ```sh block of the README's "Continuous integration" section. */
function readmeCommands(block: number): string[] {
  const readme = read('README.md');
  const start = readme.indexOf('\n## Continuous integration\n');
  expect(start, 'README has a "Continuous integration" section').toBeGreaterThan(0);
  const end = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!);
  expect(blocks.length).toBeGreaterThan(block);
  return blocks[block]!.split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** `--flag` words after the `--` that separates npm's arguments from the script's. */
function scriptFlags(command: string): string[] {
  const afterSeparator = command.split(' -- ')[1] ?? '';
  return afterSeparator
    .split(/\s+/)
    .filter((word) => word.startsWith('--'))
    .map((word) => word.replace(/=.*$/, ''));
}

function stepUsing(job: WorkflowJob, action: string): WorkflowStep {
  const step = job.steps.find((s) => s.uses?.startsWith(`${action}@`));
  expect(step, `a step uses ${action}`).toBeDefined();
  return step!;
}

const RUNNER_FLAGS = new Set([
  ...RUN_OPTIONS.map((o) => `--${o.flag}`),
  ...COMMAND_FLAGS.map((f) => `--${f.flag}`),
]);
const JANITOR_ACCEPTED = new Set([
  ...JANITOR_FLAGS.map((f) => `--${f.flag}`),
  ...janitorTargetOptions().map((o) => `--${o.flag}`),
]);
/** A repository variable as a workflow expression: ${{ vars.NAME }}. */
function variable(name: string): string {
  return `\${{ vars.${name} }}`;
}

const PINNED_BY_COMMIT = /@[0-9a-f]{40}$/;
const WORKFLOW_FILES = readdirSync(`${REPO}/.github/workflows`)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

/**
 * Every `uses:` line of a workflow as written, with its trailing comment (YAML parsing drops
 * comments, and the version lives in one): `uses: owner/repo@<sha> # v1.2.3`.
 */
function usesLines(content: string): Array<{ line: number; ref: string; comment: string | undefined }> {
  return content.split('\n').flatMap((text, index) => {
    const match = /^\s*(?:-\s+)?uses:\s*(['"]?)([^\s'"#]+)\1\s*(?:#\s*(.*?))?\s*$/.exec(text);
    return match ? [{ line: index + 1, ref: match[2]!, comment: match[3] }] : [];
  });
}

/** Every `uses:` value the parsed workflow has: steps' actions and jobs' reusable workflows. */
function parsedUses(yaml: WorkflowFile): string[] {
  return Object.values(yaml.jobs).flatMap((job) => [
    ...(job.uses ? [job.uses] : []),
    ...(job.steps ?? []).flatMap((step) => (step.uses ? [step.uses] : [])),
  ]);
}

/** A local action or reusable workflow, a Docker image by digest, or owner/repo[/path]@<40 hex>. */
const LOCAL_REF = /^\.\//;
const DOCKER_BY_DIGEST = /^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/;
const ACTION_BY_COMMIT = /^[A-Za-z0-9][\w.-]*\/[\w.-]+(?:\/[\w./-]+)?@[0-9a-f]{40}$/;
/** The version the SHA is, as the trailing comment: `v4`, `v4.3.1`, `v6.5.0`. */
const VERSION_COMMENT = /^v\d+(?:\.\d+){0,2}(?:[-+][\w.-]+)?$/;

/** No `write` anywhere: `permissions: write-all`, or any scope set to write. */
function grantsWrite(permissions: WorkflowFile['permissions']): boolean {
  if (permissions === undefined) return false;
  if (typeof permissions === 'string') return permissions === 'write-all';
  return Object.values(permissions).some((level) => level === 'write');
}

/**
 * The mikepenz/action-junit-report step neither creates a check run nor comments (both need write
 * permission: checks, pull-requests) and leaves the job summary to the runner, which appends
 * summary.md itself. job_summary must be said: the action's default is true.
 */
function expectAnnotationsOnly(step: WorkflowStep): void {
  expect(step.uses).toMatch(PINNED_BY_COMMIT);
  expect(step.if).toBe('always()');
  expect(step.with).toMatchObject({
    report_paths: 'reports/junit.xml',
    annotate_only: true,
    job_summary: false,
  });
  expect(step.with?.comment ?? false, 'a PR comment needs pull-requests: write').toBe(false);
  expect(step.with?.token, 'no token with more rights than the job has').toBeUndefined();
}

/**
 * The runner appends summary.md to $GITHUB_STEP_SUMMARY (runner/run-conformance.ts; tested in
 * test/runner/conformance-cli.test.ts), so no step appends it again, and the suite step keeps the
 * variable the runner reads.
 */
function expectSummaryOnce(job: WorkflowJob): void {
  for (const step of job.steps) {
    expect(step.run ?? '', `${step.name ?? step.run} writes the job summary itself`).not.toMatch(
      /GITHUB_STEP_SUMMARY|summary\.md/,
    );
    expect(Object.keys((step as { env?: Record<string, string> }).env ?? {})).not.toContain(
      'GITHUB_STEP_SUMMARY',
    );
  }
  expect(Object.keys(job.env ?? {})).not.toContain('GITHUB_STEP_SUMMARY');
  const reports = job.steps.filter((s) => s.uses?.startsWith('mikepenz/action-junit-report@'));
  for (const report of reports)
    expect(report.with?.job_summary, 'the JUnit action adds its own table').toBe(false);
}

function expectKnownFlags(commands: string[]): void {
  for (const command of commands) {
    const known = command.startsWith('npm run janitor') ? JANITOR_ACCEPTED : RUNNER_FLAGS;
    if (!command.startsWith('npm test') && !command.startsWith('npm run janitor')) continue;
    for (const flag of scriptFlags(command)) expect(known, `${flag} in "${command}"`).toContain(flag);
  }
}

describe('the workflow parser catches mistakes', () => {
  it('reports an unknown key in a step', () => {
    const content =
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n        bogus: 1\n';
    const parsed = parseWorkflow({ name: 'bad.yml', content }, new NoOperationTraceWriter());
    expect(parsed.context.errors.getErrors().map((e) => e.message)).toEqual([
      "bad.yml (Line: 7, Col: 9): Unexpected value 'bogus'",
    ]);
  });
});

describe('every workflow', () => {
  it('finds the workflows', () => {
    expect(WORKFLOW_FILES).toEqual(expect.arrayContaining(['ci.yml', 'nightly.yml']));
  });

  it.each(WORKFLOW_FILES)(
    '%s pins every action by full commit SHA with its version in a comment',
    async (file) => {
      const content = read(`.github/workflows/${file}`);
      const { yaml } = await loadWorkflow(file);
      const lines = usesLines(content);
      // Every `uses:` the parser sees is on a line this test reads (no flow-style or multi-line values).
      expect(lines.map((l) => l.ref).sort()).toEqual(parsedUses(yaml).sort());
      expect(lines.length).toBeGreaterThan(0);
      for (const { line, ref, comment } of lines) {
        const where = `${file}:${line} ${ref}`;
        if (LOCAL_REF.test(ref) || DOCKER_BY_DIGEST.test(ref)) continue;
        expect(ref, `${where} is not pinned by a 40-hex commit SHA`).toMatch(ACTION_BY_COMMIT);
        expect(comment, `${where} has no "# vX.Y.Z" comment`).toMatch(VERSION_COMMENT);
      }
    },
  );

  it('gives one SHA one version, across the workflows', () => {
    const versions = new Map<string, Set<string>>();
    for (const file of WORKFLOW_FILES) {
      for (const { ref, comment } of usesLines(read(`.github/workflows/${file}`))) {
        if (!ACTION_BY_COMMIT.test(ref)) continue;
        versions.set(ref, (versions.get(ref) ?? new Set()).add(comment ?? ''));
      }
    }
    for (const [ref, comments] of versions) expect([...comments], ref).toHaveLength(1);
  });

  it('catches an action pinned by tag, a short SHA and a SHA without its version', () => {
    const refs = usesLines(
      [
        '      - uses: aws-actions/configure-aws-credentials@v4',
        '      - uses: actions/checkout@d23441a',
        '      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803',
        '      - uses: actions/checkout@d23441a48e516b6c34aea4fa41551a30e30af803 # v6.1.0',
        '      - uses: ./.github/actions/local',
      ].join('\n'),
    );
    expect(refs.map((r) => ACTION_BY_COMMIT.test(r.ref) && VERSION_COMMENT.test(r.comment ?? ''))).toEqual([
      false,
      false,
      false,
      true,
      false,
    ]);
    expect(LOCAL_REF.test(refs[4]!.ref)).toBe(true);
  });
});

describe('.github/workflows/ci.yml', () => {
  it('parses, runs on every push and pull request, and runs the README commands in order', async () => {
    const { yaml, runs, events } = await loadWorkflow('ci.yml');
    expect(events.sort()).toEqual(['pull_request', 'push']);
    const npmCommands = runs.filter((command) => command.startsWith('npm '));
    expect(npmCommands).toEqual(readmeCommands(0));
    expect(npmCommands).toContain('npm test -- --suite pod-identity --report-dir reports');
    expectKnownFlags(npmCommands);
    expect(Object.keys(yaml.jobs)).toHaveLength(1);
  });

  it('sets up Node 22 with the npm cache, uploads the reports and shows the JUnit cases', async () => {
    const { yaml } = await loadWorkflow('ci.yml');
    const job = Object.values(yaml.jobs)[0]!;
    expect(stepUsing(job, 'actions/checkout')).toBeDefined();
    expect(stepUsing(job, 'actions/setup-node').with).toMatchObject({ 'node-version': 22, cache: 'npm' });
    const upload = stepUsing(job, 'actions/upload-artifact');
    expect(upload.if).toBe('always()');
    expect(upload.with?.path).toBe('reports/');
    const report = stepUsing(job, 'mikepenz/action-junit-report');
    // The runner appends summary.md to GITHUB_STEP_SUMMARY itself: the conformance step needs no more.
    const steps = job.steps.map((s) => s.run ?? s.uses ?? '');
    expect(steps.indexOf(report.uses!)).toBeGreaterThan(
      steps.indexOf('npm test -- --suite pod-identity --report-dir reports'),
    );
  });

  it('publishes the results with a read-only token, so the same on pull requests from forks', async () => {
    const { yaml, events } = await loadWorkflow('ci.yml');
    // pull_request_target would hand a fork's code a writable token; pull_request gives it a read-only one.
    expect(events).not.toContain('pull_request_target');
    expect(events).not.toContain('workflow_run');
    expect(yaml.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(yaml.jobs)) {
      expect(grantsWrite(job.permissions), `job ${name} asks for write permission`).toBe(false);
    }
    const job = Object.values(yaml.jobs)[0]!;
    expectAnnotationsOnly(stepUsing(job, 'mikepenz/action-junit-report'));
  });

  it('shows the case table once in the job summary', async () => {
    const { yaml } = await loadWorkflow('ci.yml');
    expectSummaryOnce(Object.values(yaml.jobs)[0]!);
  });
});

describe('.github/workflows/nightly.yml', () => {
  it('parses, runs on a schedule and on demand, and runs the README commands in order', async () => {
    const { yaml, runs, events } = await loadWorkflow('nightly.yml');
    expect(events.sort()).toEqual(['schedule', 'workflow_dispatch']);
    expect((yaml.on.schedule as Array<{ cron: string }>)[0]!.cron).toMatch(/^\S+ \S+ \* \* \*$/);
    const npmCommands = runs.filter((command) => command.startsWith('npm '));
    expect(npmCommands).toEqual(readmeCommands(1));
    expectKnownFlags(npmCommands);
    const [install, suite, janitor] = npmCommands;
    expect(install).toBe('npm ci');
    expect(suite).toMatch(/^npm test -- --target eks .*--account "\$PIC_ACCOUNT"/);
    expect(janitor).toMatch(/^npm run janitor -- --target eks .*--delete --older-than 2h$/);
  });

  it('assumes the AWS role with OIDC from repository variables, with only id-token and contents permissions', async () => {
    const { yaml } = await loadWorkflow('nightly.yml');
    expect(yaml.permissions).toEqual({ 'id-token': 'write', contents: 'read' });
    const job = Object.values(yaml.jobs)[0]!;
    const credentials = stepUsing(job, 'aws-actions/configure-aws-credentials');
    expect(credentials.with).toMatchObject({
      'role-to-assume': variable('PIC_AWS_ROLE_ARN'),
      'aws-region': variable('PIC_REGION'),
    });
    expect(credentials.with).not.toHaveProperty('aws-access-key-id');
    expect(job.env).toEqual({
      PIC_CLUSTER: variable('PIC_CLUSTER'),
      PIC_REGION: variable('PIC_REGION'),
      PIC_ACCOUNT: variable('PIC_ACCOUNT'),
    });
    const order = job.steps.map((s) => s.uses?.split('@')[0] ?? s.run ?? '');
    const suiteIndex = order.findIndex((s) => s.startsWith('npm test'));
    expect(order.indexOf('aws-actions/configure-aws-credentials')).toBeLessThan(suiteIndex);
  });

  it('runs the janitor whatever the outcome, keeps the reports, and never overlaps itself', async () => {
    const { yaml } = await loadWorkflow('nightly.yml');
    const job = Object.values(yaml.jobs)[0]!;
    const janitor = job.steps.find((s) => s.run?.startsWith('npm run janitor'))!;
    expect(janitor.if).toBe('always()');
    expect(job.steps.indexOf(janitor)).toBeGreaterThan(
      job.steps.findIndex((s) => s.run?.startsWith('npm test')),
    );
    const upload = stepUsing(job, 'actions/upload-artifact');
    expect(upload.if).toBe('always()');
    expect(upload.with?.path).toBe('reports/');
    expect(yaml.concurrency).toEqual({ group: 'nightly-eks-conformance', 'cancel-in-progress': false });
  });

  it('shows the case table once in the job summary, and the failures as annotations without a check run', async () => {
    const { yaml } = await loadWorkflow('nightly.yml');
    const job = Object.values(yaml.jobs)[0]!;
    expectSummaryOnce(job);
    expectAnnotationsOnly(stepUsing(job, 'mikepenz/action-junit-report'));
  });
});
