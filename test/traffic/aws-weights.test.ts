import { describe, expect, it } from 'vitest';
import { ALB_SCALE, percentOf, ROUTE53_SCALE, splitPercent } from '../../src/traffic/aws-weights.js';

describe('splitPercent', () => {
  it('ALB: permille out of 1000, both sides within 0–999, the end points clamped to 999', () => {
    expect(splitPercent(0, ALB_SCALE)).toEqual({ stable: 999, canary: 0 });
    expect(splitPercent(0.1, ALB_SCALE)).toEqual({ stable: 999, canary: 1 });
    expect(splitPercent(10, ALB_SCALE)).toEqual({ stable: 900, canary: 100 });
    expect(splitPercent(33.3, ALB_SCALE)).toEqual({ stable: 667, canary: 333 });
    expect(splitPercent(99.9, ALB_SCALE)).toEqual({ stable: 1, canary: 999 });
    expect(splitPercent(100, ALB_SCALE)).toEqual({ stable: 0, canary: 999 });
  });

  it('Route 53: out of 200, so every whole and half percent is exact', () => {
    expect(splitPercent(0, ROUTE53_SCALE)).toEqual({ stable: 200, canary: 0 });
    expect(splitPercent(12.5, ROUTE53_SCALE)).toEqual({ stable: 175, canary: 25 });
    expect(splitPercent(100, ROUTE53_SCALE)).toEqual({ stable: 0, canary: 200 });
  });

  it('is exact at the scale granularity for every whole percent on both scales', () => {
    for (const scale of [ALB_SCALE, ROUTE53_SCALE]) {
      for (let p = 0; p <= 100; p++) {
        const pair = splitPercent(p, scale);
        expect(Math.max(pair.stable, pair.canary)).toBeLessThanOrEqual(scale.max);
        expect(percentOf(pair)).toBe(p);
      }
    }
  });

  it('rounds to the nearest step and reports what it achieved', () => {
    const pair = splitPercent(0.04, ALB_SCALE);
    expect(pair).toEqual({ stable: 999, canary: 0 });
    expect(percentOf(splitPercent(1.26, ROUTE53_SCALE))).toBe(1.5);
  });

  it.each([-1, 100.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects %s', (p) => {
    expect(() => splitPercent(p, ALB_SCALE)).toThrow(RangeError);
  });
});

describe('percentOf', () => {
  it('reads any relative weights back, and says when there is no split at all', () => {
    expect(percentOf({ stable: 1, canary: 1 })).toBe(50);
    expect(percentOf({ stable: 2, canary: 1 })).toBeCloseTo(33.333333, 5);
    expect(percentOf({ stable: 0, canary: 0 })).toBeUndefined();
  });
});
