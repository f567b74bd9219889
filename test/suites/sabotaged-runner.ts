// The real conformance runner with the real suites, on the embedded target whose simulator is started
// with deliberate defects (sim/sabotage.ts). Spawned by the tests in this folder, so vitest does not run
// inside vitest. Everything but the simulator's options is the real `npm test`.
//
// Environment:
//   PIC_SABOTAGE           JSON of the Sabotage flags, e.g. {"mutationOff":true} (default: none)
//   PIC_SABOTAGE_NO_DECOY  set: do not create the role agentServesRoleArn names
//   PIC_SIM_FAULTS         JSON of SimFaults (propagation delays, throttling), e.g. {"iamPropagationDelayMs":1500}
//   PIC_SIM_OPTIONS        JSON of further SimOptions: a misconfigured node, e.g. {"imds":{"hopLimit":2}}
//
// With agentServesRoleArn, the role it names is created right after the simulator starts (trusting
// pods.eks.amazonaws.com, no permissions), so EKS Auth really hands out that other role's credentials;
// without it (PIC_SABOTAGE_NO_DECOY), EKS Auth cannot assume any role and the agent serves nothing.

import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { Sabotage, SimFaults, SimOptions } from '@pod-identity-conformance/sim';
import { startSim } from '@pod-identity-conformance/sim';
import { podIdentityTrustPolicy } from '../../fixtures/iam-role.ts';
import { defaultDeps } from '../../runner/default-deps.ts';
import { runConformance } from '../../runner/run-conformance.ts';
import { createEmbeddedTarget } from '../../targets/embedded.ts';
import { TARGETS } from '../../targets/index.ts';
import type { Target } from '../../targets/target.ts';

const sabotage = JSON.parse(process.env.PIC_SABOTAGE ?? '{}') as Sabotage;
const faults = JSON.parse(process.env.PIC_SIM_FAULTS ?? '{}') as SimFaults;
const simOptions = JSON.parse(process.env.PIC_SIM_OPTIONS ?? '{}') as SimOptions;
const createDecoy = sabotage.agentServesRoleArn !== undefined && !process.env.PIC_SABOTAGE_NO_DECOY;

async function createDecoyRole(target: Target, roleArn: string): Promise<void> {
  const { info } = target;
  const iam = new IAMClient({
    region: info.region,
    endpoint: info.endpoints.iam,
    credentials: info.credentials!,
  });
  try {
    await iam.send(
      new CreateRoleCommand({
        RoleName: roleArn.slice(roleArn.lastIndexOf('/') + 1),
        AssumeRolePolicyDocument: JSON.stringify(podIdentityTrustPolicy()),
      }),
    );
  } finally {
    iam.destroy();
  }
}

process.exit(
  await runConformance(process.argv.slice(2), {
    ...defaultDeps(),
    targets: {
      ...TARGETS,
      embedded: async (settings, runId) => {
        const target = await createEmbeddedTarget(settings, runId, (options) =>
          startSim({ ...options, ...simOptions, sabotage, faults: { ...options.faults, ...faults } }),
        );
        if (createDecoy) await createDecoyRole(target, sabotage.agentServesRoleArn!);
        return target;
      },
    },
  }),
);
