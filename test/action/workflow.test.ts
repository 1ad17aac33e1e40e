// The runner protocol strings: what a hostile message or value can't break.
import { describe, expect, it } from 'vitest';
import { command, fileEntry, summaryMarkdown } from '../../src/action/workflow.js';
import type { ReleaseEvent } from '../../src/core/release.js';

describe('workflow commands', () => {
  it('keeps a multi-line message on one line and escapes properties', () => {
    expect(command('error', 'pod crashed\nlast line: 100%', { title: 'a: b, c' })).toBe(
      '::error title=a%3A b%2C c::pod crashed%0Alast line: 100%25',
    );
    expect(command('group', 'step 1/3')).toBe('::group::step 1/3');
  });

  it('writes GITHUB_OUTPUT entries in the heredoc form and refuses a value holding the delimiter', () => {
    expect(fileEntry('outcome', 'failed\nsecond line', 'EOF_1')).toBe(
      'outcome<<EOF_1\nfailed\nsecond line\nEOF_1\n',
    );
    expect(() => fileEntry('x', 'a\nEOF_1\nb', 'EOF_1')).toThrow(/delimiter/);
    expect(fileEntry('x', 'y')).toMatch(/^x<<(ghadelimiter_[0-9a-f-]{36})\ny\n\1\n$/);
  });
});

describe('step summary', () => {
  const at = Date.UTC(2026, 0, 1, 12, 0, 0);
  const base = { at, app: 'web', releaseId: 'r1' };

  it('escapes table cells and leaves out pod counts and step starts', () => {
    const events: ReleaseEvent[] = [
      { ...base, type: 'step-started', index: 0, step: 'set-weight-25', total: 2, rollback: false },
      { ...base, type: 'pods', version: 'v2', ready: 1, desired: 1, updated: 1, available: 1, total: 1 },
      { ...base, type: 'failed', reason: 'error rate | 5xx\n> 1%', version: 'v1' },
    ];
    const md = summaryMarkdown({
      command: 'canary',
      app: 'web',
      releaseId: 'r1',
      outcome: 'failed',
      exitCode: 1,
      version: 'v1',
      reason: 'a|b',
      events,
    });
    expect(md).toContain('### ❌ kdeploy canary web: failed');
    expect(md).toContain('| Reason | a\\|b |');
    expect(md).toContain('| 12:00:00 | failed and rolled back to v1: error rate \\| 5xx > 1% |');
    expect(md).not.toContain('pods v2');
    expect(md).not.toContain('step 1/2 set-weight-25 |');
  });

  it("keeps a long timeline under GitHub's 1 MiB summary limit", () => {
    const events: ReleaseEvent[] = Array.from({ length: 20_000 }, (_, i) => ({
      ...base,
      type: 'info' as const,
      message: `message ${i} ${'x'.repeat(100)}`,
    }));
    const md = summaryMarkdown({ command: 'canary', outcome: 'completed', exitCode: 0, events });
    expect(Buffer.byteLength(md)).toBeLessThan(1024 * 1024);
    expect(md).toContain('| … | 19500 events left out |');
    expect(md).toContain('message 19999');
  });
});
