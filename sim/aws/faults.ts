// Seeded fault injection: throttling and 5xx answers and dropped connections at configured rates, and
// the IAM propagation delay.
// The same seed and the same sequence of requests give the same faults.

import { createSeededRandom } from '../random.ts';

export interface AwsFaultOptions {
  /** Seed for the fault sequence (default 1). */
  seed?: number;
  /** A role created over the API is invisible to GetRole/AssumeRole/EKS for this long (ms). */
  iamPropagationDelayMs?: number;
  /** Fraction (0..1) of authenticated requests answered with Throttling / SlowDown. */
  throttleRate?: number;
  /** Fraction (0..1) of authenticated requests answered with InternalFailure / InternalError. */
  serverErrorRate?: number;
  /** Fraction (0..1) of authenticated requests whose connection is closed without an answer. */
  droppedConnectionRate?: number;
  /** Signing names the rates apply to (default: every service on the endpoint). */
  services?: string[];
  /** Latency profile: added before the handler answers a call of the service with this signing name (ms). */
  serviceLatencyMs?: Partial<Record<string, number>>;
}

export type InjectedFault = 'throttle' | 'server-error' | 'drop';

export class FaultInjector {
  readonly iamPropagationDelayMs: number;
  private readonly throttleRate: number;
  private readonly serverErrorRate: number;
  private readonly droppedConnectionRate: number;
  private readonly services?: Set<string>;
  private readonly random: () => number;
  private readonly serviceLatencyMs: Partial<Record<string, number>>;

  constructor(options: AwsFaultOptions = {}) {
    this.serviceLatencyMs = options.serviceLatencyMs ?? {};
    this.iamPropagationDelayMs = Math.max(0, options.iamPropagationDelayMs ?? 0);
    this.throttleRate = clampRate(options.throttleRate);
    this.serverErrorRate = clampRate(options.serverErrorRate);
    this.droppedConnectionRate = clampRate(options.droppedConnectionRate);
    this.services = options.services ? new Set(options.services) : undefined;
    this.random = createSeededRandom(options.seed ?? 1);
  }

  /** How long a call of `service` waits before it is answered (latency profile; 0 without one). */
  latencyMs(service: string): number {
    return Math.max(0, this.serviceLatencyMs[service] ?? 0);
  }

  /** Decide the fault for the next request to `service`; draws from the sequence only when rates are set. */
  next(service: string): InjectedFault | undefined {
    if (this.throttleRate === 0 && this.serverErrorRate === 0 && this.droppedConnectionRate === 0)
      return undefined;
    if (this.services && !this.services.has(service)) return undefined;
    const throttleDraw = this.random();
    const errorDraw = this.random();
    if (throttleDraw < this.throttleRate) return 'throttle';
    if (errorDraw < this.serverErrorRate) return 'server-error';
    // Drawn only when set, so that existing seeds keep their throttle and error sequences.
    if (this.droppedConnectionRate > 0 && this.random() < this.droppedConnectionRate) return 'drop';
    return undefined;
  }
}

function clampRate(rate: number | undefined): number {
  if (rate === undefined || !Number.isFinite(rate)) return 0;
  return Math.min(1, Math.max(0, rate));
}
