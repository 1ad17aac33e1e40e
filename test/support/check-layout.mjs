// `npm run lint:tests`: every test file must sit where the module it tests sits (test/README.md). The test of
// src/x/y.ts is test/x/y.test.ts or test/x/y-<aspect>.test.ts; strategies/ and lambda/ map the same way, and
// test/support/z.test.ts tests the helper test/support/z.ts. Helpers (code that is not a test) live in
// test/support/ only; data files sit in a fixtures/ folder. Lists the files that break either rule, exit 1.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const test = join(root, 'test');
// Tiers with their own layout: end-to-end suites on the real control plane, and the test bed's scripts.
const OWN_LAYOUT = ['e2e', 'testbed'];
// Top folders of test/ that mirror a source root other than src/.
const ROOTS = { strategies: 'strategies', lambda: 'lambda', support: 'test/support' };

/** Every file under test/ but the own-layout tiers and fixtures/ folders, relative to test/. */
function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (!entry.isDirectory()) yield relative(test, path);
    else if (!OWN_LAYOUT.includes(relative(test, path)) && entry.name !== 'fixtures') yield* files(path);
  }
}

/** The candidate modules of test/<file>: the whole name, then each shorter name before a `-`. */
function candidates(file) {
  const [top, ...rest] = file.split('/');
  const folder = join(ROOTS[top] ?? join('src', top), ...rest.slice(0, -1));
  const parts = rest
    .at(-1)
    .replace(/\.test\.ts$/, '')
    .split('-');
  return parts.map((_, i) => join(folder, `${parts.slice(0, parts.length - i).join('-')}.ts`));
}

const all = [...files(test)];
const orphans = all
  .filter((f) => f.endsWith('.test.ts'))
  .filter((f) => !candidates(f).some((m) => existsSync(join(root, m))));
for (const f of orphans)
  console.error(`test/${f}: no module ${candidates(f)[0]} (or a shorter name before a -)`);
const strays = all.filter((f) => !f.endsWith('.test.ts') && !f.startsWith('support/') && f !== 'README.md');
for (const f of strays) console.error(`test/${f}: a helper outside test/support/`);
if (orphans.length + strays.length) {
  console.error(`${orphans.length + strays.length} file(s) not where they belong: see test/README.md`);
  process.exit(1);
}
