// Shell entry point (via up.sh / down.sh): `up <runDir>` starts a detached bed and prints shell exports,
// `down <runDir>` stops it by the PIDs recorded in <runDir>/state.json.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { alive, readState, startTestbed, stopFromState } from './bed.js';

async function main(): Promise<void> {
  const [cmd, runDir] = process.argv.slice(2);
  if ((cmd !== 'up' && cmd !== 'down') || !runDir) throw new Error('usage: cli.mjs up|down <runDir>');
  const running =
    existsSync(join(runDir, 'state.json')) && readState(runDir).processes.some((p) => alive(p.pid));
  if (cmd === 'up') {
    if (running)
      throw new Error(`a test bed is already running in ${runDir}; stop it with test/testbed/down.sh`);
    rmSync(runDir, { recursive: true, force: true });
    const bed = await startTestbed({ runDir, detach: true });
    const exports =
      `export KDEPLOY_TESTBED_KUBECONFIG=${bed.kubeconfig}\n` +
      `export KDEPLOY_TESTBED_LIMITED_KUBECONFIG=${bed.limitedKubeconfig}\n`;
    writeFileSync(join(runDir, 'env'), exports);
    process.stdout.write(exports);
    return;
  }
  if (!existsSync(join(runDir, 'state.json'))) {
    process.stderr.write(`[testbed] nothing to stop in ${runDir}\n`);
    return;
  }
  const state = await stopFromState(runDir);
  process.stderr.write(`[testbed] stopped ${state.processes.map((p) => `${p.name}(${p.pid})`).join(' ')}\n`);
}

main().catch((err: Error) => {
  process.stderr.write(`[testbed] ${err.message}\n`);
  process.exit(1);
});
