// A minimal OpenAPI v3 publication: per group-version, a PATCH operation for each kind that declares
// the `fieldValidation` query parameter. That is what kubectl looks for to leave validation to the
// server (`kubectl create -f`, `kubectl apply`); no schemas are published.

import { apiVersionOf, type RestResource } from './rest.ts';

function groupVersionPath(resource: RestResource): string {
  return resource.info.group
    ? `apis/${resource.info.group}/${resource.info.version}`
    : `api/${resource.info.version}`;
}

export function openApiIndex(resources: RestResource[]): Record<string, unknown> {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const resource of resources) {
    const path = groupVersionPath(resource);
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=0` };
  }
  return { paths };
}

export function openApiGroupVersion(
  resources: RestResource[],
  path: string,
): Record<string, unknown> | undefined {
  const served = resources.filter((resource) => groupVersionPath(resource) === path);
  if (served.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const resource of served) {
    const { info } = resource;
    const scope = info.namespaced ? '/namespaces/{namespace}' : '';
    paths[`/${path}${scope}/${info.resource}/{name}`] = {
      patch: {
        description: `partially update the specified ${info.kind}`,
        operationId: `patch${info.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: info.group, version: info.version, kind: info.kind },
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
        ],
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: apiVersionOf(served[0].info) },
    paths,
    components: { schemas: {} },
  };
}
