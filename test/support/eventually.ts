// "Wait until" for tests. With a virtual clock the time between tries is virtual (the test advances the
// clock), so waiting costs no wall time and the budget is in the test's own time. Without one the subject
// moves on real I/O (sockets, child processes) and tries are a few real milliseconds apart, up to a budget:
// the only real-time waiting the unit tier does, in this one place. quiet() waits for in-process work.
import type { VirtualClock } from '../../src/core/clock.js';

export interface EventuallyOptions {
  /** Advanced by `stepMs` between tries; `timeoutMs` is then virtual time. */
  clock?: VirtualClock;
  /** Default: 10 minutes of virtual time with a clock, 10 s of real time without. */
  timeoutMs?: number;
  /** Default: 250 ms of virtual time with a clock, 5 ms of real time without. */
  stepMs?: number;
}

/** Retries `assertion` until it neither throws nor returns false; past the budget, fails with its last failure. */
export async function eventually(assertion: () => unknown, options: EventuallyOptions = {}): Promise<void> {
  const { clock } = options;
  const now = () => clock?.now() ?? Date.now();
  const budget = options.timeoutMs ?? (clock ? 10 * 60_000 : 10_000);
  const step = options.stepMs ?? (clock ? 250 : 5);
  const end = now() + budget;
  for (;;) {
    let failure: unknown;
    try {
      if ((await assertion()) !== false) return;
    } catch (e) {
      failure = e;
    }
    if (now() >= end) {
      const time = clock ? 'virtual' : 'real';
      throw failure ?? new Error(`condition not reached within ${budget} ms of ${time} time`);
    }
    if (clock) await clock.advance(step);
    else await new Promise((resolve) => setTimeout(resolve, step));
  }
}

/**
 * Lets in-process work finish reacting to the last change (a simulated controller, a promise chain waiting
 * on a record): event-loop turns, not wall time.
 */
export async function quiet(turns = 30): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}
