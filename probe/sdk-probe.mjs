#!/usr/bin/env node
// Runs inside a test pod: uses the AWS SDK for JavaScript v3 with nothing but its default credential
// chain (in a Pod Identity pod: the container credential provider), like an application would.
// Prints one JSON line: {"ok":true,"sdk":"@aws-sdk/client-sts 3.x",...} or
// {"ok":false,"sdk":...,"error":{"name","message"}}. Exit 0 or 1.
//
//   node sdk-probe.mjs whoami
//   node sdk-probe.mjs put BUCKET KEY FILE
//   node sdk-probe.mjs get BUCKET KEY FILE
//   node sdk-probe.mjs container-provider   # the SDK's own container provider (fromHttp), asked directly
//   node sdk-probe.mjs get-role ROLE_NAME
//   node sdk-probe.mjs keep-calling UNTIL_EPOCH_MS   # one client, GetCallerIdentity until then

import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';

// The SDK as this script finds it (the project's node_modules), else from the working directory: in an
// application image (--client-image node-v3=IMAGE) the image's WORKDIR holds its node_modules.
const requireFrom = [createRequire(import.meta.url), createRequire(join(process.cwd(), 'package.json'))];
function load(name) {
  for (const require of requireFrom) {
    try {
      return require(name);
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  throw Object.assign(new Error(`cannot find ${name} here or in ${process.cwd()}`), { name: 'SdkNotFound' });
}

const [action, ...args] = process.argv.slice(2);
// A custom endpoint (simulator, LocalStack) on a bare host:port cannot serve virtual-hosted buckets.
const s3Options =
  process.env.AWS_ENDPOINT_URL || process.env.AWS_ENDPOINT_URL_S3 ? { forcePathStyle: true } : {};

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

let sdk = '@aws-sdk/client-sts';
/** Tells credentials apart without showing the access key id. */
const fingerprint = (accessKeyId) => sha256(accessKeyId ?? '').slice(0, 12);
const PAUSE_BETWEEN_CALLS_MS = 200;

/**
 * One client held for the whole loop, as a long-running application holds it: each call records which
 * credentials signed it (the default chain's, as the client's memoized provider last returned them).
 */
async function keepCalling(untilEpochMs) {
  const { GetCallerIdentityCommand, STSClient } = load('@aws-sdk/client-sts');
  const chain = load('@aws-sdk/credential-providers').fromNodeProviderChain();
  let last;
  const client = new STSClient({
    credentials: async (options) => {
      last = await chain(options);
      return last;
    },
  });
  const calls = [];
  do {
    const atMs = Date.now();
    try {
      await client.send(new GetCallerIdentityCommand({}));
      calls.push({
        ok: true,
        atMs,
        key: fingerprint(last?.accessKeyId),
        expiration: last?.expiration?.toISOString() ?? '',
      });
    } catch (error) {
      calls.push({
        ok: false,
        atMs,
        key: fingerprint(last?.accessKeyId),
        expiration: last?.expiration?.toISOString() ?? '',
        error: `${error?.name ?? 'Error'}: ${String(error?.message ?? error).slice(0, 300)}`,
      });
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, PAUSE_BETWEEN_CALLS_MS));
  } while (Date.now() < untilEpochMs);
  return { calls };
}

async function run() {
  const { GetCallerIdentityCommand, STSClient } = load('@aws-sdk/client-sts');
  try {
    sdk = `@aws-sdk/client-sts ${load('@aws-sdk/client-sts/package.json').version}`;
  } catch {
    // a package that does not export its package.json: the name alone
  }
  switch (action) {
    case 'whoami': {
      const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
      return { arn: identity.Arn, account: identity.Account, userId: identity.UserId };
    }
    case 'put': {
      const [bucket, key, file] = args;
      const { PutObjectCommand, S3Client } = load('@aws-sdk/client-s3');
      const body = await readFile(file);
      await new S3Client(s3Options).send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
      return { bucket, key, bytes: body.length, sha256: sha256(body) };
    }
    case 'get': {
      const [bucket, key, file] = args;
      const { GetObjectCommand, S3Client } = load('@aws-sdk/client-s3');
      const object = await new S3Client(s3Options).send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const body = Buffer.from(await object.Body.transformToByteArray());
      if (file) await writeFile(file, body);
      return { bucket, key, bytes: body.length, sha256: sha256(body) };
    }
    case 'container-provider': {
      // fromHttp serves the full URI since 3.458; before, fromContainerMetadata did (and refused the EKS host).
      const { fromHttp, fromContainerMetadata } = load('@aws-sdk/credential-providers');
      const credentials = await (fromHttp ?? fromContainerMetadata)({})();
      // Never the keys themselves: only that there were some.
      return { credentials: Boolean(credentials.accessKeyId) };
    }
    case 'get-role': {
      const { GetRoleCommand, IAMClient } = load('@aws-sdk/client-iam');
      const { Role } = await new IAMClient({}).send(new GetRoleCommand({ RoleName: args[0] }));
      return { arn: Role.Arn };
    }
    case 'keep-calling':
      return keepCalling(Number(args[0]));
    default:
      throw Object.assign(
        new Error(
          `unknown action "${action}"; use whoami, put, get, container-provider, get-role or keep-calling`,
        ),
        {
          name: 'Usage',
        },
      );
  }
}

try {
  const result = await run();
  console.log(JSON.stringify({ ok: true, sdk, ...result }));
} catch (error) {
  console.log(
    JSON.stringify({
      ok: false,
      sdk,
      error: { name: error?.name ?? 'Error', message: String(error?.message ?? error) },
    }),
  );
  process.exitCode = 1;
}
