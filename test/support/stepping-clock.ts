import type { Clock } from '../../src/core/ports.js';

/** A clock whose sleeps return at once and move time forward; records every sleep for assertions. */
export class SteppingClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    this.sleeps.push(ms);
    this.t += ms;
  }
}
