// The bed is usable from kubectl too: KWOK's nodes are Ready.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('kubectl against the test bed', () => {
  it('kubectl get nodes shows the KWOK nodes Ready', () => {
    const out = execFileSync(
      'kubectl',
      ['--kubeconfig', process.env.KDEPLOY_TESTBED_KUBECONFIG ?? '', 'get', 'nodes', '--no-headers'],
      { encoding: 'utf8' },
    );
    const rows = out
      .trim()
      .split('\n')
      .map((l) => l.split(/\s+/));
    expect(rows.map((r) => r[0]).sort()).toEqual(['kwok-node-0', 'kwok-node-1', 'kwok-node-2']);
    for (const r of rows) expect(r[1]).toBe('Ready');
  });
});
