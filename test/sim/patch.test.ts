// Patch semantics as the apiserver applies them, without a cluster.
import { describe, expect, test } from 'vitest';
import { mergePatch, strategicMergePatch } from '../../src/sim/patch.js';

const pod = {
  metadata: { labels: { app: 'web', tier: 'front' }, finalizers: ['a', 'b'] },
  spec: {
    containers: [
      {
        name: 'app',
        image: 'web:v1',
        env: [
          { name: 'A', value: '1' },
          { name: 'B', value: '2' },
        ],
        ports: [{ containerPort: 80, name: 'http' }],
      },
      { name: 'proxy', image: 'envoy:1' },
    ],
    tolerations: [{ key: 'x' }],
  },
};

describe('strategic merge patch', () => {
  test('merges env by name, keeps unmentioned list items, replaces lists without a merge key', () => {
    const out = strategicMergePatch(pod, {
      spec: {
        containers: [
          {
            name: 'app',
            env: [
              { name: 'B', value: '3' },
              { name: 'C', value: '4' },
            ],
          },
        ],
        tolerations: [{ key: 'y' }],
      },
    });
    expect(out.spec.containers[0]!.env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
    ]);
    expect(out.spec.containers[1]).toEqual({ name: 'proxy', image: 'envoy:1' });
    expect(out.spec.tolerations).toEqual([{ key: 'y' }]);
    expect(pod.spec.containers[0]!.env).toHaveLength(2); // the input is not modified
  });

  test('directives: $patch replace/delete, $retainKeys, $deleteFromPrimitiveList, $setElementOrder ignored', () => {
    expect(
      strategicMergePatch(pod, { metadata: { labels: { $patch: 'replace', only: 'this' } } }).metadata.labels,
    ).toEqual({ only: 'this' });
    expect(
      strategicMergePatch(pod, {
        spec: { containers: [{ $patch: 'replace' }, { name: 'solo', image: 's:1' }] },
      }).spec.containers,
    ).toEqual([{ name: 'solo', image: 's:1' }]);
    expect(
      strategicMergePatch(pod, { metadata: { labels: { $patch: 'delete' } } }).metadata,
    ).not.toHaveProperty('labels');
    expect(
      strategicMergePatch(pod, { metadata: { labels: { $retainKeys: ['app'], app: 'api' } } }).metadata
        .labels,
    ).toEqual({ app: 'api' });
    expect(
      strategicMergePatch(pod, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata
        .finalizers,
    ).toEqual(['b']);
    expect(
      strategicMergePatch(pod, {
        spec: { '$setElementOrder/containers': [{ name: 'proxy' }, { name: 'app' }] },
      }).spec.containers,
    ).toHaveLength(2);
    expect(() => strategicMergePatch(pod, { spec: { containers: [{ image: 'no-name' }] } })).toThrow(
      'does not contain declared merge key: name',
    );
  });

  test('JSON merge patch: null deletes, lists are replaced whole', () => {
    const out = mergePatch(pod, {
      metadata: { labels: { tier: null } },
      spec: { containers: [{ name: 'x', image: 'x:1' }] },
    });
    expect(out.metadata.labels).toEqual({ app: 'web' });
    expect(out.spec.containers).toEqual([{ name: 'x', image: 'x:1' }]);
  });
});
