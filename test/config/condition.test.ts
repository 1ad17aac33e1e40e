import { describe, expect, it } from 'vitest';
import { checkCondition, evaluateCondition } from '../../src/config/condition.js';

describe('CEL conditions', () => {
  it('evaluates result, results and values with the helpers', () => {
    expect(evaluateCondition('result < 0.05', [0.01])).toBe(true);
    expect(evaluateCondition('result < 0.05', [0.07])).toBe(false);
    expect(evaluateCondition('results.all(x, x < 1)', [0.2, 0.9])).toBe(true);
    expect(evaluateCondition('values.exists(x, x >= 1)', [0.2, 1.5])).toBe(true);
    expect(evaluateCondition('len(results) == 3 && max(results) < 5 && min(results) > 0', [1, 2, 3])).toBe(
      true,
    );
    expect(evaluateCondition('avg(results) == 2 && sum(results) == 6', [1, 2, 3])).toBe(true);
    expect(evaluateCondition('isNaN(result)', [Number.NaN])).toBe(true);
  });

  it('lets integer literals meet double values (result == 0, result * 100 < 5)', () => {
    expect(evaluateCondition('result == 0', [0])).toBe(true);
    expect(evaluateCondition('result * 100 < 5', [0.04])).toBe(true);
    expect(evaluateCondition('1 - result >= 0.99', [0.005])).toBe(true);
  });

  it('rejects what is not a boolean condition, with the reason', () => {
    expect(checkCondition('result < 0.05')).toBeUndefined();
    expect(checkCondition('result +')).toMatch(/Unexpected/);
    expect(checkCondition('latency < 1')).toMatch(/Unknown variable: latency/);
    expect(checkCondition('result * 2')).toMatch(/must be true or false, but this expression gives a double/);
    expect(checkCondition('result > "a"')).toMatch(/no such overload/);
    expect(checkCondition('result[0] < 0.01')).toMatch(
      /\(result is the first value: write result < 0.01, or results\[0\]\)$/,
    );
  });

  it('runs no JavaScript: property access on the host is not part of the language', () => {
    expect(checkCondition('results.constructor.constructor("return process")() != null')).toBeDefined();
    expect(() => evaluateCondition('this.process != null', [1])).toThrow();
  });

  it('throws on runtime errors such as an index past the end', () => {
    expect(() => evaluateCondition('results[3] < 1', [1])).toThrow(/index out of bounds/);
  });
});
