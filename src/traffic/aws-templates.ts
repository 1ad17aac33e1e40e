import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { parse } from 'yaml';

// Renders the routers' manifests (TargetGroupBinding) from templates/. Every value goes through the `json`
// helper: a JSON string is a valid YAML scalar, so a value can never add YAML structure.

const hbs = Handlebars.create();
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));

/** templates/<name>, found by walking up from this module (src/traffic/ in source, dist/chunks/ when bundled). */
export async function readTemplate(name: string): Promise<string> {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    const candidate = join(dir, 'templates', name);
    if (existsSync(candidate)) return readFile(candidate, 'utf8');
    if (dirname(dir) === dir)
      throw new Error(`template ${name} not found above ${fileURLToPath(import.meta.url)}`);
  }
}

export function renderTemplate<T>(template: string, values: Record<string, unknown>): T {
  return parse(hbs.compile(template, { strict: true })(values)) as T;
}
