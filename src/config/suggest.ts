// "did you mean": the allowed word closest to a mistyped one, if one is close enough to be the intent.

/** Damerau-free edit distance, enough to suggest `replicas` for `replica`. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest of `allowed` within a third of its length (at least one edit), ignoring case. */
export function nearest(word: string, allowed: readonly string[]): string | undefined {
  return allowed
    .map((k) => ({ k, d: distance(word.toLowerCase(), k.toLowerCase()) }))
    .filter(({ d, k }) => d <= Math.max(1, Math.floor(k.length / 3)))
    .sort((a, b) => a.d - b.d)[0]?.k;
}

/** `did you mean "canary"? ` (with its trailing space), or nothing. */
export function didYouMean(word: string, allowed: readonly string[]): string {
  const near = nearest(word, allowed);
  return near ? `did you mean "${near}"? ` : '';
}
