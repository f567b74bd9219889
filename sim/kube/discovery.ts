// Discovery documents (/api, /api/v1, /apis, /apis/GROUP, /apis/GROUP/VERSION), built from the
// registered resources so the verbs listed are exactly the ones served. Served as plain JSON; clients
// asking for aggregated discovery fall back to these, as they do with older servers.

import type { RestResource } from './rest.ts';

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

function groupVersions(resources: RestResource[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const resource of resources) {
    const { group, version } = resource.info;
    if (!group) continue;
    const versions = groups.get(group) ?? [];
    if (!versions.includes(version)) versions.push(version);
    groups.set(group, versions);
  }
  return groups;
}

function groupEntry(name: string, versions: string[]): Record<string, unknown> {
  const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
  return { name, versions: entries, preferredVersion: entries[0] };
}

export function apiGroupList(resources: RestResource[]): Record<string, unknown> {
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groupVersions(resources)].map(([name, versions]) => groupEntry(name, versions)),
  };
}

export function apiGroup(resources: RestResource[], group: string): Record<string, unknown> | undefined {
  const versions = groupVersions(resources).get(group);
  return versions ? { kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, versions) } : undefined;
}

export function apiResourceList(
  resources: RestResource[],
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const served = resources.filter((r) => r.info.group === group && r.info.version === version);
  if (served.length === 0) return undefined;
  const entries: Array<Record<string, unknown>> = [];
  for (const resource of served) {
    const { info } = resource;
    entries.push({
      name: info.resource,
      singularName: info.singular,
      namespaced: info.namespaced,
      kind: info.kind,
      verbs: info.verbs,
      ...(info.shortNames ? { shortNames: info.shortNames } : {}),
      ...(info.categories ? { categories: info.categories } : {}),
    });
    for (const sub of resource.subresourceInfo()) {
      entries.push({
        name: sub.name,
        singularName: '',
        namespaced: info.namespaced,
        ...(sub.group ? { group: sub.group, version: sub.version } : {}),
        kind: sub.kind,
        verbs: sub.verbs,
      });
    }
  }
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: entries,
  };
}
