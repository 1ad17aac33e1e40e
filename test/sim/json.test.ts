import { describe, expect, test } from 'vitest';
import { copyJson } from '../../src/sim/json.js';

describe('copyJson', () => {
  test('copies deeply, keeps undefined-valued keys and a parsed __proto__ key as data', () => {
    const original = JSON.parse('{"a":{"b":[1,{"c":"x"}]},"n":null,"__proto__":{"polluted":true}}');
    original.u = undefined;
    const copy = copyJson(original);
    expect(copy).toEqual(original);
    expect(Object.keys(copy)).toEqual(Object.keys(original));
    copy.a.b[1].c = 'changed';
    expect(original.a.b[1].c).toBe('x');
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.hasOwn(copy, '__proto__')).toBe(true);
    expect((copy as { polluted?: boolean }).polluted).toBeUndefined();
  });
});
