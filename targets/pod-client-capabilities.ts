// Whether the simulator's pods can run the Python and JS SDK v2 probes. They run the host's tools: the
// boto3 probe needs the python3 a pod finds first on its PATH (the AWS CLI's installation, then the
// system's) to import botocore; the JS SDK v2 probe needs only node, its aws-sdk is installed by the
// project (suite-api/pinned-clients.ts).

import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { PINNED_NODE_V2_VERSION } from '../suite-api/pinned-clients.ts';
import type { Capability } from './target.ts';

const SYSTEM_DIRS = ['/usr/local/bin', '/usr/bin', '/bin'];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function botocoreVersion(python: string): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(
      python,
      ['-c', 'import botocore; print(botocore.__version__)'],
      { timeout: 10_000 },
      (error, out) => resolve(error ? undefined : out.trim()),
    );
  });
}

export interface SimulatorPodClientCapabilities {
  podBoto3Probe: Capability;
  podNodeV2Probe: Capability;
}

export async function simulatorPodClientCapabilities(
  awsCliDir: string | undefined,
): Promise<SimulatorPodClientCapabilities> {
  const dirs = [...(awsCliDir ? [awsCliDir] : []), ...SYSTEM_DIRS];
  const python = dirs.map((dir) => join(dir, 'python3')).find(executable);
  const version = python ? await botocoreVersion(python) : undefined;
  return {
    podBoto3Probe: version
      ? { available: true, reason: `pods run the runner's ${python} with botocore ${version}` }
      : {
          available: false,
          reason: python
            ? `pods run the runner's ${python}, which cannot import botocore; install boto3 for it (pip install boto3)`
            : 'pods run as local processes and the runner has no python3; install Python 3 with boto3',
        },
    podNodeV2Probe: {
      available: true,
      reason: `pods run the runner's Node.js with aws-sdk ${PINNED_NODE_V2_VERSION}, installed into .pic/clients the first time a case needs it`,
    },
  };
}

/** Before the check ran, or where nothing checks it. */
export function podClientsNotChecked(reason: string): SimulatorPodClientCapabilities {
  return {
    podBoto3Probe: { available: false, reason },
    podNodeV2Probe: { available: false, reason },
  };
}
