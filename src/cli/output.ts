import { yamlStream } from '../manifests/yaml-safe.js';
import type { OutputFormat } from './args.js';

/** Kubernetes objects as `-o` asks: a YAML stream, a JSON List (kubectl reads both), or one JSON per line. */
export function formatObjects(objects: readonly object[], format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects }, null, 2)}\n`;
    case 'ndjson':
      return objects.map((o) => `${JSON.stringify(o)}\n`).join('');
    case 'text':
      return yamlStream(objects);
  }
}
