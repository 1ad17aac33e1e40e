import normalCdf from '@stdlib/stats-base-dists-normal-cdf';

// The Mann-Whitney U test, the test Kayenta's canary judge uses. No well-kept JavaScript package implements
// it with tie correction (simple-statistics has only the rank sum, @stdlib only the signed-rank and
// Kruskal-Wallis tests), so the test is written here as scipy.stats.mannwhitneyu(method='asymptotic') does it:
// normal approximation with tie-corrected variance and continuity correction. The normal tail comes from
// @stdlib. test/analysis/stats.test.ts checks the results against values computed with scipy.

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface MannWhitneyResult {
  /** U of the first sample (scipy's statistic). */
  u: number;
  z: number;
  /** Probability of a difference at least this large if both samples come from one distribution. */
  p: number;
}

/**
 * Tests whether `x` tends to be greater than (`greater`), less than (`less`) or different from (`two-sided`)
 * `y`. Both samples need at least one value. When every value is tied there is no evidence: p = 1.
 */
export function mannWhitneyU(
  x: readonly number[],
  y: readonly number[],
  alternative: Alternative = 'two-sided',
): MannWhitneyResult {
  const n1 = x.length;
  const n2 = y.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('mannWhitneyU needs two non-empty samples');
  const n = n1 + n2;
  const all = [...x.map((v) => ({ v, first: true })), ...y.map((v) => ({ v, first: false }))].sort(
    (a, b) => a.v - b.v,
  );

  // Average ranks over runs of ties, and the tie term Σ(t³ − t) for the variance.
  let rankSumX = 0;
  let tieTerm = 0;
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && all[j + 1]!.v === all[i]!.v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]!.first) rankSumX += rank;
    const t = j - i + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }

  const u1 = rankSumX - (n1 * (n1 + 1)) / 2;
  const u2 = n1 * n2 - u1;
  const mu = (n1 * n2) / 2;
  const sigma = Math.sqrt(((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const [u, factor] =
    alternative === 'greater' ? [u1, 1] : alternative === 'less' ? [u2, 1] : [Math.max(u1, u2), 2];
  if (!(sigma > 0)) return { u: u1, z: 0, p: 1 };
  const z = (u - mu - 0.5) / sigma;
  const p = Math.min(1, Math.max(0, factor * normalCdf(-z, 0, 1)));
  return { u: u1, z, p };
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
