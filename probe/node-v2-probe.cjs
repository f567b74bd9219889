#!/usr/bin/env node
// Runs inside a test pod: the AWS SDK for JavaScript v2 (`aws-sdk`) with nothing but its default
// credential chain, like an application would. Prints one JSON line, as probe/sdk-probe.mjs does:
// {"ok":true,"sdk":"aws-sdk 2.1693.0",...} or {"ok":false,"sdk":...,"error":{"name","message"}}.
//
//   node node-v2-probe.cjs whoami
//   node node-v2-probe.cjs put BUCKET KEY FILE
//   node node-v2-probe.cjs get BUCKET KEY FILE
//   node node-v2-probe.cjs container-provider   # the SDK's own container provider, asked directly
//
// `aws-sdk` is loaded from the prefix in PIC_AWS_SDK_DIR (a pinned install), else from the working
// directory (an application image's WORKDIR), else as Node.js resolves it (NODE_PATH, the global path).

const { createHash } = require('node:crypto');
const { readFileSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { join } = require('node:path');

process.env.AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE = '1';

function loadSdk() {
  const places = [process.env.PIC_AWS_SDK_DIR, process.cwd()].filter(Boolean);
  for (const place of places) {
    try {
      return createRequire(join(place, 'package.json'))('aws-sdk');
    } catch (error) {
      if (error.code !== 'MODULE_NOT_FOUND') throw error;
    }
  }
  return require('aws-sdk');
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function serviceOptions(service) {
  const region = process.env.AWS_REGION || 'us-east-1';
  // aws-sdk v2 does not read AWS_ENDPOINT_URL; a bare host:port cannot serve virtual-hosted buckets.
  const endpoint = process.env[`AWS_ENDPOINT_URL_${service.toUpperCase()}`] || process.env.AWS_ENDPOINT_URL;
  return endpoint ? { region, endpoint, s3ForcePathStyle: true } : { region };
}

async function run(AWS, action, args) {
  switch (action) {
    case 'whoami': {
      const identity = await new AWS.STS(serviceOptions('sts')).getCallerIdentity({}).promise();
      return { arn: identity.Arn, account: identity.Account, userId: identity.UserId };
    }
    case 'put': {
      const [bucket, key, file] = args;
      const body = readFileSync(file);
      await new AWS.S3(serviceOptions('s3')).putObject({ Bucket: bucket, Key: key, Body: body }).promise();
      return { bucket, key, bytes: body.length, sha256: sha256(body) };
    }
    case 'get': {
      const [bucket, key, file] = args;
      const object = await new AWS.S3(serviceOptions('s3')).getObject({ Bucket: bucket, Key: key }).promise();
      const body = Buffer.from(object.Body);
      if (file) writeFileSync(file, body);
      return { bucket, key, bytes: body.length, sha256: sha256(body) };
    }
    case 'container-provider': {
      const credentials = new AWS.ECSCredentials();
      await credentials.getPromise();
      // Never the keys themselves: only that there were some.
      return { credentials: Boolean(credentials.accessKeyId) };
    }
    default:
      throw Object.assign(
        new Error(`unknown action "${action}"; use whoami, put, get or container-provider`),
        {
          name: 'Usage',
        },
      );
  }
}

async function main() {
  const [action, ...args] = process.argv.slice(2);
  const result = { ok: false, sdk: 'aws-sdk' };
  try {
    const AWS = loadSdk();
    result.sdk = `aws-sdk ${AWS.VERSION}`;
    Object.assign(result, await run(AWS, action, args));
    result.ok = true;
  } catch (error) {
    result.error = {
      name: error?.code ?? error?.name ?? 'Error',
      message: String(error?.message ?? error),
    };
  }
  console.log(JSON.stringify(result));
  process.exitCode = result.ok ? 0 : 1;
}

main();
