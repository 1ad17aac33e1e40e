#!/usr/bin/env node
// The CLI is bundled into dist/ by scripts/build.mjs (run by `npm install` through `prepare`).
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 19)) {
  process.stderr.write(
    `kdeploy needs Node.js >= 22.19 (this is ${process.versions.node}). Run it through npx or npm scripts, which use the project's Node 22, or install Node 22+.\n`,
  );
  process.exit(2);
}
await import('../dist/cli.js');
