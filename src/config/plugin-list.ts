import { parse } from 'yaml';

/**
 * The `plugins:` of kdeploy.yaml's text, read before the file is validated (plugins add the sections it is
 * validated with). Anything malformed counts as no plugins here: loadConfig then reports it with its position.
 */
export function pluginList(text: string): string[] {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch {
    return [];
  }
  const list = (doc as { plugins?: unknown } | null)?.plugins;
  return Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string' && p !== '') : [];
}
