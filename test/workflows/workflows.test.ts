// The GitHub workflows: both parse and validate with GitHub's own workflow parser, run exactly the
// commands the README's "Continuous integration" section shows, pass only flags the runner and the
// janitor accept, and have the triggers, permissions, concurrency and report steps they promise.

import { readFileSync } from 'node:fs';
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
  env?: Record<string, string>;
  steps: WorkflowStep[];
}
interface WorkflowFile {
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
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
    expect(report.uses).toMatch(PINNED_BY_COMMIT);
    expect(report.if).toBe('always()');
    expect(report.with?.report_paths).toBe('reports/junit.xml');
    expect(yaml.permissions).toMatchObject({ contents: 'read', checks: 'write' });
    // The runner appends summary.md to GITHUB_STEP_SUMMARY itself: the conformance step needs no more.
    const steps = job.steps.map((s) => s.run ?? s.uses ?? '');
    expect(steps.indexOf(report.uses!)).toBeGreaterThan(
      steps.indexOf('npm test -- --suite pod-identity --report-dir reports'),
    );
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
    const report = stepUsing(job, 'mikepenz/action-junit-report');
    expect(report.uses).toMatch(PINNED_BY_COMMIT);
    expect(report.if).toBe('always()');
    expect(report.with).toMatchObject({ report_paths: 'reports/junit.xml', job_summary: true });
    expect(yaml.concurrency).toEqual({ group: 'nightly-eks-conformance', 'cancel-in-progress': false });
  });
});
