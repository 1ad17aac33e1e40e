import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type Document, isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import { crossCheck } from './checks.js';
import { ConfigError, type ConfigIssue, type ConfigPath, formatIssue } from './errors.js';
import { type ImageRef, resolveImage } from './image.js';
import { buildConfigSchema, type KdeployConfig } from './schema.js';
import type { ConfigSection } from './section.js';
import { type Purpose, unsupportedFields } from './support.js';
import { describeIssues } from './zod-issues.js';

// Loads kdeploy.yaml: YAML with source positions, the zod schema, cross-field rules, feature gates, then
// the command-line overrides (--to, -n). Every problem is collected and thrown as one ConfigError (exit 2)
// before anything touches a cluster.

export const DEFAULT_CONFIG_FILE = 'kdeploy.yaml';
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export interface LoadOptions {
  /** The `strategy:` sections to accept: the registered strategies' (the engine's `strategySections()`). */
  sections: readonly ConfigSection[];
  /** `-f`; relative to `cwd`. Default `kdeploy.yaml`. */
  file?: string;
  cwd?: string;
  /** `--to`: a tag or a full image reference. */
  to?: string;
  /** `-n`: overrides the config's namespace. */
  namespace?: string;
  /** Which feature gates apply: all for a release, only those that change manifests for `render`. Default release. */
  purpose?: Purpose;
}

export interface LoadedConfig {
  config: KdeployConfig;
  /** The file as given (for messages) and its absolute path. */
  file: string;
  path: string;
  /** The image `--to` names, when given. */
  image?: ImageRef;
  /** Things that are allowed but probably not meant, as printable lines. */
  warnings: string[];
}

/** The problem with a `-n` value, if any: namespaces are DNS labels. */
export function namespaceFlagIssue(namespace: string): ConfigIssue | undefined {
  if (DNS_LABEL.test(namespace) && namespace.length <= 63) return undefined;
  return {
    path: [],
    source: '--namespace',
    message: `expected a DNS label (at most 63 lower-case letters, digits and -), got ${JSON.stringify(namespace)}`,
  };
}

/** Reads and validates the config file. Throws ConfigError (exit 2) naming every problem. */
export async function loadConfig(options: LoadOptions): Promise<LoadedConfig> {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  const path = resolve(options.cwd ?? process.cwd(), file);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : String((err as Error).message);
    const hint = options.file ? '' : ' (pass the config file with -f)';
    throw new ConfigError([
      { path: [], source: file, message: `cannot read the config file: ${why}${hint}` },
    ]);
  }
  return parseConfig(text, { ...options, file, path });
}

/** Validates config text; pure apart from resolving relative paths against the file's folder. */
export function parseConfig(text: string, options: LoadOptions & { path?: string }): LoadedConfig {
  const file = options.file ?? DEFAULT_CONFIG_FILE;
  const path = options.path ?? resolve(options.cwd ?? process.cwd(), file);
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (p: ConfigPath, message: string): ConfigIssue => ({
    path: p,
    message,
    source: file,
    ...position(doc, lineCounter, p),
  });

  if (doc.errors.length) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = lineCounter.linePos(e.pos[0]);
        return {
          path: [],
          source: file,
          line: pos.line,
          col: pos.col,
          message: `invalid YAML: ${e.message.split('\n')[0]}`,
        };
      }),
    );
  }
  const input: unknown = doc.toJS({ maxAliasCount: 100 });
  if (input === null || input === undefined) {
    throw new ConfigError([at([], 'the file is empty; it needs at least app and image.repository')]);
  }

  const schema = buildConfigSchema(options.sections);
  const parsed = schema.safeParse(input, { reportInput: true });
  if (!parsed.success) {
    throw new ConfigError(
      describeIssues(parsed.error.issues, schema, input)
        .map((p) => at(p.path, p.message))
        .sort(byPosition),
    );
  }
  const config = parsed.data;
  const checks = [crossCheck(config), ...options.sections.flatMap((s) => s.check?.(config) ?? [])];
  const issues = [
    ...checks.flatMap((c) => c.errors).map((e) => at(e.path, e.message)),
    ...unsupportedFields(config, options.purpose ?? 'release').map((e) => at(e.path, e.message)),
  ];
  const warnings = checks.flatMap((c) => c.warnings).map((w) => formatIssue(at(w.path, w.message)));

  if (options.namespace !== undefined) {
    const problem = namespaceFlagIssue(options.namespace);
    if (problem) issues.push(problem);
    else config.namespace = options.namespace;
  }
  let image: ImageRef | undefined;
  if (options.to !== undefined) {
    const ref = resolveImage(config.image.repository, options.to);
    if (typeof ref === 'string') issues.push({ path: [], source: '--to', message: ref });
    else {
      image = ref;
      if (ref.repository !== config.image.repository) {
        warnings.push(
          `--to: the image ${ref.repository} is not the configured repository ${config.image.repository}`,
        );
      }
    }
  }
  if (issues.length) throw new ConfigError(issues.sort(byPosition));

  // Paths inside the config are relative to the config file, wherever kdeploy runs.
  const base = dirname(path);
  if (config.templates) config.templates = resolve(base, config.templates);
  if (config.cluster.kubeconfig) config.cluster.kubeconfig = resolve(base, config.cluster.kubeconfig);
  return { config, file, path, image, warnings };
}

/** File order first; flag issues (no line) last. */
function byPosition(a: ConfigIssue, b: ConfigIssue): number {
  return (a.line ?? Infinity) - (b.line ?? Infinity) || (a.col ?? 0) - (b.col ?? 0);
}

/** The line and column of the deepest node on `path` that exists (the key, for a map entry). */
function position(
  doc: Document,
  lineCounter: LineCounter,
  path: ConfigPath,
): { line?: number; col?: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0];
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) break;
      offset = (pair.key as Node).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
      node = node.items[seg];
      offset = (node as Node).range?.[0] ?? offset;
    } else break;
  }
  return offset === undefined ? {} : lineCounter.linePos(offset);
}
