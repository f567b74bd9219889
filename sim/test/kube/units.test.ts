// Selectors, patches and path parsing: the small parsers the API server relies on.

import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch } from '../../kube/patch.ts';
import { parseFieldSelector, parseLabelSelector } from '../../kube/selectors.ts';
import { parseApiPath } from '../../kube/server.ts';
import { KubeStatusError } from '../../kube/status.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it.each([
    ['app=web', true],
    ['app==web,tier=front', true],
    ['app!=web', false],
    ['env in (prod, staging)', true],
    ['env notin (prod)', false],
    ['tier', true],
    ['!missing', true],
    ['!tier', false],
    ['', true],
  ])('%s → %s', (selector, expected) => {
    expect(parseLabelSelector(selector)(labels)).toBe(expected);
  });

  it('rejects garbage', () => {
    expect(() => parseLabelSelector('a in b')).toThrow(/unable to parse requirement/);
  });

  it('validates values as labels.NewRequirement does: label syntax, 63 characters, a non-empty set', () => {
    expect(parseLabelSelector('app=')({ app: '' }), 'an empty value is a valid label value').toBe(true);
    expect(() => parseLabelSelector('app=-web')).toThrow(
      `unable to parse requirement: values[0][app]: Invalid value: "-web": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
    );
    expect(() => parseLabelSelector('env in (prod,st@ging)')).toThrow(
      'values[1][env]: Invalid value: "st@ging"',
    );
    expect(() => parseLabelSelector(`app=${'a'.repeat(64)}`)).toThrow('must be no more than 63 characters');
    expect(() => parseLabelSelector('env in ()')).toThrow("values set can't be empty");
  });
});

describe('field selectors', () => {
  const pod = { metadata: { name: 'p', namespace: 'n' }, status: { phase: 'Running' } };
  it('matches supported fields and rejects others', () => {
    expect(
      parseFieldSelector('metadata.name=p,status.phase!=Failed', ['metadata.name', 'status.phase'])(pod),
    ).toBe(true);
    expect(parseFieldSelector('status.phase=Pending', ['status.phase'])(pod)).toBe(false);
    expect(() => parseFieldSelector('spec.bogus=x', ['metadata.name'])).toThrow(
      'field label not supported: spec.bogus',
    );
  });
});

describe('patches', () => {
  it('merge patch sets, replaces and removes', () => {
    expect(applyMergePatch({ a: 1, b: { c: 2, d: 3 }, l: [1] }, { b: { c: null, e: 4 }, l: [2] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      l: [2],
    });
  });

  it('JSON patch adds, replaces, removes and tests', () => {
    const doc = { metadata: { labels: { a: 'x' } }, list: [1, 2] };
    expect(
      applyJsonPatch(doc, [
        { op: 'test', path: '/metadata/labels/a', value: 'x' },
        { op: 'add', path: '/metadata/labels/b~1c', value: 'y' },
        { op: 'replace', path: '/list/0', value: 9 },
        { op: 'add', path: '/list/-', value: 3 },
        { op: 'remove', path: '/metadata/labels/a' },
      ]),
    ).toEqual({ metadata: { labels: { 'b/c': 'y' } }, list: [9, 2, 3] });
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/list/0', value: 5 }])).toThrow(KubeStatusError);
  });

  // The edge cases where a hand-written patcher differs from RFC 6902; the answers are the API server's
  // (evanphx/json-patch's messages as the cause of a 422 Invalid Status).
  const list = { spec: { list: ['a', 'b'], map: { x: 1, y: { z: 2 } } } };
  it.each([
    [
      'a non-numeric array index',
      { op: 'add', path: '/spec/list/x', value: 'c' },
      "error in add for path: '/spec/list/x': value was not a proper array index: 'x': strconv.Atoi: parsing \"x\": invalid syntax",
    ],
    [
      'an add past the end of an array',
      { op: 'add', path: '/spec/list/5', value: 'c' },
      "error in add for path: '/spec/list/5': Unable to access invalid index: 5: invalid index referenced",
    ],
    [
      'a replace of an index that does not exist',
      { op: 'replace', path: '/spec/list/2', value: 'c' },
      'replace operation does not apply: doc is missing key: /spec/list/2: missing value',
    ],
    [
      'a remove of an index that does not exist',
      { op: 'remove', path: '/spec/list/9' },
      'remove operation does not apply: doc is missing path: "/spec/list/9": missing value',
    ],
    [
      'an add under a parent that does not exist',
      { op: 'add', path: '/spec/missing/key', value: 1 },
      'add operation does not apply: doc is missing path: "/spec/missing/key": missing value',
    ],
    [
      'a test whose value differs',
      { op: 'test', path: '/spec/map', value: { y: { z: 3 }, x: 1 } },
      'testing value /spec/map failed: test failed',
    ],
    ['an unknown operation', { op: 'merge', path: '/spec/map', value: {} }, 'Unexpected kind: merge'],
  ])('refuses %s with 422 Invalid and the library’s reason', (_what, operation, cause) => {
    let thrown: unknown;
    try {
      applyJsonPatch(list, [operation]);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(KubeStatusError);
    const { status } = thrown as KubeStatusError;
    expect([status.code, status.reason, status.message]).toEqual([
      422,
      'Invalid',
      'the server rejected our request due to an error in our request',
    ]);
    expect(status.details?.causes).toEqual([{ reason: 'UnexpectedServerResponse', message: cause }]);
  });

  it('appends with `-` and at the length, compares `test` values whatever their key order', () => {
    expect(
      applyJsonPatch(list, [
        { op: 'test', path: '/spec/map', value: { y: { z: 2 }, x: 1 } },
        { op: 'add', path: '/spec/list/2', value: 'c' },
        { op: 'add', path: '/spec/list/-', value: 'd' },
      ]),
    ).toEqual({ spec: { list: ['a', 'b', 'c', 'd'], map: { x: 1, y: { z: 2 } } } });
    expect(list.spec.list, 'the input is left alone').toEqual(['a', 'b']);
  });

  it('refuses a body that is not a list of operations (400) and more than 10000 operations (413)', () => {
    const codeOf = (body: unknown) => {
      try {
        applyJsonPatch(list, body);
      } catch (error) {
        return (error as KubeStatusError).code;
      }
      return 200;
    };
    expect(codeOf({ op: 'add', path: '/a', value: 1 })).toBe(400);
    expect(codeOf(Array.from({ length: 10_001 }, () => ({ op: 'test', path: '/spec', value: {} })))).toBe(
      413,
    );
  });
});

describe('API paths', () => {
  it('splits core, group, namespaced and subresource paths', () => {
    expect(parseApiPath('/api')).toBe('api');
    expect(parseApiPath('/apis')).toBe('apis');
    expect(parseApiPath('/api/v1/namespaces/ns1/pods/p/exec')).toEqual({
      group: '',
      version: 'v1',
      namespace: 'ns1',
      resource: 'pods',
      name: 'p',
      subresource: 'exec',
    });
    expect(parseApiPath('/api/v1/namespaces/ns1')).toMatchObject({
      resource: 'namespaces',
      name: 'ns1',
      namespace: undefined,
    });
    expect(parseApiPath('/api/v1/namespaces/ns1/status')).toMatchObject({
      resource: 'namespaces',
      name: 'ns1',
      subresource: 'status',
    });
    expect(parseApiPath('/apis/apps/v1/daemonsets')).toMatchObject({
      group: 'apps',
      version: 'v1',
      resource: 'daemonsets',
    });
    expect(parseApiPath('/healthz')).toBeUndefined();
  });
});
