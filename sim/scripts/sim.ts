#!/usr/bin/env node
// npm run sim: the embedded simulator as one standalone process. Prints `export NAME=value` lines for
// KUBECONFIG, AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION,
// AWS_DEFAULT_REGION (the AWS CLI v1 reads only this one), PIC_CLUSTER and PIC_TARGET_ROLE_ACCOUNT (the
// second account, for cross-account target roles), then a line `ready`, and
// runs until SIGINT or SIGTERM, when it stops everything it started.
//
//   npm run sim -- [--cluster NAME] [--region REGION] [--account 123456789012] [--state-dir DIR]
//                  [--without-agent-addon]   # a cluster without the pod identity agent add-on/DaemonSet
//                  [--pod-sandbox auto|required|off]   # pods in namespaces of their own (default: where possible)
//                  [--imds-tokens optional|required] [--imds-hop-limit N]   # the node's IMDS (default required, 1)
//                  [--block-agent-for-namespace-label KEY=VALUE]   # a network policy: pods there cannot reach the agent
//                  [--nodes N] [--taint-node sim-node-2=KEY=VALUE:NoSchedule]   # nodes the agent DaemonSet does not tolerate
//                  [--credential-lifetime SECONDS]   # how long EKS Auth credentials live (2-3600, default 3600)
//                  [--latency eks]   # as slow as EKS where EKS is slow (sim/latency.ts)
//   eval "$(npm run -s sim | sed '/^ready$/q')"   # or paste the exports into another shell

import { parseArgs } from 'node:util';
import {
  describeLatency,
  isLatencyProfileName,
  LATENCY_PROFILE_NAMES,
  resolveLatency,
  startSim,
} from '../index.ts';
import { type ConditionFlags, describeConditions, parseConditionFlags } from './conditions.ts';

const USAGE =
  'usage: node scripts/sim.ts [--cluster NAME] [--region REGION] [--account 123456789012] [--state-dir DIR] [--without-agent-addon] [--pod-sandbox auto|required|off] [--imds-tokens optional|required] [--imds-hop-limit N] [--credential-lifetime SECONDS] [--latency eks] [--block-agent-for-namespace-label KEY=VALUE] [--nodes N] [--taint-node NODE=KEY=VALUE:EFFECT]';

/** Single-quotes a value for POSIX shells. */
export function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

async function main(): Promise<void> {
  let values: {
    cluster?: string;
    region?: string;
    account?: string;
    'state-dir'?: string;
    'without-agent-addon'?: boolean;
    'pod-sandbox'?: string;
    'imds-tokens'?: string;
    'imds-hop-limit'?: string;
    'credential-lifetime'?: string;
    latency?: string;
    help?: boolean;
  } & ConditionFlags;
  try {
    ({ values } = parseArgs({
      options: {
        cluster: { type: 'string' },
        region: { type: 'string' },
        account: { type: 'string' },
        'state-dir': { type: 'string' },
        'without-agent-addon': { type: 'boolean' },
        'pod-sandbox': { type: 'string' },
        'imds-tokens': { type: 'string' },
        'imds-hop-limit': { type: 'string' },
        'block-agent-for-namespace-label': { type: 'string' },
        nodes: { type: 'string' },
        'taint-node': { type: 'string', multiple: true },
        'credential-lifetime': { type: 'string' },
        latency: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    process.stderr.write(`--account must be 12 digits, got '${values.account}'\n${USAGE}\n`);
    process.exit(2);
  }

  const podSandbox = values['pod-sandbox'];
  if (podSandbox !== undefined && !['auto', 'required', 'off'].includes(podSandbox)) {
    process.stderr.write(`--pod-sandbox must be auto, required or off, got '${podSandbox}'\n${USAGE}\n`);
    process.exit(2);
  }

  const imdsTokens = values['imds-tokens'];
  if (imdsTokens !== undefined && imdsTokens !== 'optional' && imdsTokens !== 'required') {
    process.stderr.write(`--imds-tokens must be optional or required, got '${imdsTokens}'\n${USAGE}\n`);
    process.exit(2);
  }
  const hopLimitText = values['imds-hop-limit'];
  if (hopLimitText !== undefined && !/^[1-9][0-9]?$/.test(hopLimitText)) {
    process.stderr.write(
      `--imds-hop-limit must be an integer from 1 to 64, got '${hopLimitText}'\n${USAGE}\n`,
    );
    process.exit(2);
  }
  const hopLimit = hopLimitText === undefined ? undefined : Number(hopLimitText);
  if (hopLimit !== undefined && hopLimit > 64) {
    process.stderr.write(
      `--imds-hop-limit must be an integer from 1 to 64, got '${hopLimitText}'\n${USAGE}\n`,
    );
    process.exit(2);
  }

  const conditions = parseConditionFlags(values);
  if (typeof conditions === 'string') {
    process.stderr.write(`${conditions}\n${USAGE}\n`);
    process.exit(2);
  }
  const lifetimeText = values['credential-lifetime'];
  const lifetime = lifetimeText === undefined ? undefined : Number(lifetimeText);
  if (
    lifetime !== undefined &&
    (!/^[1-9][0-9]{0,3}$/.test(lifetimeText!) || lifetime < 2 || lifetime > 3600)
  ) {
    process.stderr.write(
      `--credential-lifetime must be a whole number of seconds from 2 to 3600, got '${lifetimeText}'\n${USAGE}\n`,
    );
    process.exit(2);
  }
  const latency = values.latency;
  if (latency !== undefined && !isLatencyProfileName(latency)) {
    process.stderr.write(
      `--latency must be one of ${LATENCY_PROFILE_NAMES.join(', ')}, got '${latency}'\n${USAGE}\n`,
    );
    process.exit(2);
  }

  let sim: Awaited<ReturnType<typeof startSim>>;
  try {
    sim = await startSim({
      clusterName: values.cluster,
      region: values.region,
      accountId: values.account,
      stateDir: values['state-dir'],
      ...(values['without-agent-addon'] ? { podIdentityAgentAddon: false } : {}),
      ...(values['pod-sandbox'] ? { podSandbox: values['pod-sandbox'] as 'auto' | 'required' | 'off' } : {}),
      imds: { httpTokens: imdsTokens, hopLimit },
      conditions,
      ...(lifetime !== undefined ? { credentialLifetimeSeconds: lifetime } : {}),
      ...(latency ? { latency } : {}),
    });
  } catch (error) {
    process.stderr.write(`could not start the simulator: ${(error as Error).message}\n`);
    process.exit(1);
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`${signal}: stopping the simulator\n`);
    try {
      await sim.close();
      process.exit(0);
    } catch (error) {
      process.stderr.write(`stopping the simulator failed: ${(error as Error).message}\n`);
      process.exit(1);
    }
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const exports: Record<string, string> = {
    KUBECONFIG: sim.kubeconfigPath,
    AWS_ENDPOINT_URL: sim.awsEndpointUrl,
    AWS_ACCESS_KEY_ID: sim.adminCredentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sim.adminCredentials.secretAccessKey,
    AWS_REGION: sim.region,
    AWS_DEFAULT_REGION: sim.region,
    PIC_CLUSTER: sim.cluster.name,
    // The second account: the eks target creates cross-account target roles there, through its
    // OrganizationAccountAccessRole.
    ...(sim.targetRoleAccount ? { PIC_TARGET_ROLE_ACCOUNT: sim.targetRoleAccount.accountId } : {}),
  };
  let out = '';
  for (const [name, value] of Object.entries(exports)) out += `export ${name}=${shellQuote(value)}\n`;
  // Which mode pods run in, always said (stderr keeps stdout to the export lines).
  process.stderr.write(`pod-identity-sim: ${sim.podSandbox.reason}\n`);
  process.stderr.write(
    sim.imds
      ? `pod-identity-sim: instance metadata service on 169.254.169.254 (tokens ${sim.imds.httpTokens}, hop limit ${sim.imds.hopLimit})\n`
      : 'pod-identity-sim: no instance metadata service (it needs the pod sandbox and the embedded AWS)\n',
  );
  for (const line of describeConditions(conditions)) process.stderr.write(`pod-identity-sim: ${line}\n`);
  if (latency)
    process.stderr.write(
      `pod-identity-sim: latency ${latency}: ${describeLatency(resolveLatency(latency))}\n`,
    );
  process.stdout.write(`${out}ready\n`);
}

await main();
