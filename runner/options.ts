// The runner's options, one entry each. An entry gives the command-line flag, the PIC_* environment
// variable, the config-file key, the --help line and the value check, so adding an option (a
// target-specific --context, --account...) is adding one entry here and reading it in the target.

import { podClientIdProblem } from '../suite-api/pinned-clients.ts';
import { clientImageProblem } from '../targets/eks/client-images.ts';
import { checkLabel, checkNodeSelector, checkToleration } from '../targets/eks/pod-settings.ts';
import { TARGET_NAMES, type TargetName } from '../targets/target.ts';
import { UsageError } from './errors.ts';

export type OptionKind = 'string' | 'boolean' | 'list';

export interface RunOptionSpec {
  /** Key in the config file and in RunSettings. */
  readonly key: string;
  /** Command-line flag, without the leading dashes. */
  readonly flag: string;
  readonly kind: OptionKind;
  /** Environment variable; list values are comma-separated there. */
  readonly env?: string;
  /** Placeholder in --help. */
  readonly valueName?: string;
  readonly description: string;
  /** The only accepted values. */
  readonly choices?: readonly string[];
  /** Returns what is wrong with a value (`malformed region "x"; expected ...`), or undefined. */
  readonly check?: (value: string) => string | undefined;
  /** What a value is, for the line about an empty one: `a directory`, `a suite name`. */
  readonly expects?: string;
  /** A valid value, for the fix in that line: `--report-dir reports`. */
  readonly example?: string;
  /** A whole number kept as its decimal text: the config file may give it as a JSON number. */
  readonly numeric?: boolean;
  /**
   * The targets the option means something on (default: every target). Given as a flag or a PIC_*
   * variable for another target it is refused; from the config file it is ignored (settings.ts).
   */
  readonly targets?: readonly TargetName[];
  /** A one-letter alias of the flag: `-t` for --case, as vitest has it. */
  readonly short?: string;
}

/** AWS region names, commercial and partitioned: us-east-1, us-gov-west-1, us-isob-east-1. */
export const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
/** EKS cluster names: 1 to 100 characters, a letter or digit first. */
export const CLUSTER_NAME_PATTERN = /^[0-9A-Za-z][A-Za-z0-9\-_]*$/;
const CLUSTER_NAME_MAX_LENGTH = 100;

function checkRegion(value: string): string | undefined {
  if (REGION_PATTERN.test(value)) return undefined;
  return `malformed region "${value}"; use an AWS region name such as us-east-1 or eu-west-2`;
}

function checkHttpUrl(value: string): string | undefined {
  const malformed = `malformed endpoint "${value}"; use an http:// or https:// URL of a host and optional port, such as http://localhost:4566`;
  if (!/^https?:\/\/[^/\s?#@]+\/?$/.test(value)) return malformed;
  try {
    const url = new URL(value);
    return url.hostname === '' ? malformed : undefined;
  } catch {
    // Not a URL at all: a bad port (http://localhost:99999, http://localhost:x), an empty host...
    return malformed;
  }
}

/** Image references as `docker pull` takes them: [registry[:port]/]path[:tag][@digest]. */
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_REFERENCE = new RegExp(
  `^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*(?::\\d+)?/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*(?::[\\w][\\w.-]{0,127})?(?:@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,})?$`,
);

function checkImage(flag: string, example: string): (value: string) => string | undefined {
  return (value) =>
    IMAGE_REFERENCE.test(value)
      ? undefined
      : `malformed image "${value}"; give an image reference ([registry/]lowercase/path[:tag][@sha256:digest]), e.g. --${flag} ${example}`;
}

function checkClusterName(value: string): string | undefined {
  if (value.length <= CLUSTER_NAME_MAX_LENGTH && CLUSTER_NAME_PATTERN.test(value)) return undefined;
  return `invalid cluster name "${value}"; an EKS cluster name is 1-100 letters, digits, - and _, starting with a letter or digit`;
}

/** Files of a suite are independent (own namespace, own roles), so several run at once by default. */
export const DEFAULT_PARALLEL_FILES = 4;
const MAX_PARALLEL_FILES = 32;

/** Whole numbers written in decimal digits only: no sign, spaces, exponent, hex or fraction. */
function wholeNumberIn(value: string, min: number, max: number): boolean {
  return /^\d{1,6}$/.test(value) && Number(value) >= min && Number(value) <= max;
}

function checkParallel(value: string): string | undefined {
  if (wholeNumberIn(value, 1, MAX_PARALLEL_FILES)) return undefined;
  return `invalid --parallel "${value}"; use a whole number from 1 to ${MAX_PARALLEL_FILES}, e.g. --parallel ${DEFAULT_PARALLEL_FILES}`;
}

function checkAccountId(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return undefined;
  return `malformed AWS account id "${value}"; an account id is 12 digits, e.g. --account 123456789012`;
}

/** --repeat: enough to see a flaky case, few enough for one run's time. */
export const MAX_REPEAT = 20;

function checkRepeat(value: string): string | undefined {
  if (wholeNumberIn(value, 1, MAX_REPEAT)) return undefined;
  return `invalid --repeat "${value}"; use a whole number from 1 to ${MAX_REPEAT}, e.g. --repeat 5`;
}

const MAX_CHAOS_SEED = 999_999;

function checkChaosSeed(value: string): string | undefined {
  if (wholeNumberIn(value, 0, MAX_CHAOS_SEED)) return undefined;
  return `invalid --chaos "${value}"; give a seed, a whole number from 0 to ${MAX_CHAOS_SEED}, e.g. --chaos 7`;
}

export const MAX_WAIT_TIMEOUT_SECONDS = 3600;

function checkWaitSeconds(value: string): string | undefined {
  if (wholeNumberIn(value, 1, MAX_WAIT_TIMEOUT_SECONDS)) return undefined;
  return `invalid --wait-timeout "${value}"; give whole seconds from 1 to ${MAX_WAIT_TIMEOUT_SECONDS}, e.g. --wait-timeout 300`;
}

/** The messages of the pod-settings checks name the value; add the fix where they do not. */
function withExample(
  check: (value: string) => string | undefined,
  example: string,
): (value: string) => string | undefined {
  return (value) => {
    const problem = check(value);
    return problem && !problem.includes('; ') ? `${problem}; e.g. ${example}` : problem;
  };
}

function checkCasePattern(value: string): string | undefined {
  try {
    new RegExp(value);
    return undefined;
  } catch (error) {
    return `invalid case pattern "${value}" (${(error as Error).message}); give a JavaScript regular expression, e.g. --case 'aws-cli'`;
  }
}

export const RUN_OPTIONS = [
  {
    key: 'suites',
    flag: 'suite',
    kind: 'list',
    env: 'PIC_SUITE',
    valueName: 'NAME',
    description: 'suite to run, a folder under suites/ or --suites-dir (repeatable; default: every suite)',
    expects: 'a suite name (a folder under suites/ or --suites-dir)',
    example: 'pod-identity',
  },
  {
    key: 'suitesDirs',
    flag: 'suites-dir',
    kind: 'list',
    env: 'PIC_SUITES_DIR',
    valueName: 'DIR',
    description:
      'also run the suites in DIR: a folder of *.test.ts files (one suite, named after it) or of suite folders (repeatable)',
    expects: 'a folder of suites',
    example: '../team-checks',
  },
  {
    key: 'target',
    flag: 'target',
    kind: 'string',
    env: 'PIC_TARGET',
    valueName: 'NAME',
    description: 'where to run: embedded (default, offline simulator), localstack, eks',
    choices: TARGET_NAMES,
    expects: 'a target: embedded, localstack or eks',
    example: 'eks',
  },
  {
    key: 'files',
    flag: 'file',
    kind: 'list',
    env: 'PIC_FILE',
    valueName: 'NAME',
    description:
      'only this file of the suites, named without .test.ts (repeatable; e.g. credentials; cleanup matches cleanup.last; default: every file)',
    expects: 'a suite file name without .test.ts',
    example: 'credentials',
  },
  {
    key: 'casePattern',
    flag: 'case',
    short: 't',
    kind: 'string',
    env: 'PIC_CASE',
    valueName: 'PATTERN',
    description:
      "only the cases whose full name (describe and case) matches this regular expression; the others are reported skipped (-t is vitest's name for it)",
    check: checkCasePattern,
    expects: 'a regular expression',
    example: 'aws-cli',
  },
  {
    key: 'cluster',
    flag: 'cluster',
    kind: 'string',
    env: 'PIC_CLUSTER',
    valueName: 'NAME',
    description: 'EKS cluster name',
    check: checkClusterName,
    expects: 'an EKS cluster name',
    example: 'my-cluster',
  },
  {
    key: 'region',
    flag: 'region',
    kind: 'string',
    env: 'PIC_REGION',
    valueName: 'REGION',
    description: "AWS region (default: the target's, e.g. AWS_REGION for eks)",
    check: checkRegion,
    expects: 'an AWS region',
    example: 'eu-west-1',
  },
  {
    key: 'podImage',
    flag: 'pod-image',
    kind: 'string',
    env: 'PIC_POD_IMAGE',
    valueName: 'IMAGE',
    description: 'image of the test pods (needs sh and the aws CLI)',
    expects: 'an image reference',
    example: 'public.ecr.aws/aws-cli/aws-cli:2.22.0',
    check: checkImage('pod-image', 'public.ecr.aws/aws-cli/aws-cli:2.22.0'),
  },
  // In-pod clients (suite-api/pod-clients.ts): the cases marked [NAME] run once per selected client.
  {
    key: 'clients',
    flag: 'client',
    kind: 'list',
    env: 'PIC_CLIENT',
    valueName: 'NAME',
    description:
      'in-pod client the client cases run with: aws-cli, sdk-probe (JS SDK v3), boto3, node-v2 (JS SDK v2), or a pinned release node-v2@2.X.Y / boto3@1.29.27 on embedded and localstack (repeatable; default: aws-cli, sdk-probe and boto3; on eks aws-cli, sdk-probe and the clients given --client-image)',
    check: podClientIdProblem,
    expects: 'a client: aws-cli, sdk-probe, boto3 or node-v2',
    example: 'boto3',
  },
  {
    key: 'clientImages',
    flag: 'client-image',
    kind: 'list',
    env: 'PIC_CLIENT_IMAGE',
    valueName: 'PROBE=IMAGE',
    description:
      'eks target: run that probe (python, node-v3, node-v2 or aws-cli) inside your own image, the probe mounted from a ConfigMap, to learn whether the SDK in your application image works with Pod Identity (repeatable)',
    check: (value: string) =>
      clientImageProblem(value, checkImage('client-image', 'python=registry.example.com/team/app:1.4')),
    targets: ['eks'],
    expects: 'PROBE=IMAGE',
    example: 'python=registry.example.com/team/app:1.4',
  },
  {
    key: 'reportDir',
    flag: 'report-dir',
    kind: 'string',
    env: 'PIC_REPORT_DIR',
    valueName: 'DIR',
    description: 'where junit.xml, summary.md and the run ledger go (default: reports)',
    expects: 'a directory',
    example: 'reports',
  },
  {
    key: 'localstackEndpoint',
    flag: 'localstack-endpoint',
    kind: 'string',
    env: 'LOCALSTACK_ENDPOINT',
    valueName: 'URL',
    description: 'localstack target: the LocalStack endpoint to use (default: http://localhost:4566)',
    targets: ['localstack'],
    check: checkHttpUrl,
    expects: 'a URL',
    example: 'http://localhost:4566',
  },
  {
    key: 'localstackContainer',
    flag: 'localstack-container',
    kind: 'boolean',
    env: 'PIC_LOCALSTACK_CONTAINER',
    description:
      'localstack target: start LocalStack in a container for the run (testcontainers; needs Docker)',
    targets: ['localstack'],
  },
  {
    key: 'localstackImage',
    flag: 'localstack-image',
    kind: 'string',
    env: 'PIC_LOCALSTACK_IMAGE',
    valueName: 'IMAGE',
    description:
      'localstack target: image for --localstack-container (default: localstack/localstack:4.14.0, the last that starts without LOCALSTACK_AUTH_TOKEN)',
    targets: ['localstack'],
    expects: 'an image reference',
    example: 'localstack/localstack:4.14.0',
    check: checkImage('localstack-image', 'localstack/localstack:4.14.0'),
  },
  {
    key: 'podSandbox',
    flag: 'pod-sandbox',
    kind: 'string',
    env: 'PIC_POD_SANDBOX',
    valueName: 'MODE',
    description:
      'embedded and localstack targets: simulator pods in namespaces of their own: auto (default: where the kernel allows), required, or off (host processes; the sandbox-only cases skip)',
    choices: ['auto', 'required', 'off'],
    targets: ['embedded', 'localstack'],
    expects: 'a mode: auto, required or off',
    example: 'auto',
  },
  {
    key: 'chaos',
    flag: 'chaos',
    kind: 'string',
    env: 'PIC_CHAOS',
    valueName: 'SEED',
    description:
      'embedded target: run under the simulator fault profile of this seed (throttling, 5xx, dropped connections, API server errors, propagation delays, agent restarts); the same seed injects the same faults',
    check: checkChaosSeed,
    targets: ['embedded'],
    expects: `a seed: a whole number from 0 to ${MAX_CHAOS_SEED}`,
    example: '7',
    numeric: true,
  },
  {
    key: 'latency',
    flag: 'latency',
    kind: 'string',
    env: 'PIC_LATENCY',
    valueName: 'PROFILE',
    description:
      'embedded target: make the simulator as slow as a real cluster where one is slow (eks: pod scheduling and image pull, IAM and association propagation, EKS Auth and STS, namespace deletion; figures in sim/README.md)',
    // The simulator's profile names (LATENCY_PROFILE_NAMES); the CLI does not load the simulator to parse options.
    choices: ['eks'],
    targets: ['embedded'],
    expects: 'a latency profile: eks',
    example: 'eks',
  },
  {
    key: 'parallel',
    flag: 'parallel',
    kind: 'string',
    env: 'PIC_PARALLEL',
    valueName: 'N',
    description: `how many suite files run at once, 1 to ${MAX_PARALLEL_FILES} (default ${DEFAULT_PARALLEL_FILES}; 1 runs them one by one)`,
    check: checkParallel,
    expects: 'a whole number from 1 to 32',
    example: '4',
    numeric: true,
  },
  {
    key: 'repeat',
    flag: 'repeat',
    kind: 'string',
    env: 'PIC_REPEAT',
    valueName: 'N',
    description: `run the selection N times, 1 to ${MAX_REPEAT}, and report a case that passed in some repetitions and failed in others as flaky (default 1)`,
    check: checkRepeat,
    expects: `a whole number from 1 to ${MAX_REPEAT}`,
    example: '5',
    numeric: true,
  },
  {
    key: 'bail',
    flag: 'bail',
    kind: 'boolean',
    env: 'PIC_BAIL',
    description:
      'after the first failed case start no more cases, files or repetitions; the cases running then finish, and the teardown runs',
  },
  {
    key: 'requireAll',
    flag: 'require-all',
    kind: 'boolean',
    env: 'PIC_REQUIRE_ALL',
    description:
      'count every skipped case as failed (exit 1), e.g. for nightly runs; cases left out by --case are not counted',
  },
  {
    key: 'context',
    flag: 'context',
    kind: 'string',
    env: 'PIC_CONTEXT',
    valueName: 'NAME',
    description:
      "eks target: kubeconfig context to use (default: the current context if it points at the cluster's endpoint)",
    targets: ['eks'],
    expects: 'a kubeconfig context name',
    example: 'my-context',
  },
  {
    key: 'accounts',
    flag: 'account',
    kind: 'list',
    env: 'PIC_ALLOWED_ACCOUNTS',
    valueName: 'ID',
    description:
      'eks target: AWS account the run may create resources in (repeatable); any other account stops the run before it creates anything',
    check: checkAccountId,
    targets: ['eks'],
    expects: 'a 12-digit AWS account id',
    example: '123456789012',
  },
  {
    key: 'targetRoleAccount',
    flag: 'target-role-account',
    kind: 'string',
    env: 'PIC_TARGET_ROLE_ACCOUNT',
    valueName: 'ID',
    description:
      "embedded and eks targets: the second AWS account where the cross-account target roles are created (embedded: the simulator's second account id, default 444455556666); without it on eks those cases skip",
    check: (value) =>
      /^\d{12}$/.test(value)
        ? undefined
        : `malformed AWS account id "${value}"; an account id is 12 digits, e.g. --target-role-account 444455556666`,
    targets: ['embedded', 'eks'],
    expects: 'a 12-digit AWS account id',
    example: '444455556666',
  },
  {
    key: 'targetRoleProfile',
    flag: 'target-role-profile',
    kind: 'string',
    env: 'PIC_TARGET_ROLE_PROFILE',
    valueName: 'NAME',
    description:
      "eks target: the AWS profile whose credentials create the target roles in --target-role-account (default: assume OrganizationAccountAccessRole there with the runner's credentials)",
    targets: ['eks'],
    expects: 'an AWS profile name',
    example: 'second-account',
  },
  {
    key: 'yes',
    flag: 'yes',
    kind: 'boolean',
    env: 'PIC_YES',
    description: "eks target: without --account, run in the credentials' account anyway",
    targets: ['eks'],
  },
  {
    key: 'nodeSelector',
    flag: 'node-selector',
    kind: 'list',
    env: 'PIC_NODE_SELECTOR',
    valueName: 'KEY=VALUE',
    description: 'eks target: node label the test pods must run on (repeatable)',
    check: withExample(checkNodeSelector, '--node-selector kubernetes.io/arch=amd64'),
    targets: ['eks'],
    expects: 'a node label KEY=VALUE',
    example: 'kubernetes.io/arch=amd64',
  },
  {
    key: 'tolerations',
    flag: 'toleration',
    kind: 'list',
    env: 'PIC_TOLERATIONS',
    valueName: 'KEY=VALUE:EFFECT',
    description: 'eks target: taint the test pods tolerate (repeatable; KEY:EFFECT tolerates any value)',
    check: withExample(checkToleration, '--toleration dedicated=ci:NoSchedule'),
    targets: ['eks'],
    expects: 'a taint KEY=VALUE:EFFECT',
    example: 'dedicated=ci:NoSchedule',
  },
  {
    key: 'namespaceLabels',
    flag: 'namespace-label',
    kind: 'list',
    env: 'PIC_NAMESPACE_LABELS',
    valueName: 'KEY=VALUE',
    description:
      'label every test namespace carries, e.g. one your network policies select (repeatable; default none)',
    check: withExample(checkLabel, '--namespace-label team=payments'),
    expects: 'a namespace label KEY=VALUE',
    example: 'team=payments',
  },
  {
    key: 'waitTimeout',
    flag: 'wait-timeout',
    kind: 'string',
    env: 'PIC_WAIT_TIMEOUT',
    valueName: 'SECONDS',
    description:
      'longest single wait in seconds, 1 to 3600: pod Running, association effective, role assumable (default: 60 on embedded, 120 on eks)',
    check: checkWaitSeconds,
    expects: 'whole seconds from 1 to 3600',
    example: '300',
    numeric: true,
  },
  {
    key: 'keep',
    flag: 'keep',
    kind: 'boolean',
    env: 'PIC_KEEP',
    description: 'keep what the run created (no teardown) and list it in the summary',
  },
  {
    key: 'verbose',
    flag: 'verbose',
    kind: 'boolean',
    env: 'PIC_VERBOSE',
    description: 'print every resource created or deleted and every wait, with its elapsed time',
  },
] as const satisfies readonly RunOptionSpec[];

/** Flags that steer the command itself; they have no environment variable or config-file key. */
export const COMMAND_FLAGS = [
  {
    flag: 'config',
    kind: 'string',
    valueName: 'PATH',
    description:
      'config file (default: pod-identity-conformance.config.json or .ts in the working directory)',
  },
  { flag: 'list', kind: 'boolean', description: 'list suites and cases without running anything' },
  { flag: 'help', kind: 'boolean', description: 'show this help' },
  {
    flag: 'version',
    kind: 'boolean',
    description: 'print the version (and the git commit, from a checkout) and exit',
  },
] as const;

type ValueOfKind<K extends OptionKind> = K extends 'boolean' ? boolean : K extends 'list' ? string[] : string;

/** One optional value per option, typed from the table. */
export type OptionValues = {
  -readonly [O in (typeof RUN_OPTIONS)[number] as O['key']]?: ValueOfKind<O['kind']>;
};

export type OptionKey = keyof OptionValues;

/** Where a value came from: how a message names it and how its fix is written. */
export type OptionOrigin = { kind: 'flag' } | { kind: 'env' } | { kind: 'config'; file: string };

/** `--report-dir`, `PIC_REPORT_DIR`, `config file F key "reportDir"`. */
export function originLabel(option: RunOptionSpec, origin: OptionOrigin): string {
  if (origin.kind === 'flag') return `--${option.flag}`;
  if (origin.kind === 'env') return option.env ?? option.key;
  return `config file ${origin.file} key "${option.key}"`;
}

/** The option set to its example value, as written where the value came from. */
function exampleSetting(option: RunOptionSpec, origin: OptionOrigin): string {
  const value = option.example ?? 'VALUE';
  if (origin.kind === 'flag') return `--${option.flag} ${value}`;
  if (origin.kind === 'env') return `${option.env}=${value}`;
  const json = option.numeric ? value : JSON.stringify(value);
  return `"${option.key}": ${option.kind === 'list' ? `[${json}]` : json}`;
}

/** Empty and blank values are never meant: `--report-dir ''` would be the working directory. */
export function isBlank(value: string): boolean {
  return value.trim() === '';
}

/** The one line for an empty (or blank) value. */
export function emptyValueProblem(option: RunOptionSpec, origin: OptionOrigin): string {
  const what = option.expects ?? 'a value';
  const example = exampleSetting(option, origin);
  if (origin.kind === 'flag') return `--${option.flag} is empty; give ${what}, e.g. ${example}`;
  if (origin.kind === 'env')
    return `${option.env} is set but empty; set it to ${what} (e.g. ${example}) or unset it`;
  if (option.kind === 'list')
    return `${originLabel(option, origin)} is an empty list; list ${what} or more (e.g. ${example}) or remove the key`;
  return `${originLabel(option, origin)} is empty; set it to ${what} (e.g. ${example}) or remove the key`;
}

/** The one line for a list with an empty item: `--suite "a,,b"`, `PIC_SUITE="a,"`, `item 2` of a config array. */
export function emptyItemProblem(option: RunOptionSpec, origin: OptionOrigin, given: string): string {
  const what = option.expects ?? 'a value';
  const example = exampleSetting(option, origin);
  if (origin.kind === 'config')
    return `${originLabel(option, origin)} ${given} is empty; each item must be ${what}, e.g. ${example}`;
  return `${originLabel(option, origin)}=${JSON.stringify(given)} has an empty item; each comma-separated item must be ${what}, e.g. ${example}`;
}

/**
 * A list option's values (`--suite a,b --suite c`, `PIC_SUITE=a,b,c`): split on commas, each item
 * trimmed. An empty value or an empty item (`--suite ''`, `--suite a,,b`, `PIC_SUITE=,`) is bad input.
 */
export function splitListValues(
  option: RunOptionSpec,
  values: readonly string[],
  origin: OptionOrigin,
): string[] {
  const items: string[] = [];
  for (const value of values) {
    if (isBlank(value)) throw new UsageError(emptyValueProblem(option, origin));
    const parts = value.split(',').map((part) => part.trim());
    if (parts.some((part) => part === '')) throw new UsageError(emptyItemProblem(option, origin, value));
    items.push(...parts);
  }
  return items;
}

/** What is wrong with one (non-empty) value of an option: not one of its choices, or its check fails. */
export function optionValueProblem(option: RunOptionSpec, value: string): string | undefined {
  if (option.choices && !option.choices.includes(value)) {
    return `unknown ${option.key} "${value}"; choose one of: ${option.choices.join(', ')}`;
  }
  return option.check?.(value);
}
