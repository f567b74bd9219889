import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { createAgentSpawnEnvHook } from '../../agent/spawn-env.ts';

const pod: V1Pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'app' }] } };

describe('agent spawn env hook', () => {
  const hook = createAgentSpawnEnvHook({
    agentUrl: 'http://127.0.0.1:41234',
    awsEndpointUrl: 'http://127.0.0.1:5000',
  });

  it('maps the agent link-local addresses to the loopback agent and leaves other URIs alone', () => {
    expect(
      hook({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://169.254.170.23/v1/credentials' }, pod, 'app'),
    ).toMatchObject({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:41234/v1/credentials' });
    expect(
      hook({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://[fd00:ec2::23]/v1/credentials' }, pod, 'app'),
    ).toMatchObject({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:41234/v1/credentials' });
    expect(
      hook({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/creds' }, pod, 'app'),
    ).toMatchObject({ AWS_CONTAINER_CREDENTIALS_FULL_URI: 'http://127.0.0.1:9/creds' });
  });

  it('points AWS clients at the simulator and disables IMDS, unless the container set them', () => {
    expect(hook({}, pod, 'app')).toEqual({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:5000',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    expect(hook({ AWS_ENDPOINT_URL: 'http://x', AWS_EC2_METADATA_DISABLED: 'false' }, pod, 'app')).toEqual({
      AWS_ENDPOINT_URL: 'http://x',
      AWS_EC2_METADATA_DISABLED: 'false',
    });
  });

  it('keeps EKS on the simulator when AWS_ENDPOINT_URL points elsewhere (external AWS)', () => {
    const external = createAgentSpawnEnvHook({
      agentUrl: 'http://127.0.0.1:41234',
      awsEndpointUrl: 'http://127.0.0.1:4566',
      serviceEndpointUrls: { eks: 'http://127.0.0.1:5000', 'eks-auth': 'http://127.0.0.1:5000' },
    });
    expect(external({}, pod, 'app')).toMatchObject({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:4566',
      AWS_ENDPOINT_URL_EKS: 'http://127.0.0.1:5000',
      AWS_ENDPOINT_URL_EKS_AUTH: 'http://127.0.0.1:5000',
    });
  });
});
