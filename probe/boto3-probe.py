#!/usr/bin/env python3
# Runs inside a test pod: botocore (the library under boto3, whose credential chain boto3 uses) with
# nothing but its default credential chain, like an application would. Works with old botocore releases
# too (Debian's 1.29), so it sticks to APIs they have. Prints one JSON line, as probe/sdk-probe.mjs does:
# {"ok":true,"sdk":"botocore 1.43.11",...} or {"ok":false,"sdk":...,"error":{"name","message"}}.
#
#   python3 boto3-probe.py whoami
#   python3 boto3-probe.py put BUCKET KEY FILE
#   python3 boto3-probe.py get BUCKET KEY FILE
#   python3 boto3-probe.py container-provider   # botocore's own container provider, asked directly

import hashlib
import json
import os
import sys

SDK = 'botocore'


def client(service):
    import botocore.session
    from botocore.config import Config

    kwargs = {'region_name': os.environ.get('AWS_REGION') or 'us-east-1'}
    # Old botocore does not read AWS_ENDPOINT_URL; a bare host:port cannot serve virtual-hosted buckets.
    endpoint = os.environ.get('AWS_ENDPOINT_URL_' + service.upper()) or os.environ.get('AWS_ENDPOINT_URL')
    if endpoint:
        kwargs['endpoint_url'] = endpoint
        kwargs['config'] = Config(s3={'addressing_style': 'path'})
    return botocore.session.get_session().create_client(service, **kwargs)


def run(action, args):
    if action == 'whoami':
        identity = client('sts').get_caller_identity()
        return {'arn': identity['Arn'], 'account': identity['Account'], 'userId': identity['UserId']}
    if action == 'put':
        bucket, key, path = args
        with open(path, 'rb') as file:
            body = file.read()
        client('s3').put_object(Bucket=bucket, Key=key, Body=body)
        return {'bucket': bucket, 'key': key, 'bytes': len(body), 'sha256': hashlib.sha256(body).hexdigest()}
    if action == 'get':
        bucket, key, path = args
        body = client('s3').get_object(Bucket=bucket, Key=key)['Body'].read()
        with open(path, 'wb') as file:
            file.write(body)
        return {'bucket': bucket, 'key': key, 'bytes': len(body), 'sha256': hashlib.sha256(body).hexdigest()}
    if action == 'container-provider':
        from botocore.credentials import ContainerProvider

        credentials = ContainerProvider().load()
        if credentials is None:
            raise LookupError('the container provider is not configured (no AWS_CONTAINER_CREDENTIALS_* variable)')
        # Never the keys themselves: only that there were some.
        return {'credentials': bool(credentials.access_key)}
    raise ValueError('unknown action "%s"; use whoami, put, get or container-provider' % action)


def main():
    result = {'ok': False, 'sdk': SDK}
    try:
        import botocore

        result['sdk'] = 'botocore ' + botocore.__version__
        result.update(run(sys.argv[1] if len(sys.argv) > 1 else '', sys.argv[2:]))
        result['ok'] = True
    except Exception as error:  # every failure becomes the JSON result
        result['error'] = {'name': type(error).__name__, 'message': str(error)}
    print(json.dumps(result))
    return 0 if result['ok'] else 1


if __name__ == '__main__':
    sys.exit(main())
