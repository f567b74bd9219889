// The runner's options, one entry each. An entry gives the command-line flag, the PIC_* environment
// variable, the config-file key, the --help line and the value check, so adding an option (a
// target-specific --context, --account...) is adding one entry here and reading it in the target.

import { checkNodeSelector, checkToleration } from '../targets/eks/pod-settings.ts';
import { TARGET_NAMES } from '../targets/target.ts';

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
  if (/^https?:\/\/[^/\s]+\/?$/.test(value)) return undefined;
  return `malformed endpoint "${value}"; use a URL such as http://localhost:4566`;
}

function checkClusterName(value: string): string | undefined {
  if (value.length <= CLUSTER_NAME_MAX_LENGTH && CLUSTER_NAME_PATTERN.test(value)) return undefined;
  return `invalid cluster name "${value}"; an EKS cluster name is 1-100 letters, digits, - and _, starting with a letter or digit`;
}

/** Files of a suite are independent (own namespace, own roles), so several run at once by default. */
export const DEFAULT_PARALLEL_FILES = 4;
const MAX_PARALLEL_FILES = 32;

function checkParallel(value: string): string | undefined {
  const n = Number(value);
  if (Number.isInteger(n) && n >= 1 && n <= MAX_PARALLEL_FILES) return undefined;
  return `invalid --parallel "${value}"; use a whole number from 1 to ${MAX_PARALLEL_FILES}`;
}

function checkAccountId(value: string): string | undefined {
  if (/^\d{12}$/.test(value)) return undefined;
  return `malformed AWS account id "${value}"; an account id is 12 digits, e.g. --account 123456789012`;
}

function checkWaitSeconds(value: string): string | undefined {
  if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= 3600) return undefined;
  return `invalid wait timeout "${value}"; give whole seconds from 1 to 3600, e.g. --wait-timeout 300`;
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
  },
  {
    key: 'suitesDirs',
    flag: 'suites-dir',
    kind: 'list',
    env: 'PIC_SUITES_DIR',
    valueName: 'DIR',
    description:
      'also run the suites in DIR: a folder of *.test.ts files (one suite, named after it) or of suite folders (repeatable)',
  },
  {
    key: 'target',
    flag: 'target',
    kind: 'string',
    env: 'PIC_TARGET',
    valueName: 'NAME',
    description: 'where to run: embedded (default, offline simulator), localstack, eks',
    choices: TARGET_NAMES,
  },
  {
    key: 'files',
    flag: 'file',
    kind: 'list',
    env: 'PIC_FILE',
    valueName: 'NAME',
    description:
      'only this file of the suites, named without .test.ts (repeatable; e.g. credentials; cleanup matches cleanup.last; default: every file)',
  },
  {
    key: 'casePattern',
    flag: 'case',
    kind: 'string',
    env: 'PIC_CASE',
    valueName: 'PATTERN',
    description:
      'only the cases whose full name (describe and case) matches this regular expression; the others are reported skipped',
    check: checkCasePattern,
  },
  {
    key: 'cluster',
    flag: 'cluster',
    kind: 'string',
    env: 'PIC_CLUSTER',
    valueName: 'NAME',
    description: 'EKS cluster name',
    check: checkClusterName,
  },
  {
    key: 'region',
    flag: 'region',
    kind: 'string',
    env: 'PIC_REGION',
    valueName: 'REGION',
    description: "AWS region (default: the target's, e.g. AWS_REGION for eks)",
    check: checkRegion,
  },
  {
    key: 'podImage',
    flag: 'pod-image',
    kind: 'string',
    env: 'PIC_POD_IMAGE',
    valueName: 'IMAGE',
    description: 'image of the test pods (needs sh and the aws CLI)',
  },
  {
    key: 'reportDir',
    flag: 'report-dir',
    kind: 'string',
    env: 'PIC_REPORT_DIR',
    valueName: 'DIR',
    description: 'where junit.xml, summary.md and the run ledger go (default: reports)',
  },
  {
    key: 'localstackEndpoint',
    flag: 'localstack-endpoint',
    kind: 'string',
    env: 'LOCALSTACK_ENDPOINT',
    valueName: 'URL',
    description: 'localstack target: the LocalStack endpoint to use (default: http://localhost:4566)',
    check: checkHttpUrl,
  },
  {
    key: 'localstackContainer',
    flag: 'localstack-container',
    kind: 'boolean',
    env: 'PIC_LOCALSTACK_CONTAINER',
    description:
      'localstack target: start LocalStack in a container for the run (testcontainers; needs Docker)',
  },
  {
    key: 'localstackImage',
    flag: 'localstack-image',
    kind: 'string',
    env: 'PIC_LOCALSTACK_IMAGE',
    valueName: 'IMAGE',
    description:
      'localstack target: image for --localstack-container (default: localstack/localstack:4.14.0, the last that starts without LOCALSTACK_AUTH_TOKEN)',
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
  },
  {
    key: 'parallel',
    flag: 'parallel',
    kind: 'string',
    env: 'PIC_PARALLEL',
    valueName: 'N',
    description: `how many suite files run at once (default ${DEFAULT_PARALLEL_FILES}; 1 runs them one by one)`,
    check: checkParallel,
  },
  {
    key: 'context',
    flag: 'context',
    kind: 'string',
    env: 'PIC_CONTEXT',
    valueName: 'NAME',
    description:
      "eks target: kubeconfig context to use (default: the current context if it points at the cluster's endpoint)",
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
  },
  {
    key: 'yes',
    flag: 'yes',
    kind: 'boolean',
    env: 'PIC_YES',
    description: "eks target: without --account, run in the credentials' account anyway",
  },
  {
    key: 'nodeSelector',
    flag: 'node-selector',
    kind: 'list',
    env: 'PIC_NODE_SELECTOR',
    valueName: 'KEY=VALUE',
    description: 'eks target: node label the test pods must run on (repeatable)',
    check: checkNodeSelector,
  },
  {
    key: 'tolerations',
    flag: 'toleration',
    kind: 'list',
    env: 'PIC_TOLERATIONS',
    valueName: 'KEY=VALUE:EFFECT',
    description: 'eks target: taint the test pods tolerate (repeatable; KEY:EFFECT tolerates any value)',
    check: checkToleration,
  },
  {
    key: 'waitTimeout',
    flag: 'wait-timeout',
    kind: 'string',
    env: 'PIC_WAIT_TIMEOUT',
    valueName: 'SECONDS',
    description:
      'longest single wait: pod Running, association effective, role assumable (default: 60 on embedded, 120 on eks)',
    check: checkWaitSeconds,
  },
  {
    key: 'keep',
    flag: 'keep',
    kind: 'boolean',
    env: 'PIC_KEEP',
    description: 'keep what the run created (no teardown) and list it in the summary',
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
] as const;

type ValueOfKind<K extends OptionKind> = K extends 'boolean' ? boolean : K extends 'list' ? string[] : string;

/** One optional value per option, typed from the table. */
export type OptionValues = {
  -readonly [O in (typeof RUN_OPTIONS)[number] as O['key']]?: ValueOfKind<O['kind']>;
};

export type OptionKey = keyof OptionValues;
