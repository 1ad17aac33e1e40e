import { describe, expect, it } from 'vitest';
import {
  achievableWeight,
  canaryPodsForWeight,
  splitForWeight,
  weightOf,
} from '../../src/traffic/weights.js';

describe('pod-ratio rule', () => {
  it('keeps the total, rounds to the nearest pod, and documents the examples of the README', () => {
    expect(splitForWeight(4, 0)).toEqual({ stable: 4, canary: 0 });
    expect(splitForWeight(4, 20)).toEqual({ stable: 3, canary: 1 }); // 0.8 → 1
    expect(splitForWeight(4, 50)).toEqual({ stable: 2, canary: 2 });
    expect(splitForWeight(4, 60)).toEqual({ stable: 2, canary: 2 }); // 2.4 → 2
    expect(splitForWeight(4, 63)).toEqual({ stable: 1, canary: 3 }); // 2.52 → 3
    expect(splitForWeight(4, 100)).toEqual({ stable: 0, canary: 4 });
    expect(splitForWeight(10, 25)).toEqual({ stable: 7, canary: 3 }); // 2.5 → 3 (halves up)
  });

  it('gives a canary one pod as soon as w > 0 and keeps one stable pod until 100', () => {
    expect(splitForWeight(10, 1)).toEqual({ stable: 9, canary: 1 });
    expect(splitForWeight(10, 99)).toEqual({ stable: 1, canary: 9 });
    // replicas 1: surge to two pods between 0 and 100
    expect(splitForWeight(1, 10)).toEqual({ stable: 1, canary: 1 });
    expect(splitForWeight(1, 100)).toEqual({ stable: 0, canary: 1 });
  });

  it('holds the invariants for every replica count and weight', () => {
    for (let replicas = 1; replicas <= 30; replicas++) {
      for (let w = 0; w <= 100; w += 0.5) {
        const s = splitForWeight(replicas, w);
        const total = s.stable + s.canary;
        expect(total).toBe(w > 0 && w < 100 ? Math.max(replicas, 2) : replicas);
        if (w > 0) expect(s.canary).toBeGreaterThanOrEqual(1);
        if (w < 100) expect(s.stable).toBeGreaterThanOrEqual(1);
        // Never further from the request than half a pod (unless clamped to the one-pod minimums).
        const clamped = s.canary === 1 || s.stable === 1;
        if (!clamped) expect(Math.abs(weightOf(s) - w)).toBeLessThanOrEqual(50 / total + 0.01); // weightOf rounds to 0.01;
      }
    }
  });

  it('reports the achieved weight honestly', () => {
    expect(achievableWeight(4, 20)).toBe(25);
    expect(achievableWeight(3, 50)).toBe(66.67);
    expect(weightOf({ stable: 0, canary: 0 })).toBe(0);
  });

  it('sizes a canary behind a traffic-splitting router by rounding up', () => {
    expect(canaryPodsForWeight(10, 0)).toBe(0);
    expect(canaryPodsForWeight(10, 1)).toBe(1);
    expect(canaryPodsForWeight(10, 25)).toBe(3);
    expect(canaryPodsForWeight(10, 100)).toBe(10);
  });
});
