import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/config/duration-text.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5s', 1500],
    ['2m10s', 130_000],
  ])('%s is %i ms', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '30', 's', '5 m', '-5s', '5d', '1h-30m', '1e3s', 'ms'])('rejects %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it.each([
    [250, '250ms'],
    [30_000, '30s'],
    [300_000, '5m'],
    [5_400_000, '1h30m'],
    [3_601_000, '1h1s'],
    [0, '0ms'],
  ])('formats %i ms as %s and reads it back', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
    expect(parseDuration(text)).toBe(ms);
  });
});
