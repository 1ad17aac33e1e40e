import { describe, expect, it } from 'vitest';
import { diffObjects } from '../../../src/engine/plan/diff.js';

describe('plan diff', () => {
  it('diffs JSON structurally, ignoring status and server-owned metadata', () => {
    const live = {
      metadata: { name: 'a', resourceVersion: '7', labels: { v: '1' } },
      spec: { replicas: 2, ports: [{ port: 80 }] },
      status: { ready: 2 },
    };
    const next = {
      metadata: { name: 'a', resourceVersion: '8', labels: { v: '2', x: 'y' } },
      spec: { replicas: 2, ports: [{ port: 81 }] },
      status: {},
    };
    expect(diffObjects(live, next)).toEqual([
      'metadata.labels.v: "1" → "2"',
      'metadata.labels.x: (none) → "y"',
      'spec.ports[0].port: 80 → 81',
    ]);
  });
});
