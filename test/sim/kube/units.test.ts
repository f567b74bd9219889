// Selectors, patches and path parsing: the small parsers the API server relies on.

import { describe, expect, it } from 'vitest';
import { applyJsonPatch, applyMergePatch } from '../../../sim/kube/patch.ts';
import { parseFieldSelector, parseLabelSelector } from '../../../sim/kube/selectors.ts';
import { parseApiPath } from '../../../sim/kube/server.ts';

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
    expect(() => applyJsonPatch(doc, [{ op: 'test', path: '/list/0', value: 5 }])).toThrow(/test operation/);
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
