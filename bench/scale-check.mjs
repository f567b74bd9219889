#!/usr/bin/env node
// Runs inside one pod of the scale bench (bench/scale.ts), with nothing but the SDK's default
// credential chain (the pod's Pod Identity credentials): the pod must be its own role, may write under
// its own prefix, and must be denied under another pod's. One process for the three checks, so that N
// pods cost N process starts. Prints one JSON line; exit 0 when all three hold.
//
//   node scale-check.mjs ROLE_NAME BUCKET OWN_PREFIX OTHER_PREFIX

import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const [roleName, bucket, ownPrefix, otherPrefix] = process.argv.slice(2);
const s3 = new S3Client({ forcePathStyle: true });
const put = (prefix) =>
  s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/check.txt`, Body: 'scale' })).then(
    () => 'allowed',
    (error) => (error.name === 'AccessDenied' ? 'denied' : `failed: ${error.name}: ${error.message}`),
  );

const identity = await new STSClient({}).send(new GetCallerIdentityCommand({}));
const result = {
  ownRole: identity.Arn.includes(`:assumed-role/${roleName}/`),
  ownPrefix: await put(ownPrefix),
  otherPrefix: await put(otherPrefix),
};
const ok = result.ownRole && result.ownPrefix === 'allowed' && result.otherPrefix === 'denied';
process.stdout.write(`${JSON.stringify({ ok, arn: identity.Arn, ...result })}\n`);
process.exit(ok ? 0 : 1);
