// Mount-path mapping and `$(VAR)` expansion, the two rewrites applied when a pod process is spawned.

import { describe, expect, it } from 'vitest';
import { expandReferences, rewriteMountPaths } from '../../runtime/index.ts';

const mappings = [
  {
    mountPath: '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount',
    hostPath: '/sb/volumes/eks-pod-identity-token',
  },
  {
    mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
    hostPath: '/sb/volumes/kube-api-access-abcde',
  },
  { mountPath: '/data', hostPath: '/sb/volumes/data' },
];

describe('rewriteMountPaths', () => {
  it('rewrites a mount path used as a prefix', () => {
    expect(
      rewriteMountPaths(
        '/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token',
        mappings,
      ),
    ).toBe('/sb/volumes/eks-pod-identity-token/eks-pod-identity-token');
    expect(rewriteMountPaths('/data', mappings)).toBe('/sb/volumes/data');
  });

  it('rewrites mount paths inside a shell script string', () => {
    expect(
      rewriteMountPaths(
        'cat /data/a.txt && ls "/var/run/secrets/kubernetes.io/serviceaccount"; echo x=/data/b',
        mappings,
      ),
    ).toBe('cat /sb/volumes/data/a.txt && ls "/sb/volumes/kube-api-access-abcde"; echo x=/sb/volumes/data/b');
  });

  it('leaves paths that only share a prefix alone', () => {
    expect(rewriteMountPaths('/database /data2 /srv/data /datafile', mappings)).toBe(
      '/database /data2 /srv/data /datafile',
    );
    expect(rewriteMountPaths('/var/run/secrets/kubernetes.io/serviceaccounts', mappings)).toBe(
      '/var/run/secrets/kubernetes.io/serviceaccounts',
    );
  });

  it('prefers the most specific mount', () => {
    const nested = [
      { mountPath: '/data/inner', hostPath: '/sb/volumes/inner' },
      { mountPath: '/data', hostPath: '/sb/volumes/data' },
    ];
    expect(rewriteMountPaths('/data/inner/x /data/y', nested)).toBe('/sb/volumes/inner/x /sb/volumes/data/y');
  });
});

describe('expandReferences', () => {
  const vars: Record<string, string> = { A: 'alpha', B: 'beta' };
  const lookup = (name: string) => vars[name];

  it('expands defined variables and keeps unknown references as written', () => {
    expect(expandReferences('$(A)-$(B)-$(C)', lookup)).toBe('alpha-beta-$(C)');
  });

  it('treats $$ as an escaped $', () => {
    expect(expandReferences('$$(A) costs $$5', lookup)).toBe('$(A) costs $5');
  });
});
