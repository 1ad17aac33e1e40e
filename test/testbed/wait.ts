/**
 * Polls `probe` until it returns something truthy. On timeout the error carries the last value (or error),
 * so a stuck rollout shows its status instead of just "timed out".
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<{ done: boolean; value: T }>,
  { timeoutMs = 60_000, intervalMs = 250 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const r = await probe();
      if (r.done) return r.value;
      last = r.value;
    } catch (err) {
      last = err instanceof Error ? err.message : err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(last, null, 1)}`,
      );
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
