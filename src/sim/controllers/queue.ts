// A controller work queue on the injected Clock: keys are de-duplicated while waiting, processed one at a
// time off the event loop (so a burst of store changes becomes one sync), and can be re-added after a delay
// in clock time (readiness delays, progress deadlines and minReadySeconds all run in virtual time).
import type { Clock } from '../../core/ports.js';

export class WorkQueue {
  private readonly waiting = new Set<string>();
  private scheduled = false;
  private release: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly handler: (key: string) => void,
    private readonly signal: AbortSignal,
    private readonly hold?: () => () => void,
    private readonly onError: (key: string, err: unknown) => void = () => {},
  ) {}

  add(key: string): void {
    if (this.signal.aborted) return;
    this.waiting.add(key);
    if (this.scheduled) return;
    this.scheduled = true;
    this.release ??= this.hold?.();
    setImmediate(() => this.drain());
  }

  addAfter(key: string, ms: number): void {
    if (ms <= 0) {
      this.add(key);
      return;
    }
    this.clock.sleep(ms, this.signal).then(
      () => this.add(key),
      () => {},
    );
  }

  private drain(): void {
    this.scheduled = false;
    // Keys added while draining are processed in the same pass, once each.
    while (this.waiting.size && !this.signal.aborted) {
      const key = this.waiting.values().next().value!;
      this.waiting.delete(key);
      try {
        this.handler(key);
      } catch (err) {
        this.onError(key, err);
      }
    }
    const release = this.release;
    this.release = undefined;
    release?.();
  }
}
