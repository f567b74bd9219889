// Where a run's time went, by phase, for summary.md: starting the target (the simulator, or the eks
// preflight), the suite files (each file's provisioning in beforeAll, its cases, its teardown), the
// run's own teardown of what the ledger still listed, and stopping the target. On a real cluster the
// provisioning and teardown columns are the waits users feel (pods pulling images, IAM and
// association propagation, namespaces terminating).

export interface FilePhaseTimes {
  /** The file as the reports name it (pod-identity/credentials.test.ts). */
  file: string;
  startedAt: number;
  endedAt: number;
  /** From the file's start to its first case being ready: imports and beforeAll (provisioning). */
  setUpMs: number;
  /** From then until its afterAll teardown started. */
  casesMs: number;
  /** Its afterAll: the file's fixtures deleted. */
  teardownMs: number;
}

export interface RunPhaseTimes {
  targetStartMs: number;
  /** From the first file's start to the last file's end (the files run in parallel). */
  suiteFilesMs: number;
  files: FilePhaseTimes[];
  /** Deleting what the ledger still listed after the files ended. */
  runTeardownMs: number;
  targetStopMs: number;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** The "Time by phase" section: one table for the run, one for the files. */
export function renderPhaseSection(phases: RunPhaseTimes, targetName: string): string[] {
  const sum = (pick: (f: FilePhaseTimes) => number) => phases.files.reduce((t, f) => t + pick(f), 0);
  const lines = [
    '## Time by phase',
    '',
    '| Phase | Time |',
    '|---|---|',
    `| Target start (${targetName === 'embedded' ? 'simulator start' : 'target start and preflight'}) | ${seconds(phases.targetStartMs)} |`,
    `| Suite files, wall time (files run in parallel) | ${seconds(phases.suiteFilesMs)} |`,
    `| Provisioning (set-up), summed over files | ${seconds(sum((f) => f.setUpMs))} |`,
    `| Cases, summed over files | ${seconds(sum((f) => f.casesMs))} |`,
    `| Teardown in the files, summed over files | ${seconds(sum((f) => f.teardownMs))} |`,
    `| Teardown of the run (what the ledger still listed) | ${seconds(phases.runTeardownMs)} |`,
    `| Target stop | ${seconds(phases.targetStopMs)} |`,
    '',
  ];
  if (phases.files.length === 0) return lines;
  return [
    ...lines,
    '| File | Provisioning | Cases | Teardown |',
    '|---|---|---|---|',
    ...[...phases.files]
      .sort((a, b) => a.file.localeCompare(b.file))
      .map((f) => `| ${f.file} | ${seconds(f.setUpMs)} | ${seconds(f.casesMs)} | ${seconds(f.teardownMs)} |`),
    '',
  ];
}

/** Wall time from the first file's start to the last one's end. */
export function filesWallMs(files: readonly FilePhaseTimes[]): number {
  if (files.length === 0) return 0;
  return Math.max(...files.map((f) => f.endedAt)) - Math.min(...files.map((f) => f.startedAt));
}
