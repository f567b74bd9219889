// An outside client for the simulator's pods: the AWS SDK for JavaScript v3 with nothing but its default
// credential chain. `whoami`, or `put BUCKET KEY FILE`; prints one JSON line, {ok, ...} or {ok:false, error}.

import { readFile } from 'node:fs/promises';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

const [command, bucket, key, file] = process.argv.slice(2);
const operations = {
  whoami: async () => {
    const { Arn, Account } = await new STSClient({}).send(new GetCallerIdentityCommand({}));
    return { arn: Arn, account: Account };
  },
  put: async () => {
    const s3 = new S3Client({ forcePathStyle: true });
    const body = await readFile(file);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { bucket, key, bytes: body.length };
  },
};
try {
  const result = await operations[command]();
  process.stdout.write(`${JSON.stringify({ ok: true, ...result })}\n`);
} catch (error) {
  process.stdout.write(
    `${JSON.stringify({ ok: false, error: { name: error.name, message: error.message } })}\n`,
  );
  process.exitCode = 1;
}
