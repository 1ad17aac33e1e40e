import { Document, visit } from 'yaml';

// YAML output that no value can break: used by the template helpers and by every YAML kdeploy prints.

/**
 * Characters a YAML reader may reject or read as a line break (go-yaml, which kubectl uses, refuses DEL, C1
 * controls, a BOM and U+FFFE/F, and breaks lines at NEL, U+2028/9) but that JSON.stringify and the yaml
 * package's writer leave raw.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const YAML_UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u2028\u2029\ufeff\ufffe\uffff]/g;
const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/** A value as a JSON text that every YAML parser reads back as exactly that value. */
export function yamlSafeJson(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) throw new TypeError(`cannot render ${typeof value} as YAML`);
  return text.replace(YAML_UNSAFE, escapeChar);
}

/** Objects as a YAML stream any YAML reader parses back exactly (what `kdeploy render` prints). */
export function yamlStream(objects: readonly unknown[]): string {
  return objects
    .map((object) => {
      // YAML 1.1 rules: kubectl's go-yaml reads `yes`, `on`, `n`, `1:20`, `017` as booleans and numbers, so
      // those strings must be quoted even though YAML 1.2 would leave them plain.
      const doc = new Document(object, { version: '1.1' });
      // Strings holding unsafe characters go double-quoted, where a \u escape means the same character, so
      // escaping every unsafe character left in the text is exact (nothing outside those scalars can hold one).
      visit(doc, {
        Scalar(_key, node) {
          if (typeof node.value === 'string' && node.value.search(YAML_UNSAFE) >= 0)
            node.type = 'QUOTE_DOUBLE';
        },
      });
      return doc.toString({ lineWidth: 0 }).replace(YAML_UNSAFE, escapeChar);
    })
    .join('---\n');
}
