import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TemplateDelegate } from 'handlebars';
import { isMap, parseAllDocuments } from 'yaml';
import type { KdeployConfig } from '../config/schema.js';
import { createEnvironment, TemplateError, unescapedOutputs } from './escape.js';
import { buildView, type ViewOptions } from './view.js';
import { yamlStream } from './yaml-safe.js';

// Renders the app's Kubernetes objects from Handlebars templates: the built-in ones in templates/, each
// replaceable by a file of the same name in the user's templates folder (`templates:` in kdeploy.yaml or
// --templates). No cluster involved.

export const TEMPLATE_NAMES = ['deployment', 'service', 'preview-service'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];
const SUFFIX = '.yaml.hbs';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

export interface RenderOptions extends ViewOptions {
  /** Which templates to render, in order. Default: the Deployment and its Service. */
  objects?: readonly TemplateName[];
  /** A folder whose `<name>.yaml.hbs` files replace the built-in ones; default `config.templates`. */
  templatesDir?: string;
}

/** templates/ of the installed package: found by walking up from this module (src/manifests or dist/chunks). */
export function builtinTemplatesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'templates', `deployment${SUFFIX}`))) return join(dir, 'templates');
    if (dirname(dir) === dir)
      throw new Error('the built-in templates/ folder is missing from the kdeploy package');
  }
}

const hb = createEnvironment();
const compiled = new Map<string, TemplateDelegate>();

function compile(file: string): TemplateDelegate {
  let fn = compiled.get(file);
  if (!fn) {
    const source = readFileSync(file, 'utf8');
    let problems: string[];
    try {
      problems = unescapedOutputs(source);
    } catch (err) {
      throw new TemplateError(`${file}: ${(err as Error).message}`);
    }
    if (problems.length)
      throw new TemplateError(`${file}: every value must be escaped:\n  ${problems.join('\n  ')}`);
    fn = hb.compile(source, { noEscape: true, strict: false });
    compiled.set(file, fn);
  }
  return fn;
}

/**
 * Where each template comes from: the user's folder when it has the file, else the built-in one. Every
 * built-in template can be overridden, including those other parts of kdeploy render (e.g. the ALB router's).
 */
export function resolveTemplates(userDir: string | undefined): Record<string, string> {
  const builtin = builtinTemplatesDir();
  const names = readdirSync(builtin)
    .filter((f) => f.endsWith(SUFFIX))
    .map((f) => f.slice(0, -SUFFIX.length));
  const files = Object.fromEntries(names.map((n) => [n, join(builtin, `${n}${SUFFIX}`)]));
  if (!userDir) return files;
  let entries: string[];
  try {
    entries = readdirSync(userDir);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such folder' : (err as Error).message;
    throw new TemplateError(`templates folder ${userDir}: ${why}`);
  }
  for (const entry of entries.filter((e) => e.endsWith('.hbs'))) {
    const name = entry.slice(0, -SUFFIX.length);
    // A misspelt override would silently never apply.
    if (!entry.endsWith(SUFFIX) || !names.includes(name)) {
      throw new TemplateError(
        `${join(userDir, entry)}: not a template kdeploy renders; overridable: ${names.map((n) => n + SUFFIX).join(', ')}`,
      );
    }
    files[name] = join(userDir, entry);
  }
  return files;
}

/** One template, checked (every value escaped) and compiled: the user's override if there is one. */
export function loadTemplate(name: string, userDir?: string): TemplateDelegate {
  const file = resolveTemplates(userDir)[name];
  if (!file) throw new TemplateError(`no built-in template named ${name}${SUFFIX}`);
  return compile(file);
}

function checkManifest(doc: unknown, file: string): Manifest {
  const m = doc as Partial<Manifest> | null;
  const missing = ['apiVersion', 'kind'].filter((k) => typeof m?.[k as keyof Manifest] !== 'string');
  if (typeof m?.metadata?.name !== 'string') missing.push('metadata.name');
  if (missing.length) throw new TemplateError(`${file}: the rendered object has no ${missing.join(', ')}`);
  return m as Manifest;
}

/** The app's objects as plain data, ready to apply. */
export function renderManifests(config: KdeployConfig, options: RenderOptions): Manifest[] {
  const files = resolveTemplates(options.templatesDir ?? config.templates);
  const view = buildView(config, options);
  return (options.objects ?? ['deployment', 'service']).flatMap((name) => {
    const file = files[name]!;
    const text = compile(file)(view);
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) return [];
    return docs.flatMap((doc) => {
      if (doc.errors.length)
        throw new TemplateError(`${file}: the rendered YAML is invalid: ${doc.errors[0]!.message}`);
      if (doc.contents === null) return [];
      if (!isMap(doc.contents)) throw new TemplateError(`${file}: a rendered document is not a map`);
      return [checkManifest(doc.toJS(), file)];
    });
  });
}

/** The same objects as a multi-document YAML stream (what `kdeploy render` prints). */
export function renderYaml(config: KdeployConfig, options: RenderOptions): string {
  return yamlStream(renderManifests(config, options));
}
