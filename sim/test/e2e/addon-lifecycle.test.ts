// The eks-pod-identity-agent add-on as EKS runs it: DeleteAddon answers DELETING and the add-on, its
// DaemonSet and its pod go away, and with them the agent (a pod's credential request no longer
// connects); CreateAddon answers CREATING, turns ACTIVE, and the agent serves again. The AWS SDK is the
// client, as in the EKS console and eksctl.

import {
  CreateAddonCommand,
  DeleteAddonCommand,
  DescribeAddonCommand,
  DescribeAddonVersionsCommand,
  DescribeUpdateCommand,
  ListAddonsCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateAddonCommand,
} from '@aws-sdk/client-eks';
import { AppsV1Api } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POD_IDENTITY_TRUST, type SimFixture, startSimFixture } from './sim-fixture.ts';

const NS = 'addon';
const ADDON = 'eks-pod-identity-agent';
const WAIT = { timeout: 10_000, interval: 50 };

describe('the pod identity agent add-on lifecycle', () => {
  let f: SimFixture;
  let apps: AppsV1Api;
  const cluster = () => f.sim.cluster.name;
  const token = () =>
    f.exec(NS, 'app', [
      'cat',
      '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
    ]);
  const agentPods = async () =>
    (await f.core.listNamespacedPod({ namespace: 'kube-system' })).items.filter(
      (pod) => pod.metadata?.ownerReferences?.[0]?.name === ADDON,
    );
  const addonStatus = async () =>
    (await f.eks.send(new DescribeAddonCommand({ clusterName: cluster(), addonName: ADDON }))).addon?.status;

  beforeAll(async () => {
    f = await startSimFixture();
    apps = f.kubeConfig.makeApiClient(AppsV1Api);
    await f.createNamespace(NS);
    await f.createServiceAccount(NS, 'app');
    const roleArn = await f.createRole('addon-app', undefined, POD_IDENTITY_TRUST);
    await f.associate(NS, 'app', roleArn);
    await f.runPod(NS, 'app', 'app');
  }, 60_000);
  afterAll(() => f?.close());

  it('starts ACTIVE, with its DaemonSet and one Running, Ready agent pod on the host network', async () => {
    expect(await addonStatus()).toBe('ACTIVE');
    const ds = await apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: ADDON });
    expect(ds.status).toMatchObject({ desiredNumberScheduled: 1, numberReady: 1 });
    const [pod, ...others] = await agentPods();
    expect(others).toEqual([]);
    expect(pod?.spec).toMatchObject({ hostNetwork: true, nodeName: expect.any(String) });
    expect(pod?.status?.phase).toBe('Running');
    expect(pod?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(pod?.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', uid: ds.metadata?.uid });
  });

  it('a deleted agent pod is replaced by the DaemonSet', async () => {
    const [before] = await agentPods();
    await f.core.deleteNamespacedPod({ namespace: 'kube-system', name: before!.metadata!.name! });
    await vi.waitFor(async () => {
      const pods = await agentPods();
      expect(pods.map((p) => p.metadata?.uid)).toHaveLength(1);
      expect(pods[0]?.metadata?.uid).not.toBe(before?.metadata?.uid);
    }, WAIT);
  });

  it('lists the add-on versions, newest the default', async () => {
    const { addons } = await f.eks.send(
      new DescribeAddonVersionsCommand({ addonName: ADDON, kubernetesVersion: '1.33' }),
    );
    const versions = addons?.[0]?.addonVersions ?? [];
    expect(versions.length).toBeGreaterThan(1);
    expect(versions[0]?.compatibilities?.[0]?.defaultVersion).toBe(true);
    expect(versions.slice(1).every((v) => v.compatibilities?.[0]?.defaultVersion === false)).toBe(true);
  });

  it('UpdateAddon runs an update that turns Successful, the add-on UPDATING then ACTIVE', async () => {
    const { addons } = await f.eks.send(new DescribeAddonVersionsCommand({ addonName: ADDON }));
    const older = addons?.[0]?.addonVersions?.[1]?.addonVersion;
    const { update } = await f.eks.send(
      new UpdateAddonCommand({ clusterName: cluster(), addonName: ADDON, addonVersion: older }),
    );
    expect(update).toMatchObject({ status: 'InProgress', type: 'AddonUpdate' });
    expect(update?.params).toEqual([{ type: 'AddonVersion', value: older }]);
    expect(await addonStatus()).toBe('UPDATING');
    await expect(
      f.eks.send(new UpdateAddonCommand({ clusterName: cluster(), addonName: ADDON, addonVersion: older })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
    await vi.waitFor(async () => expect(await addonStatus()).toBe('ACTIVE'), WAIT);
    const described = await f.eks.send(
      new DescribeUpdateCommand({ name: cluster(), updateId: update!.id!, addonName: ADDON }),
    );
    expect(described.update?.status).toBe('Successful');
  });

  it('DeleteAddon: DELETING, then no add-on, no DaemonSet, no agent pod, and the agent refuses connections', async () => {
    expect((await f.askAgent(NS, 'app', (await token()).stdout)).status).toBe(200);
    const { addon } = await f.eks.send(new DeleteAddonCommand({ clusterName: cluster(), addonName: ADDON }));
    expect(addon?.status).toBe('DELETING');
    await vi.waitFor(
      async () => await expect(addonStatus()).rejects.toBeInstanceOf(ResourceNotFoundException),
      WAIT,
    );
    expect((await f.eks.send(new ListAddonsCommand({ clusterName: cluster() }))).addons).toEqual([]);
    await expect(
      apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: ADDON }),
    ).rejects.toMatchObject({ code: 404 });
    await vi.waitFor(async () => expect(await agentPods()).toEqual([]), WAIT);
    const refused = await f.exec(NS, 'app', [
      'sh',
      '-c',
      'curl -sS --max-time 5 -H "Authorization: $(cat $AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE)" "$AWS_CONTAINER_CREDENTIALS_FULL_URI"',
    ]);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.exitCode).not.toBe(28); // refused or reset, not a timeout
    expect(refused.stdout).toBe('');
  });

  it('CreateAddon: CREATING, then ACTIVE with its DaemonSet and pod, and the agent serves again', async () => {
    const { addon } = await f.eks.send(new CreateAddonCommand({ clusterName: cluster(), addonName: ADDON }));
    expect(addon?.status).toBe('CREATING');
    await expect(
      f.eks.send(new CreateAddonCommand({ clusterName: cluster(), addonName: ADDON })),
    ).rejects.toBeInstanceOf(ResourceInUseException);
    await vi.waitFor(async () => expect(await addonStatus()).toBe('ACTIVE'), WAIT);
    await apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: ADDON });
    expect(await agentPods()).toHaveLength(1);
    const served = await f.askAgent(NS, 'app', (await token()).stdout);
    expect(served.status).toBe(200);
    expect(JSON.parse(served.body)).toHaveProperty('AccessKeyId');
  });
});

describe('a cluster created without the add-on (--without-agent-addon), then installing it', () => {
  let f: SimFixture;
  let apps: AppsV1Api;
  beforeAll(async () => {
    f = await startSimFixture({ podIdentityAgentAddon: false });
    apps = f.kubeConfig.makeApiClient(AppsV1Api);
  }, 60_000);
  afterAll(() => f?.close());

  it('has no add-on and no DaemonSet until CreateAddon turns ACTIVE, then both', async () => {
    const clusterName = f.sim.cluster.name;
    expect((await f.eks.send(new ListAddonsCommand({ clusterName }))).addons).toEqual([]);
    await expect(
      apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: ADDON }),
    ).rejects.toMatchObject({ code: 404 });
    await f.eks.send(new CreateAddonCommand({ clusterName, addonName: ADDON }));
    await vi.waitFor(async () => {
      const { addon } = await f.eks.send(new DescribeAddonCommand({ clusterName, addonName: ADDON }));
      expect(addon?.status).toBe('ACTIVE');
    }, WAIT);
    const ds = await apps.readNamespacedDaemonSet({ namespace: 'kube-system', name: ADDON });
    expect(ds.status?.numberReady).toBe(1);
  });
});
