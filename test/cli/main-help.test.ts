import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

// `kdeploy --help` / `--version` come from dist/cli-help.json without loading yargs (src/cli/main.ts). They
// must print exactly what yargs prints: `--no-color` as a second argument forces the yargs path.
const cli = (args: string[], columns?: number) =>
  spawnSync(
    process.execPath,
    [
      ...(columns ? ['--import', `data:text/javascript,process.stdout.columns=${columns}`] : []),
      'dist/cli.js',
      ...args,
    ],
    { encoding: 'utf8' },
  );

for (const columns of [undefined, 110, 90]) {
  it(`prints the same top-level help as yargs at ${columns ?? 'pipe'} columns`, () => {
    const cached = cli(['--help'], columns);
    const yargs = cli(['--help', '--no-color'], columns);
    expect(cached.status).toBe(0);
    expect(cached.stdout).toContain('kdeploy <command> [options]');
    expect(cached.stdout).toBe(yargs.stdout);
  });
}

it('prints the package version', () => {
  const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
  expect(cli(['--version']).stdout).toBe(`${version}\n`);
  expect(cli(['--version', '--no-color']).stdout).toBe(`${version}\n`);
});
