// The role session name EKS Auth gives a pod's session: `eks-<cluster>-<pod>-<uuid>` (model
// documentation). STS limits session names to 64 characters; how EKS truncates longer names is not
// documented, so the simulator's rule is:
//   1. if the full name fits in 64 characters, use it as is;
//   2. otherwise cut the cluster part and the pod part to at most 20 characters each (only the parts
//      that are longer), keep the `eks-` prefix and the separators, and fill the rest with as much of
//      the UUID (from its start) as fits.
// So the name always starts with `eks-<first 20 characters of the cluster name>-`.

export const STS_SESSION_NAME_MAX = 64;
export const SESSION_NAME_PART_MAX = 20;

export function podIdentitySessionName(clusterName: string, podName: string, uuid: string): string {
  const full = `eks-${clusterName}-${podName}-${uuid}`;
  if (full.length <= STS_SESSION_NAME_MAX) return full;
  const prefix = `eks-${clusterName.slice(0, SESSION_NAME_PART_MAX)}-${podName.slice(0, SESSION_NAME_PART_MAX)}-`;
  return prefix + uuid.slice(0, STS_SESSION_NAME_MAX - prefix.length);
}
