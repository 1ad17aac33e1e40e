// Label and field selectors, parsed from the query-string syntax (`app=web,tier in (a,b),!canary`) and from
// the LabelSelector objects in Deployment/ReplicaSet specs.
import { badRequest } from './errors.js';
import type { KubeObject } from './store.js';

export type Requirement =
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | '!exists' }
  | { key: string; op: '=' | '!='; values: [string] };

export type Selector = Requirement[];

const KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

/** Splits on commas outside parentheses. */
function splitTopLevel(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function checkKey(key: string, whole: string): string {
  if (!KEY.test(key))
    throw badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${whole}"`);
  return key;
}

/** Parses a `labelSelector` query parameter. */
export function parseLabelSelector(text: string | null | undefined): Selector {
  if (!text) return [];
  return splitTopLevel(text).map((part): Requirement => {
    const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part);
    if (set) {
      const values = set[3]!
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      return { key: checkKey(set[1]!, text), op: set[2] as 'in' | 'notin', values };
    }
    if (part.startsWith('!')) return { key: checkKey(part.slice(1).trim(), text), op: '!exists' };
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(part);
    if (eq) return { key: checkKey(eq[1]!, text), op: eq[2] === '!=' ? '!=' : '=', values: [eq[3]!] };
    if (/^[^\s=!(),]+$/.test(part)) return { key: checkKey(part, text), op: 'exists' };
    throw badRequest(`unable to parse requirement: "${part}" in selector "${text}"`);
  });
}

export interface LabelSelectorObject {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** Converts a spec's LabelSelector; an empty selector matches everything, as in the API. */
export function fromLabelSelector(sel: LabelSelectorObject | undefined): Selector {
  const reqs: Selector = [];
  for (const [key, value] of Object.entries(sel?.matchLabels ?? {}))
    reqs.push({ key, op: '=', values: [value] });
  for (const e of sel?.matchExpressions ?? []) {
    const op = { In: 'in', NotIn: 'notin', Exists: 'exists', DoesNotExist: '!exists' }[e.operator];
    if (!op) throw badRequest(`"${e.operator}" is not a valid label selector operator`);
    if (op === 'in' || op === 'notin') reqs.push({ key: e.key, op, values: e.values ?? [] });
    else reqs.push({ key: e.key, op: op as 'exists' | '!exists' });
  }
  return reqs;
}

function requirementMet(r: Requirement, l: Record<string, string>): boolean {
  const has = Object.hasOwn(l, r.key);
  switch (r.op) {
    case 'exists':
      return has;
    case '!exists':
      return !has;
    case '=':
      return has && l[r.key] === r.values[0];
    case '!=':
      return !has || l[r.key] !== r.values[0];
    case 'in':
      return has && r.values.includes(l[r.key]!);
    case 'notin':
      return !has || !r.values.includes(l[r.key]!);
  }
}

export function matchesLabels(selector: Selector, labels: Record<string, string> | undefined): boolean {
  return selector.every((r) => requirementMet(r, labels ?? {}));
}

/** Field selectors the apiserver supports per resource (others are rejected, as there). */
const FIELDS: Record<string, string[]> = {
  '*': ['metadata.name', 'metadata.namespace'],
  pods: ['spec.nodeName', 'status.phase'],
  events: [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'type',
    'source',
  ],
};

export interface FieldRequirement {
  path: string;
  negate: boolean;
  value: string;
}

export function parseFieldSelector(text: string | null | undefined, resource: string): FieldRequirement[] {
  if (!text) return [];
  const allowed = [...FIELDS['*']!, ...(FIELDS[resource] ?? [])];
  return splitTopLevel(text).map((part) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw badRequest(`invalid field selector: "${part}"`);
    if (!allowed.includes(m[1]!)) throw badRequest(`field label not supported: ${m[1]}`);
    return { path: m[1]!, negate: m[2] === '!=', value: m[3]!.trim() };
  });
}

function fieldValue(obj: KubeObject, path: string): string {
  if (path === 'source') return String(obj.source?.component ?? '');
  let cur: unknown = obj;
  for (const seg of path.split('.')) cur = (cur as Record<string, unknown> | undefined)?.[seg];
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  return reqs.every((r) => (fieldValue(obj, r.path) === r.value) !== r.negate);
}
