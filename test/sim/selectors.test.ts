// Label selectors as the apiserver parses and matches them.
import { describe, expect, test } from 'vitest';
import { matchesLabels, parseLabelSelector } from '../../src/sim/selectors.js';

describe('label selectors', () => {
  test('equality, set-based and existence requirements', () => {
    const labels = { app: 'web', tier: 'front', 'app.kubernetes.io/version': 'v2' };
    const ok = (s: string) => matchesLabels(parseLabelSelector(s), labels);
    expect(ok('app=web,tier==front')).toBe(true);
    expect(ok('app in (api, web)')).toBe(true);
    expect(ok('app notin (web)')).toBe(false);
    expect(ok('app.kubernetes.io/version=v2,!canary')).toBe(true);
    expect(ok('canary')).toBe(false);
    expect(ok('tier!=back')).toBe(true);
    expect(() => parseLabelSelector('a b c')).toThrow('unable to parse requirement');
  });
});
