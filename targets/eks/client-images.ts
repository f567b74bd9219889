// --client-image PROBE=IMAGE (eks target): runs that probe inside your own image, so you learn whether
// the SDK in your application image can use Pod Identity before you migrate it. Each test pod gets one
// more container per image (`client-<client>`, the image's own SDK, the keep-alive command), and the
// probe scripts are mounted into it from a ConfigMap (`pic-probes`, in the pod's namespace) at /pic-probe.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Capabilities, Capability, ClientContainer } from '../target.ts';

/** The probe names --client-image takes, and the client each one is. */
export const CLIENT_IMAGE_PROBES = {
  python: 'boto3',
  'node-v3': 'sdk-probe',
  'node-v2': 'node-v2',
  'aws-cli': 'aws-cli',
} as const;
type ProbeName = keyof typeof CLIENT_IMAGE_PROBES;

export const PROBE_CONFIG_MAP = 'pic-probes';
export const PROBE_MOUNT_PATH = '/pic-probe';

/** What each probe needs in the image, for the capability's reason. */
const NEEDS: Record<ProbeName, string> = {
  python: 'python3 with boto3 or botocore',
  'node-v3': 'node with @aws-sdk/client-sts, client-s3 and credential-providers in its WORKDIR',
  'node-v2': 'node with aws-sdk in its WORKDIR (or on NODE_PATH)',
  'aws-cli': 'the aws CLI',
};

function splitProbeImage(text: string): { probe: string; image: string } {
  const at = text.indexOf('=');
  return at < 0 ? { probe: text, image: '' } : { probe: text.slice(0, at), image: text.slice(at + 1) };
}

/** What is wrong with a --client-image value; `imageProblem` checks the image reference. */
export function clientImageProblem(
  text: string,
  imageProblem: (image: string) => string | undefined,
): string | undefined {
  const { probe, image } = splitProbeImage(text);
  const example = 'e.g. --client-image python=registry.example.com/team/app:1.4';
  if (!Object.hasOwn(CLIENT_IMAGE_PROBES, probe) || image === '')
    return `malformed client image "${text}"; give PROBE=IMAGE with PROBE one of ${Object.keys(CLIENT_IMAGE_PROBES).join(', ')}, ${example}`;
  const problem = imageProblem(image);
  return problem ? `client image "${text}": ${problem}` : undefined;
}

/** The extra containers of the test pods, one per --client-image (checked already); the last one wins. */
export function clientContainers(values: readonly string[] = []): ClientContainer[] {
  const byClient = new Map<string, ClientContainer>();
  for (const text of values) {
    const { probe, image } = splitProbeImage(text);
    const client = CLIENT_IMAGE_PROBES[probe as ProbeName];
    byClient.set(client, { client, image, name: `client-${client}` });
  }
  return [...byClient.values()];
}

/** The clients the images run become available, each with the image it runs in. */
export function withClientImages(
  capabilities: Capabilities,
  containers: readonly ClientContainer[],
): Capabilities {
  const result = { ...capabilities };
  for (const container of containers) {
    const probe = (Object.keys(CLIENT_IMAGE_PROBES) as ProbeName[]).find(
      (name) => CLIENT_IMAGE_PROBES[name] === container.client,
    ) as ProbeName;
    const capability: Capability = {
      available: true,
      reason: `runs in ${container.image} (--client-image ${probe}=…), which needs ${NEEDS[probe]}`,
    };
    const name = {
      boto3: 'podBoto3Probe',
      'sdk-probe': 'podSdkProbe',
      'node-v2': 'podNodeV2Probe',
      'aws-cli': 'podAwsCli',
    }[container.client] as keyof Capabilities;
    result[name] = capability;
  }
  return result;
}

const PROBE_FILES = ['boto3-probe.py', 'node-v2-probe.cjs', 'sdk-probe.mjs'];

/** The ConfigMap's data: the probe scripts, by file name. */
export function probeConfigMapData(): Record<string, string> {
  return Object.fromEntries(
    PROBE_FILES.map((file) => [
      file,
      readFileSync(fileURLToPath(new URL(`../../probe/${file}`, import.meta.url)), 'utf8'),
    ]),
  );
}
