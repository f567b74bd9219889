// ConfigMaps: plain data objects (pods read them through configMap volumes and env).

import type { V1ConfigMap } from '@kubernetes/client-node';
import type { KubeContext } from '../context.ts';
import { humanDuration } from '../objects.ts';
import { RestResource } from '../rest.ts';
import type { KubeObject } from '../store.ts';
import { AGE_COLUMN, column, NAME_COLUMN } from '../tables.ts';

export class ConfigMapsResource extends RestResource {
  constructor(ctx: KubeContext) {
    super(
      {
        group: '',
        version: 'v1',
        resource: 'configmaps',
        singular: 'configmap',
        kind: 'ConfigMap',
        namespaced: true,
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['cm'],
      },
      ctx,
    );
    this.printer = {
      columns: [NAME_COLUMN, column('Data', 'Number of data entries', { type: 'integer' }), AGE_COLUMN],
      cells: (object: KubeObject) => {
        const configMap = object as V1ConfigMap;
        return [
          configMap.metadata?.name ?? '',
          Object.keys(configMap.data ?? {}).length + Object.keys(configMap.binaryData ?? {}).length,
          humanDuration(configMap.metadata?.creationTimestamp as unknown as string),
        ];
      },
    };
  }
}
