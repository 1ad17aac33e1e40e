// `plugins:` in kdeploy.yaml: npm packages or paths, resolved from the config file's folder, whose default or
// `register` export is called with the public toolkit (kdeploy/plugin) to register strategies, routers and
// providers. The toolkit is passed in, not imported by the plugin, so a plugin registers into this process's
// registries even when its own dependencies hold another copy of kdeploy.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../config/errors.js';

const loaded = new Set<string>();

/** The `plugins:` list of a config file; none when the file is missing or has none. */
async function pluginsOf(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return []; // loadConfig reports an unreadable file
  }
  // A cheap look first, so a config without plugins never loads the YAML parser here.
  if (!/^plugins\s*:/m.test(text)) return [];
  return (await import('../config/plugin-list.js')).pluginList(text);
}

/** Where a plugin specifier points: a path relative to the config's folder, or a package installed from there. */
function resolvePlugin(specifier: string, base: string): string {
  if (/^\.{1,2}[\\/]/.test(specifier)) return resolve(base, specifier);
  return createRequire(resolve(base, 'kdeploy.yaml')).resolve(specifier);
}

async function register(specifier: string, index: number, file: string, base: string): Promise<void> {
  const fail = (why: string) =>
    new ConfigError([
      { path: ['plugins', index], source: file, message: `${JSON.stringify(specifier)}: ${why}` },
    ]);
  let module: { default?: unknown; register?: unknown };
  let path: string;
  try {
    path = resolvePlugin(specifier, base);
    if (loaded.has(path)) return;
    module = await import(pathToFileURL(path).href);
  } catch (err) {
    throw fail(`cannot load the plugin: ${(err as Error).message.split('\n')[0]}`);
  }
  const entry = typeof module.register === 'function' ? module.register : module.default;
  if (typeof entry !== 'function') throw fail('the plugin exports neither register() nor a default function');
  loaded.add(path);
  await entry(await import('../plugin.js'));
}

/** Registers the plugins a config file lists (each once per process). Exit 2 when one can't be loaded. */
export async function usePlugins(file: string, cwd = process.cwd()): Promise<void> {
  const path = resolve(cwd, file);
  const base = dirname(path);
  const list = await pluginsOf(path);
  for (const [i, specifier] of list.entries()) await register(specifier, i, file, base);
}
