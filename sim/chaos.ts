// A seeded fault profile: every kind of fault the simulator can inject, at rates a well-behaved client
// (one that retries throttling, 5xx and dropped connections, as the AWS SDKs and the harness do) gets
// through. The same seed gives the same profile and the same fault decisions.

import { deriveRandom } from './random.ts';
import type { SimFaults } from './types.ts';

/** Ranges each seed draws from: low enough that three attempts of one call all failing is rare (< 1e-4). */
const RANGES = {
  throttleRate: [0.01, 0.04],
  serverErrorRate: [0.01, 0.03],
  droppedConnectionRate: [0.005, 0.02],
  apiServerErrorRate: [0.01, 0.03],
  apiServerDelayRate: [0.01, 0.05],
  agentErrorRate: [0.01, 0.04],
  iamPropagationDelayMs: [200, 2000],
  associationPropagationDelayMs: [200, 2000],
  agentRestartIntervalMs: [4000, 12000],
} as const;

export function chaosFaults(seed: number): Required<SimFaults> {
  const random = deriveRandom(seed, 'chaos-profile');
  const draw = ([low, high]: readonly [number, number]) => low + random() * (high - low);
  const rates = Object.fromEntries(
    Object.entries(RANGES).map(([name, range]) => [name, draw(range)]),
  ) as Record<keyof typeof RANGES, number>;
  return {
    seed,
    throttleRate: rates.throttleRate,
    serverErrorRate: rates.serverErrorRate,
    droppedConnectionRate: rates.droppedConnectionRate,
    apiServerErrorRate: rates.apiServerErrorRate,
    apiServerDelayRate: rates.apiServerDelayRate,
    apiServerDelayMs: 1500,
    agentErrorRate: rates.agentErrorRate,
    iamPropagationDelayMs: Math.round(rates.iamPropagationDelayMs),
    associationPropagationDelayMs: Math.round(rates.associationPropagationDelayMs),
    agentRestartIntervalMs: Math.round(rates.agentRestartIntervalMs),
    agentRestartDownMs: 300,
  };
}
