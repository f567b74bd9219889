import { CreateRoleCommand, GetRoleCommand, IAMClient, ListRolesCommand } from '@aws-sdk/client-iam';
import { ListBucketsCommand, S3Client } from '@aws-sdk/client-s3';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { describe, expect, it } from 'vitest';
import { FaultInjector } from '../../aws/faults.ts';
import { type AwsSim, startAwsSim } from '../../aws/index.ts';
import { createSeededRandom } from '../../random.ts';
import { clientConfig, eventually, trustAccount } from './helpers.ts';

async function withSim<T>(
  options: Parameters<typeof startAwsSim>[0],
  run: (sim: AwsSim) => Promise<T>,
): Promise<T> {
  const sim = await startAwsSim(options);
  try {
    return await run(sim);
  } finally {
    await sim.close();
  }
}

describe('IAM propagation delay', () => {
  it('hides a new role from GetRole, AssumeRole and the EKS view until the delay has passed', async () => {
    await withSim({ faults: { iamPropagationDelayMs: 1500 } }, async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const sts = new STSClient(clientConfig(sim));
      try {
        const createdAt = Date.now();
        const role = (
          await iam.send(
            new CreateRoleCommand({
              RoleName: 'fresh',
              AssumeRolePolicyDocument: trustAccount(sim.accountId),
            }),
          )
        ).Role!;
        await expect(iam.send(new GetRoleCommand({ RoleName: 'fresh' }))).rejects.toMatchObject({
          name: 'NoSuchEntityException',
        });
        await expect(
          sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'early' })),
        ).rejects.toMatchObject({
          name: 'AccessDenied',
        });
        expect(sim.context.iam.getRoleByArn(role.Arn!)).toBeUndefined();
        // ListRoles already shows it (like IAM's list APIs, which read the primary).
        expect((await iam.send(new ListRolesCommand({}))).Roles!.map((r) => r.RoleName)).toContain('fresh');

        const visible = await eventually(async () => {
          try {
            return (await iam.send(new GetRoleCommand({ RoleName: 'fresh' }))).Role;
          } catch (error) {
            if ((error as { name?: string }).name === 'NoSuchEntityException') return undefined;
            throw error;
          }
        });
        expect(visible.RoleId).toBe(role.RoleId);
        expect(Date.now() - createdAt).toBeGreaterThanOrEqual(1400);
        expect(sim.context.iam.getRoleByArn(role.Arn!)?.roleId).toBe(role.RoleId);
        await expect(
          sts.send(new AssumeRoleCommand({ RoleArn: role.Arn, RoleSessionName: 'later' })),
        ).resolves.toBeDefined();
      } finally {
        iam.destroy();
        sts.destroy();
      }
    });
  });

  it('does not delay roles the simulator creates for itself', async () => {
    await withSim({ faults: { iamPropagationDelayMs: 60_000 } }, async (sim) => {
      const role = sim.iam.createRole({
        roleName: 'node-role',
        assumeRolePolicyDocument: trustAccount(sim.accountId),
      });
      expect(sim.context.iam.getRoleByArn(role.arn)?.roleName).toBe('node-role');
      const session = sim.createRoleSessionCredentials(role.arn, { sessionName: 'i-0123456789abcdef0' });
      const sts = new STSClient(clientConfig(sim, session));
      try {
        const identity = await sts.send(new GetCallerIdentityCommand({}));
        expect(identity.Arn).toBe(`arn:aws:sts::${sim.accountId}:assumed-role/node-role/i-0123456789abcdef0`);
      } finally {
        sts.destroy();
      }
    });
  });
});

describe('throttling and server errors', () => {
  it('answers every call with Throttling (Query) and SlowDown (S3) at rate 1.0', async () => {
    await withSim({ faults: { throttleRate: 1 } }, async (sim) => {
      const sts = new STSClient(clientConfig(sim));
      const s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
      try {
        await expect(sts.send(new GetCallerIdentityCommand({}))).rejects.toMatchObject({
          name: 'Throttling',
          $metadata: { httpStatusCode: 400 },
        });
        await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({
          name: 'SlowDown',
          $metadata: { httpStatusCode: 503 },
        });
      } finally {
        sts.destroy();
        s3.destroy();
      }
    });
  });

  it('answers with InternalFailure (Query) and InternalError (S3) at serverErrorRate 1.0', async () => {
    await withSim({ faults: { serverErrorRate: 1 } }, async (sim) => {
      const iam = new IAMClient(clientConfig(sim));
      const s3 = new S3Client({ ...clientConfig(sim), forcePathStyle: true });
      try {
        await expect(iam.send(new ListRolesCommand({}))).rejects.toMatchObject({
          name: 'InternalFailure',
          $metadata: { httpStatusCode: 500 },
        });
        await expect(s3.send(new ListBucketsCommand({}))).rejects.toMatchObject({
          name: 'InternalError',
          $metadata: { httpStatusCode: 500 },
        });
      } finally {
        iam.destroy();
        s3.destroy();
      }
    });
  });

  it("lets the SDK's retries get through a partial 5xx rate", async () => {
    await withSim({ faults: { serverErrorRate: 0.5, seed: 7 } }, async (sim) => {
      const sts = new STSClient({ ...clientConfig(sim), maxAttempts: 10 });
      try {
        for (let i = 0; i < 5; i++) {
          const result = await sts.send(new GetCallerIdentityCommand({}));
          expect(result.Account).toBe(sim.accountId);
        }
      } finally {
        sts.destroy();
      }
    });
  });

  it('is deterministic for a seed', async () => {
    const outcomes = async (seed: number) =>
      withSim({ faults: { throttleRate: 0.3, serverErrorRate: 0.3, seed } }, async (sim) => {
        const sts = new STSClient(clientConfig(sim));
        const seen: string[] = [];
        try {
          for (let i = 0; i < 25; i++) {
            try {
              await sts.send(new GetCallerIdentityCommand({}));
              seen.push('ok');
            } catch (error) {
              seen.push((error as { name: string }).name);
            }
          }
        } finally {
          sts.destroy();
        }
        return seen;
      });
    const first = await outcomes(42);
    expect(await outcomes(42)).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['ok', 'Throttling', 'InternalFailure']));
    expect(await outcomes(43)).not.toEqual(first);
  });

  it('draws nothing for services outside the configured list', () => {
    const injector = new FaultInjector({ throttleRate: 1, services: ['s3'] });
    expect(injector.next('iam')).toBeUndefined();
    expect(injector.next('s3')).toBe('throttle');
    const a = createSeededRandom(5);
    const b = createSeededRandom(5);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
  });
});
