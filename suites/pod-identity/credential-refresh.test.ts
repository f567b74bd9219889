// Credentials keep working in a long-running pod (spec §2.7, §3.7): a client calling STS again and again
// gets new credentials from the agent before the old ones expire, so every call succeeds past several
// credential lifetimes, the Expiration it sees advances, and in between the agent serves its cached
// credentials (the same key for repeated calls) instead of asking EKS Auth each time.
//
// EKS Auth's credentials live hours on EKS (undocumented), so on a real cluster the case runs only when
// the first credentials expire within --wait-timeout. The simulator makes them short for this case's
// association through a tag only it reads (EKS ignores it like any other tag).

import {
  CLIENTS_WITH_LONG_CALLS,
  type CredentialUse,
  callerIdentityOnceAvailable,
  createAssociation,
  createNamespace,
  createPodOnceAssociationApplies,
  createRole,
  createServiceAccount,
  eventually,
  NotYet,
  type Pod,
  podClientFor,
  selectedPodClients,
  useSuiteRun,
} from 'pod-identity-conformance/suite';
import { beforeAll, describe, expect, it } from 'vitest';

/** The simulator's per-association credential lifetime (sim/README.md). */
const SIMULATOR_LIFETIME_TAG = 'pod-identity-sim:credential-lifetime-seconds';
/** Long enough for a call to use the credentials it fetched, short enough to pass several lifetimes in seconds. */
const SIMULATED_LIFETIME_SECONDS = 5;

describe('credential refresh', () => {
  const suite = useSuiteRun();
  let pod: Pod;

  beforeAll(async () => {
    const { run, stack } = suite;
    const namespace = stack.adopt(await createNamespace(run, 'credential-refresh')).name;
    const serviceAccount = stack.adopt(await createServiceAccount(run, { namespace, name: 'worker' })).name;
    // GetCallerIdentity needs no permissions: the role needs none.
    const role = stack.adopt(await createRole(run, { purpose: 'credential-refresh' }));
    stack.adopt(
      await createAssociation(run, {
        namespace,
        serviceAccount,
        roleArn: role.arn,
        tags: { [SIMULATOR_LIFETIME_TAG]: String(SIMULATED_LIFETIME_SECONDS) },
      }),
    );
    pod = stack.adopt(
      await createPodOnceAssociationApplies(run, {
        namespace,
        name: 'worker',
        serviceAccountName: serviceAccount,
        mutated: true,
      }),
    );
  });

  // Only these clients have a keep-calling loop.
  for (const clientName of selectedPodClients().filter((c) => CLIENTS_WITH_LONG_CALLS.includes(c))) {
    it(`a client keeps working past several credential lifetimes, served from the agent's cache within each [${clientName}]`, async (ctx) => {
      const { info, run } = suite;
      const client = await podClientFor(ctx, info, clientName);
      await callerIdentityOnceAvailable(run, client, pod);

      // A look whose extra agent call went unanswered (a fault, a restarting agent) is asked again.
      const first = await eventually(
        `the credentials pod ${pod.name} is served, as the agent reports them`,
        async () => {
          const look = await client.keepCalling!(pod, 0);
          if (!look.ok) {
            if (info.name === 'eks' && /no curl/.test(look.message)) ctx.skip(look.message);
            throw new Error(`${clientName} could not report its credentials: ${look.message}`);
          }
          const call = look.value[0]!;
          if (call.ok && call.expiration === '') throw new NotYet('the agent did not answer the look');
          return call;
        },
        { timeoutMs: run.info.waitTimeoutMs, intervalMs: 500 },
      );
      expect(first.ok, first.error).toBe(true);
      const firstExpiry = Date.parse(first.expiration);
      expect(Number.isNaN(firstExpiry), `the credentials' Expiration "${first.expiration}"`).toBe(false);
      const remainingMs = firstExpiry - Date.now();
      const simulated = info.name === 'embedded';
      if (simulated) {
        expect(remainingMs, 'the simulator gives this association short credentials').toBeLessThanOrEqual(
          SIMULATED_LIFETIME_SECONDS * 1000,
        );
      } else if (remainingMs > info.waitTimeoutMs) {
        ctx.skip(
          `the first credentials expire at ${first.expiration}, in ${Math.round(remainingMs / 1000)} s, later than --wait-timeout (${info.waitTimeoutMs / 1000} s) lets this case wait; run with a longer --wait-timeout to check refresh on this target`,
        );
      }

      // Past the first expiry by a lifetime and a quarter in the simulator (two refreshes at least), by a
      // few seconds elsewhere (the agent's one refresh before it).
      const untilMs = firstExpiry + (simulated ? SIMULATED_LIFETIME_SECONDS * 1250 : 5_000);
      const result = await client.keepCalling!(pod, untilMs);
      if (!result.ok) throw new Error(`${clientName} stopped: ${result.message}`);
      const calls = [first, ...result.value];

      const failed = calls.findIndex((call) => !call.ok);
      expect(
        failed === -1 ? 'every call succeeded' : describeFailure(calls, failed, firstExpiry),
        'calls past the first credentials expiry',
      ).toBe('every call succeeded');
      expect(calls.at(-1)!.atMs, 'the last call came after the first credentials expired').toBeGreaterThan(
        firstExpiry,
      );

      // A call whose credentials could not be read (the agent did not answer the extra look) says nothing.
      const observed = calls.filter((call) => call.expiration !== '');
      const expirations = observed.map((call) => Date.parse(call.expiration));
      expect(
        expirations.every((expiration, i) => i === 0 || expiration >= expirations[i - 1]!),
        `the Expiration never goes back: ${observed.map((call) => call.expiration).join(', ')}`,
      ).toBe(true);
      expect(Math.max(...expirations), 'the Expiration advanced past the first').toBeGreaterThan(firstExpiry);

      const byKey = new Map<string, Set<string>>();
      for (const call of observed)
        byKey.set(call.key, (byKey.get(call.key) ?? new Set()).add(call.expiration));
      expect(
        [...byKey.values()].every((expirationsOfKey) => expirationsOfKey.size === 1),
        'each set of credentials has one Expiration',
      ).toBe(true);
      expect(byKey.size, 'sets of credentials the client went through').toBeGreaterThanOrEqual(
        simulated ? 3 : 2,
      );
      // Each EKS Auth call mints new keys: fewer keys than calls means the agent answered from its cache.
      expect(
        observed.length,
        `calls made with ${byKey.size} sets of credentials (the agent must serve repeated calls from its cache)`,
      ).toBeGreaterThan(byKey.size);
    });
  }
});

function describeFailure(calls: CredentialUse[], index: number, firstExpiry: number): string {
  const call = calls[index]!;
  const when = call.atMs > firstExpiry ? 'after' : 'before';
  return `call ${index + 1} of ${calls.length}, ${Math.abs(call.atMs - firstExpiry)} ms ${when} the first credentials expired, failed: ${call.error}`;
}
