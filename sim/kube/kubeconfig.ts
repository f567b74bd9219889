// The kubeconfig clients use: the server URL, the CA, and the admin bearer token.

import { stringify } from 'yaml';

export function buildKubeconfig(options: {
  clusterName: string;
  server: string;
  caCertPem: string;
  token: string;
}): string {
  const user = `${options.clusterName}-admin`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: options.clusterName,
        cluster: {
          server: options.server,
          'certificate-authority-data': Buffer.from(options.caCertPem).toString('base64'),
        },
      },
    ],
    contexts: [
      { name: options.clusterName, context: { cluster: options.clusterName, user, namespace: 'default' } },
    ],
    'current-context': options.clusterName,
    users: [{ name: user, user: { token: options.token } }],
    preferences: {},
  });
}
