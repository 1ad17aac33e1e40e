// The event hub behind the Reporter port: the engine emits events; renderers (CLI), onEvent callbacks
// and async iterators (library) consume the same stream.
import type { Reporter } from '../core/ports.js';
import type { ReleaseEvent } from '../core/release.js';

export class EventHub implements Reporter {
  readonly events: ReleaseEvent[] = [];
  private readonly listeners = new Set<(e: ReleaseEvent | null) => void>();
  private closed = false;

  constructor(private readonly onEvent?: (e: ReleaseEvent) => void) {}

  emit(event: ReleaseEvent): void {
    if (this.closed) return;
    this.events.push(event);
    // A throwing consumer must not break the release it is watching.
    try {
      this.onEvent?.(event);
    } catch {}
    for (const l of this.listeners) l(event);
  }

  /** Ends every iterator after the events already emitted. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const l of this.listeners) l(null);
    this.listeners.clear();
  }

  /** All events from the first one, then live ones until close(). */
  async *[Symbol.asyncIterator](): AsyncGenerator<ReleaseEvent> {
    let i = 0;
    let wake: (() => void) | undefined;
    const listener = () => wake?.();
    this.listeners.add(listener);
    try {
      for (;;) {
        while (i < this.events.length) yield this.events[i++] as ReleaseEvent;
        if (this.closed) return;
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      this.listeners.delete(listener);
    }
  }
}
