// The live view for a terminal: a few lines redrawn in place (step, version, pods ready/desired, elapsed,
// the failure and its logs), with finished steps and notable events scrolled above it.
import { createLogUpdate } from 'log-update';
import type { Diagnosis, ReleaseEvent } from '../../core/release.js';
import type { ReleaseResult } from '../../engine/api.js';
import { describeEvent, formatElapsed } from '../../views/describe.js';

type Colors = {
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  dim(s: string): string;
};

/** Events that leave a permanent line above the live block. */
const LOGGED = new Set<ReleaseEvent['type']>([
  'release-started',
  'step-completed',
  'weight',
  'measurement',
  'rollback-started',
  'lock-taken-over',
  'lock-waiting',
  'paused',
  'suspended',
  'info',
]);

export class LiveView {
  private readonly draw;
  private readonly timer: NodeJS.Timeout;
  private started = Date.now();
  private title = '';
  private step = '';
  private pods = '';
  private diagnosis?: Diagnosis;
  private final?: string;

  constructor(
    private readonly out: NodeJS.WriteStream,
    private readonly c: Colors,
  ) {
    this.draw = createLogUpdate(out, { showCursor: true });
    // Elapsed time moves even when nothing happens.
    this.timer = setInterval(() => this.render(), 1000);
    this.timer.unref();
  }

  onEvent(e: ReleaseEvent): void {
    switch (e.type) {
      case 'release-started':
        this.started = e.at;
        this.title = `${e.strategy} ${e.app}: ${e.from ? `${e.from.version} → ` : 'to '}${e.to.version}`;
        break;
      case 'step-started':
        this.step = `${e.rollback ? this.c.yellow('rollback ') : ''}step ${e.index + 1}/${e.total} ${e.step}`;
        break;
      case 'pods':
        this.pods = `pods ${e.version}: ${e.ready}/${e.desired} ready · ${e.updated} updated · ${e.total} total`;
        break;
      case 'failure-diagnosed':
        this.diagnosis = e.diagnosis;
        break;
      case 'completed':
        this.final = this.c.green(`✔ ${describeEvent(e)}`);
        break;
      case 'failed':
      case 'aborted':
        this.final = this.c.red(`✖ ${describeEvent(e)}`);
        break;
    }
    if (LOGGED.has(e.type)) {
      this.draw.clear();
      this.out.write(`${this.c.dim(new Date(e.at).toLocaleTimeString())} ${describeEvent(e)}\n`);
    }
    this.render();
  }

  private render(): void {
    const lines = [
      `${this.title}  ${this.c.dim(formatElapsed(Date.now() - this.started))}`,
      this.step && `  ${this.step}`,
      this.pods && `  ${this.pods}`,
    ];
    if (this.diagnosis) {
      lines.push(this.c.red(`  ${this.diagnosis.reason}: ${this.diagnosis.message}`));
      for (const l of this.diagnosis.logs ?? []) lines.push(this.c.dim(`    | ${l}`));
    }
    if (this.final) lines.push(this.final);
    this.draw(lines.filter(Boolean).join('\n'));
  }

  done(_result?: ReleaseResult): void {
    clearInterval(this.timer);
    this.render();
    this.draw.done();
  }
}
