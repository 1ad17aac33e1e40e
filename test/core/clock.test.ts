import { describe, expect, test, vi } from 'vitest';
import { RealClock, VirtualClock } from '../../src/core/clock.js';
import { eventually, quiet } from '../support/eventually.js';

describe('VirtualClock', () => {
  test('advance fires timers in due order, ties in creation order, and timers set by timers', async () => {
    const clock = new VirtualClock({ start: 0 });
    const fired: string[] = [];
    clock.sleep(300).then(() => fired.push('c@300'));
    clock.sleep(100).then(() => {
      fired.push('a@100');
      clock.sleep(50).then(() => fired.push('a2@150'));
    });
    clock.sleep(100).then(() => fired.push('b@100'));
    await clock.advance(200);
    expect(fired).toEqual(['a@100', 'b@100', 'a2@150']);
    expect(clock.now()).toBe(200);
    await clock.advance(100);
    expect(fired).toEqual(['a@100', 'b@100', 'a2@150', 'c@300']);
    expect(clock.pending).toBe(0);
  });

  test('time does not move by itself without auto-advance', async () => {
    const clock = new VirtualClock({ start: 5_000 });
    let done = false;
    clock.sleep(10).then(() => (done = true));
    await quiet();
    expect(done).toBe(false);
    expect(clock.now()).toBe(5_000);
    expect(clock.nextDue()).toBe(5_010);
  });

  test('abort rejects with the signal reason and removes the timer', async () => {
    const clock = new VirtualClock({ start: 0 });
    const ac = new AbortController();
    const p = clock.sleep(1000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    expect(clock.pending).toBe(0);
    const pre = new AbortController();
    pre.abort(new Error('already'));
    await expect(clock.sleep(1, pre.signal)).rejects.toThrow('already');
  });

  test('auto-advance rehearses a 30-minute sequence of sleeps without waiting for any real timer', async () => {
    // Real timers and wall time frozen: the sleeps can only finish if the clock needs neither.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'Date', 'performance'] });
    try {
      const clock = new VirtualClock({ start: 0, autoAdvance: true });
      const wall = Date.now();
      for (let step = 0; step < 12; step++) await clock.sleep(150_000);
      expect(clock.now()).toBe(30 * 60_000);
      expect(Date.now()).toBe(wall);
      clock.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  test('auto-advance waits while work is held', async () => {
    const clock = new VirtualClock({ start: 0, autoAdvance: true });
    const release = clock.hold();
    let done = false;
    clock.sleep(60_000).then(() => (done = true));
    await quiet(); // many times the idle turns an auto-advance jump waits for
    expect(done).toBe(false);
    release();
    await eventually(() => done);
    expect(clock.now()).toBe(60_000);
    clock.dispose();
  });

  test('runNext jumps to the next timer', async () => {
    const clock = new VirtualClock({ start: 0 });
    clock.sleep(42);
    expect(await clock.runNext()).toBe(true);
    expect(clock.now()).toBe(42);
    expect(await clock.runNext()).toBe(false);
  });
});

describe('RealClock', () => {
  test('sleeps in wall time and can be aborted', async () => {
    const clock = new RealClock();
    vi.useFakeTimers();
    try {
      let done = false;
      const slept = clock.sleep(15).then(() => (done = true));
      await vi.advanceTimersByTimeAsync(14);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await slept;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
    const ac = new AbortController();
    const p = clock.sleep(10_000, ac.signal);
    ac.abort(new Error('cancelled'));
    await expect(p).rejects.toThrow('cancelled');
  });
});
