// Clocks for the Clock port. RealClock is wall time (CLI, `demo`). VirtualClock is time that only moves when
// told to (tests) or, in auto-advance mode, jumps straight to the next timer whenever the process is idle, so
// a 30-minute canary (`simulate`) rehearses in well under a second with every timer firing in order.
import type { Clock } from './ports.js';

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export class RealClock implements Clock {
  now(): number {
    return Date.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortReason(signal!));
      };
      const timer = setTimeout(
        () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        Math.max(0, ms),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

export interface VirtualClockOptions {
  /** Start time, ms since the epoch. Default: now, truncated to the second (Kubernetes timestamps are). */
  start?: number;
  /** Jump to the next timer whenever nothing has happened for `idleMs` of real time. Default false. */
  autoAdvance?: boolean;
  /**
   * Extra real milliseconds of quiet before an auto-advance jump. Default 0: a jump waits only for the
   * holds to be released and a few quiet event-loop turns. Work the clock cannot see (a client talking to
   * a server that does not `hold()`) may need a real-time margin; the simulator tracks its clients' requests
   * instead (src/sim/inflight.ts), because a real-time margin is paid on every jump and still fails when the
   * machine is loaded.
   */
  idleMs?: number;
}

/** A clock that moves only when advanced; timers fire in due order (ties in creation order). */
export class VirtualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  private holds = 0;
  private activity = 0;
  private checking = false;
  /** Bumped to invalidate an idle check in flight. */
  private generation = 0;
  private auto: boolean;
  private readonly idleMs: number;

  constructor(options: VirtualClockOptions = {}) {
    this.t = options.start ?? Math.floor(Date.now() / 1000) * 1000;
    this.auto = options.autoAdvance ?? false;
    this.idleMs = options.idleMs ?? 0;
  }

  now(): number {
    return this.t;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortReason(signal));
      const timer: Timer = {
        due: this.t + Math.max(0, ms),
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.remove(timer);
        reject(abortReason(signal!));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.insert(timer);
      this.touch();
    });
  }

  /** Number of timers waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the next timer is due, or undefined when none is waiting. */
  nextDue(): number | undefined {
    return this.timers[0]?.due;
  }

  /** Moves time forward by `ms`, firing every timer due on the way (including ones those timers set). */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.t + ms);
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.timers[0];
      if (!next || next.due > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.due);
      next.fire();
    }
    this.t = Math.max(this.t, target);
    await this.settle();
  }

  /** Jumps to the next timer and fires it (and any due at the same instant). Returns false when none waits. */
  async runNext(): Promise<boolean> {
    await this.settle();
    const next = this.timers[0];
    if (!next) return false;
    await this.advanceTo(next.due);
    return true;
  }

  /**
   * Marks work in progress (a request being served, a controller queue draining) so auto-advance does not
   * jump meanwhile. Returns the release function.
   */
  hold(): () => void {
    this.holds++;
    this.touch();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      this.touch();
    };
  }

  /** Records that something happened, postponing the next auto-advance jump by one idle period. */
  touch(): void {
    this.activity++;
    if (this.auto) this.scheduleCheck();
  }

  setAutoAdvance(on: boolean): void {
    this.auto = on;
    if (on) this.scheduleCheck();
    else this.stopChecks();
  }

  /** Stops auto-advancing and drops pending checks (timers stay; nothing fires any more by itself). */
  dispose(): void {
    this.setAutoAdvance(false);
  }

  /**
   * Lets pending work run before time moves: promise chains and event-loop hops (a simulated controller
   * reacting to a write) may schedule timers due inside the window being advanced. Waits until nothing
   * touched the clock for a few turns and nothing is held.
   */
  private async settle(): Promise<void> {
    for (let quiet = 0, turns = 0; quiet < IDLE_TURNS && turns < 10_000; turns++) {
      const seen = this.activity;
      await new Promise((resolve) => setImmediate(resolve));
      quiet = this.activity === seen && this.holds === 0 ? quiet + 1 : 0;
    }
  }

  private scheduleCheck(): void {
    if (this.checking || this.timers.length === 0) return;
    this.checking = true;
    const generation = this.generation;
    const seen = this.activity;
    const check = () => this.confirmIdle(seen, IDLE_TURNS, generation);
    if (this.idleMs > 0) setTimeout(check, this.idleMs);
    else setImmediate(check);
  }

  /**
   * Quiet for idleMs is not enough on a busy machine: a client between two requests may be a few event-loop
   * turns away from writing the next one. Require several further turns with nothing happening.
   */
  private confirmIdle(seen: number, turns: number, generation: number): void {
    if (generation !== this.generation) return; // stopped meanwhile
    if (!this.auto || this.holds > 0) {
      // The last release touches the clock, which starts a fresh check: no need to spin meanwhile.
      this.checking = false;
      return;
    }
    if (this.activity !== seen) {
      this.checking = false;
      this.scheduleCheck();
      return;
    }
    if (turns > 0) {
      setImmediate(() => this.confirmIdle(seen, turns - 1, generation));
      return;
    }
    this.checking = false;
    const next = this.timers[0];
    if (next) {
      // Fire everything due at that instant; whatever they schedule waits for the next quiet period.
      this.t = Math.max(this.t, next.due);
      while (this.timers[0] && this.timers[0].due <= this.t) this.timers.shift()!.fire();
      this.activity++;
    }
    this.scheduleCheck();
  }

  private stopChecks(): void {
    this.generation++;
    this.checking = false;
  }

  private insert(timer: Timer): void {
    // Binary search keeps the list ordered by (due, seq); seq only grows, so equal dues stay FIFO.
    let lo = 0;
    let hi = this.timers.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timers[mid]!.due <= timer.due) lo = mid + 1;
      else hi = mid;
    }
    this.timers.splice(lo, 0, timer);
  }

  private remove(timer: Timer): void {
    const i = this.timers.indexOf(timer);
    if (i >= 0) this.timers.splice(i, 1);
    if (this.timers.length === 0) this.stopChecks();
  }
}

/** Event-loop turns (timers + check phase) that must pass quietly before an auto-advance jump. */
const IDLE_TURNS = 3;
