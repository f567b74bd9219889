// Decoding of the Kubernetes protobuf request encoding (`application/vnd.kubernetes.protobuf`) for
// the kinds kubectl's typed clients send as protobuf (`kubectl create namespace|serviceaccount|
// configmap|token`, `kubectl auth whoami`). The envelope is the magic `k8s\0` followed by a
// runtime.Unknown {typeMeta, raw}; `raw` is the object, decoded here with the fields of
// k8s.io/api's generated.proto that these kinds use. Responses are always JSON.

import { badRequest, KubeStatusError } from './status.ts';

type Scalar = 'string' | 'int64' | 'bool' | 'bytes';
interface FieldSpec {
  name: string;
  type: Scalar | MessageSpec | 'stringMap' | 'bytesMap';
  repeated?: boolean;
}
type MessageSpec = { [field: number]: FieldSpec };

const OBJECT_META: MessageSpec = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int64' },
  11: { name: 'labels', type: 'stringMap' },
  12: { name: 'annotations', type: 'stringMap' },
  14: { name: 'finalizers', type: 'string', repeated: true },
};

const OBJECT_REFERENCE: MessageSpec = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'namespace', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'fieldPath', type: 'string' },
};

const DELETE_OPTIONS: MessageSpec = {
  1: { name: 'gracePeriodSeconds', type: 'int64' },
  2: {
    name: 'preconditions',
    type: { 1: { name: 'uid', type: 'string' }, 2: { name: 'resourceVersion', type: 'string' } },
  },
  3: { name: 'orphanDependents', type: 'bool' },
  4: { name: 'propagationPolicy', type: 'string' },
  5: { name: 'dryRun', type: 'string', repeated: true },
};

const KINDS: Record<string, MessageSpec> = {
  'v1/DeleteOptions': DELETE_OPTIONS,
  'meta.k8s.io/v1/DeleteOptions': DELETE_OPTIONS,
  'v1/Namespace': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'spec', type: { 1: { name: 'finalizers', type: 'string', repeated: true } } },
  },
  'v1/ServiceAccount': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'secrets', type: OBJECT_REFERENCE, repeated: true },
    3: { name: 'imagePullSecrets', type: { 1: { name: 'name', type: 'string' } }, repeated: true },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  'v1/ConfigMap': {
    1: { name: 'metadata', type: OBJECT_META },
    2: { name: 'data', type: 'stringMap' },
    3: { name: 'binaryData', type: 'bytesMap' },
    4: { name: 'immutable', type: 'bool' },
  },
  'authentication.k8s.io/v1/TokenRequest': {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: {
        1: { name: 'audiences', type: 'string', repeated: true },
        3: {
          name: 'boundObjectRef',
          type: {
            1: { name: 'kind', type: 'string' },
            2: { name: 'apiVersion', type: 'string' },
            3: { name: 'name', type: 'string' },
            4: { name: 'uid', type: 'string' },
          },
        },
        4: { name: 'expirationSeconds', type: 'int64' },
      },
    },
  },
  'authentication.k8s.io/v1/SelfSubjectReview': { 1: { name: 'metadata', type: OBJECT_META } },
  'authentication.k8s.io/v1/TokenReview': {
    1: { name: 'metadata', type: OBJECT_META },
    2: {
      name: 'spec',
      type: {
        1: { name: 'token', type: 'string' },
        2: { name: 'audiences', type: 'string', repeated: true },
      },
    },
  },
};

class Reader {
  readonly buf: Buffer;
  pos: number;
  readonly end: number;

  constructor(buf: Buffer, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.end) throw badRequest('protobuf: truncated varint');
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 63n) throw badRequest('protobuf: varint too long');
    }
  }

  bytes(): Buffer {
    const length = Number(this.varint());
    if (this.pos + length > this.end) throw badRequest('protobuf: truncated field');
    const out = this.buf.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  skip(wireType: number): void {
    if (wireType === 0) this.varint();
    else if (wireType === 1) this.pos += 8;
    else if (wireType === 2) this.bytes();
    else if (wireType === 5) this.pos += 4;
    else throw badRequest(`protobuf: unsupported wire type ${wireType}`);
  }
}

function decodeMap(entries: Buffer[], asBase64: boolean): Record<string, string> {
  const map: Record<string, string> = {};
  for (const entry of entries) {
    const reader = new Reader(entry);
    let key = '';
    let value: Buffer = Buffer.alloc(0);
    while (reader.pos < reader.end) {
      const tag = Number(reader.varint());
      if (tag >> 3 === 1 && (tag & 7) === 2) key = reader.bytes().toString('utf8');
      else if (tag >> 3 === 2 && (tag & 7) === 2) value = reader.bytes();
      else reader.skip(tag & 7);
    }
    map[key] = asBase64 ? value.toString('base64') : value.toString('utf8');
  }
  return map;
}

function decodeMessage(buf: Buffer, spec: MessageSpec): Record<string, unknown> {
  const reader = new Reader(buf);
  const out: Record<string, unknown> = {};
  const mapEntries = new Map<string, Buffer[]>();
  while (reader.pos < reader.end) {
    const tag = Number(reader.varint());
    const field = spec[tag >> 3];
    const wireType = tag & 7;
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    let value: unknown;
    if (field.type === 'stringMap' || field.type === 'bytesMap') {
      const list = mapEntries.get(field.name) ?? [];
      list.push(reader.bytes());
      mapEntries.set(field.name, list);
      continue;
    }
    if (field.type === 'string') value = reader.bytes().toString('utf8');
    else if (field.type === 'bytes') value = reader.bytes().toString('base64');
    else if (field.type === 'int64') value = Number(BigInt.asIntN(64, reader.varint()));
    else if (field.type === 'bool') value = reader.varint() !== 0n;
    else value = decodeMessage(reader.bytes(), field.type as MessageSpec);
    if (field.repeated) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      list.push(value);
      out[field.name] = list;
    } else {
      out[field.name] = value;
    }
  }
  for (const [name, entries] of mapEntries) {
    const field = Object.values(spec).find((f) => f.name === name);
    out[name] = decodeMap(entries, field?.type === 'bytesMap');
  }
  return out;
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf-encoded Kubernetes object into its JSON form (415 for kinds not listed above). */
export function decodeKubernetesProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw badRequest('protobuf: the body lacks the k8s\\0 prefix');
  const unknown = decodeMessage(body.subarray(4), {
    1: {
      name: 'typeMeta',
      type: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
    },
    2: { name: 'raw', type: 'bytes' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const spec = KINDS[`${typeMeta.apiVersion}/${typeMeta.kind}`];
  if (!spec) {
    throw new KubeStatusError(
      'UnsupportedMediaType',
      `the simulator cannot decode ${typeMeta.kind ?? 'this object'} (${typeMeta.apiVersion ?? '?'}) as protobuf; send application/json`,
    );
  }
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(raw, spec) };
}
