// Which EKS clusters support Pod Identity (spec §4.6, the EKS user guide's table): from Kubernetes 1.24,
// at or after a minimum platform version per Kubernetes version; any Kubernetes version after 1.31.

/** Kubernetes minor version -> the first `eks.N` platform version that supports Pod Identity. */
export const MINIMUM_PLATFORM_VERSIONS: Readonly<Record<string, number>> = {
  '1.24': 13,
  '1.25': 10,
  '1.26': 9,
  '1.27': 8,
  '1.28': 4,
  '1.29': 1,
  '1.30': 2,
  '1.31': 4,
};
const FIRST_SUPPORTED_MINOR = 24;
const LAST_LISTED_MINOR = 31;

export type SupportVerdict =
  | { supported: true; reason: string }
  | { supported: false; reason: string }
  | { supported: 'unknown'; reason: string };

function parseKubernetesVersion(version: string): { major: number; minor: number } | undefined {
  const match = /^v?(\d+)\.(\d+)/.exec(version.trim());
  return match ? { major: Number(match[1]), minor: Number(match[2]) } : undefined;
}

function parsePlatformVersion(version: string): number | undefined {
  const match = /^eks\.(\d+)$/.exec(version.trim());
  return match ? Number(match[1]) : undefined;
}

/** Whether a cluster of this Kubernetes and platform version supports Pod Identity, and why. */
export function podIdentitySupport(kubernetesVersion: string, platformVersion: string): SupportVerdict {
  const kubernetes = parseKubernetesVersion(kubernetesVersion);
  if (!kubernetes) {
    return { supported: 'unknown', reason: `Kubernetes version "${kubernetesVersion}" could not be read` };
  }
  const label = `Kubernetes ${kubernetes.major}.${kubernetes.minor} platform ${platformVersion || '(none)'}`;
  if (kubernetes.major > 1 || kubernetes.minor > LAST_LISTED_MINOR) {
    return {
      supported: true,
      reason: `${label} (every version after 1.${LAST_LISTED_MINOR} supports Pod Identity)`,
    };
  }
  if (kubernetes.minor < FIRST_SUPPORTED_MINOR) {
    return {
      supported: false,
      reason: `${label} does not support Pod Identity; upgrade the cluster to 1.${FIRST_SUPPORTED_MINOR} (eks.${MINIMUM_PLATFORM_VERSIONS[`1.${FIRST_SUPPORTED_MINOR}`]}) or later`,
    };
  }
  const minimum = MINIMUM_PLATFORM_VERSIONS[`1.${kubernetes.minor}`]!;
  const platform = parsePlatformVersion(platformVersion);
  if (platform === undefined) {
    return {
      supported: 'unknown',
      reason: `${label}: platform version not readable; Pod Identity needs eks.${minimum} or later on 1.${kubernetes.minor}`,
    };
  }
  if (platform >= minimum) return { supported: true, reason: `${label} (needs eks.${minimum} or later)` };
  return {
    supported: false,
    reason: `${label} is older than eks.${minimum}, the first 1.${kubernetes.minor} platform version with Pod Identity; update the cluster's platform version (EKS does it automatically over time) or upgrade Kubernetes`,
  };
}
