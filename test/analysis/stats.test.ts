import { describe, expect, it } from 'vitest';
import { mannWhitneyU } from '../../src/analysis/stats.js';

// Expected values from scipy 1.17.1:
//   scipy.stats.mannwhitneyu(x, y, alternative=alt, method='asymptotic', use_continuity=True)
const floorSeq = (n: number, mul: number, mod: number, add: number) =>
  Array.from({ length: n }, (_, i) => Math.floor(((i * mul) % mod) / 10) + add);

const cases: {
  name: string;
  x: number[];
  y: number[];
  u: number;
  p: Record<'two-sided' | 'greater' | 'less', number>;
}[] = [
  {
    name: 'distinct values',
    x: [19, 22, 16, 29, 24],
    y: [20, 11, 17, 12],
    u: 17,
    p: { 'two-sided': 0.11134688653314041, greater: 0.055673443266570206, less: 0.9669037101389033 },
  },
  {
    name: 'ties within and across samples',
    x: [1, 2, 2, 3, 3, 3, 4, 5],
    y: [2, 3, 3, 4, 4, 5, 6, 6, 7],
    u: 16.5,
    p: { 'two-sided': 0.062484795672341206, greater: 0.9750537275484503, less: 0.031242397836170603 },
  },
  {
    name: 'a shifted sample',
    x: [10.5, 12.1, 11.3, 13.7, 12.9, 11.8, 14.2, 12.4, 13.1, 11.9, 12.6, 13.4],
    y: [9.8, 10.2, 10.9, 11.1, 9.5, 10.7, 11.4, 10.1, 10.6, 9.9],
    u: 114,
    p: { 'two-sided': 0.0004192098613192271, greater: 0.00020960493065961356, less: 0.9998369445659212 },
  },
  {
    name: '110 values with heavy ties',
    x: floorSeq(60, 37, 101, 0),
    y: floorSeq(50, 53, 97, 2),
    u: 1061,
    p: { 'two-sided': 0.008193122314234882, greater: 0.9959758352771291, less: 0.004096561157117441 },
  },
];

describe('mannWhitneyU matches scipy', () => {
  for (const c of cases) {
    for (const alt of ['two-sided', 'greater', 'less'] as const) {
      it(`${c.name}, ${alt}`, () => {
        const r = mannWhitneyU(c.x, c.y, alt);
        expect(r.u).toBe(c.u);
        expect(r.p).toBeCloseTo(c.p[alt], 12);
      });
    }
  }

  it('gives p = 1 when every value is tied (no evidence either way)', () => {
    expect(mannWhitneyU([5, 5, 5, 5], [5, 5, 5], 'greater').p).toBe(1);
  });

  it('refuses an empty sample', () => {
    expect(() => mannWhitneyU([], [1, 2])).toThrow(RangeError);
  });
});
