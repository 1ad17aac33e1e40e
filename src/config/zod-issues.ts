import type { z } from 'zod';
import type { ConfigPath } from './errors.js';
import { didYouMean } from './suggest.js';

// Turns zod issues into messages a person can act on: what was found, what is allowed (enum values,
// the keys an object accepts, the shapes a union accepts), with the full field path.

type Issue = z.core.$ZodIssue;
type AnySchema = z.core.$ZodType;

export interface FieldProblem {
  path: ConfigPath;
  message: string;
}

const TYPE_WORDS: Record<string, string> = {
  record: 'a map',
  object: 'a map',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
};

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a map';
  const text = JSON.stringify(v);
  return `${typeof v} ${text.length > 40 ? `${text.slice(0, 37)}...` : text}`;
}

/** Follows a field path through the schema (unwrapping optional/default/pipe) to the object schemas found there. */
function schemasAt(schema: AnySchema, path: ConfigPath, data: unknown): AnySchema[] {
  const def = schema._zod.def as unknown as Record<string, unknown> & { type: string };
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return schemasAt(def.innerType as AnySchema, path, data);
    case 'pipe':
      return schemasAt(def.in as AnySchema, path, data);
    case 'union': {
      let options = def.options as AnySchema[];
      // A discriminated union: only the branch the data names.
      const disc = def.discriminator as string | undefined;
      const tag =
        disc && data && typeof data === 'object' ? (data as Record<string, unknown>)[disc] : undefined;
      if (disc && tag !== undefined) {
        const match = options.filter((o) => {
          const shape = (o._zod.def as { shape?: Record<string, AnySchema> }).shape;
          const lit = shape?.[disc]?._zod.def as { values?: unknown[] } | undefined;
          return lit?.values?.includes(tag);
        });
        if (match.length) options = match;
      }
      return options.flatMap((o) => schemasAt(o, path, data));
    }
  }
  if (path.length === 0) return [schema];
  const [head, ...rest] = path;
  const child =
    data && typeof data === 'object' ? (data as Record<string | number, unknown>)[head as string] : undefined;
  if (def.type === 'object') {
    const next = (def.shape as Record<string, AnySchema>)[head as string];
    return next ? schemasAt(next, rest, child) : [];
  }
  if (def.type === 'array') return schemasAt(def.element as AnySchema, rest, child);
  if (def.type === 'record') return schemasAt(def.valueType as AnySchema, rest, child);
  return [];
}

/** The keys an object at `path` accepts (the union of all branches that can be there). */
export function allowedKeys(root: AnySchema, path: ConfigPath, input: unknown): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(root, path, valueAt(input, path))) {
    const shape = (s._zod.def as { shape?: Record<string, unknown> }).shape;
    for (const k of Object.keys(shape ?? {})) keys.add(k);
  }
  return [...keys];
}

function valueAt(input: unknown, path: ConfigPath): unknown {
  let v = input;
  for (const seg of path)
    v = v && typeof v === 'object' ? (v as Record<string | number, unknown>)[seg] : undefined;
  return v;
}

function unknownKeyMessage(key: string, allowed: string[]): string {
  const hint = didYouMean(key, allowed);
  return allowed.length
    ? `unknown key; ${hint}allowed keys: ${allowed.join(', ')}`
    : 'unknown key; no keys are allowed here';
}

function isMissing(issue: Issue): boolean {
  return issue.code === 'invalid_type' && !('input' in issue && issue.input !== undefined);
}

/**
 * The union branch the input was most likely meant for: the one whose problems sit deepest (it matched the
 * shape and failed on a detail), then the one with the fewest problems.
 */
function bestBranch(branches: Issue[][]): Issue[] | undefined {
  // A missing key shows its parent object matched; an unknown key shows the object itself did not.
  const depth = (i: Issue) =>
    isMissing(i) ? i.path.length - 1 : i.code === 'unrecognized_keys' ? i.path.length : i.path.length;
  const score = (b: Issue[]) => Math.min(...b.map(depth));
  const ranked = branches.filter((b) => b.length).sort((a, b) => score(b) - score(a) || a.length - b.length);
  const best = ranked[0];
  return best && score(best) > 0 && (ranked.length === 1 || score(best) > score(ranked[1]!))
    ? best
    : undefined;
}

function unionMessage(issue: Extract<Issue, { code: 'invalid_union' }>, input: unknown): string {
  if ('discriminator' in issue && issue.discriminator) {
    const options = (issue as unknown as { options: unknown[] }).options ?? [];
    return `expected one of: ${options.map((o) => JSON.stringify(o)).join(', ')}; got ${describeValue(input)}`;
  }
  // Object branches that each require one key (canary steps, metric providers): name those keys.
  const keys = issue.errors
    .map((b) => b.find((i) => isMissing(i) && i.path.length === 1)?.path[0])
    .filter((k): k is string => typeof k === 'string');
  if (keys.length === issue.errors.length && input && typeof input === 'object' && !Array.isArray(input)) {
    return `expected exactly one of the keys ${keys.join(', ')}; got ${Object.keys(input).join(', ') || 'an empty map'}`;
  }
  const types = issue.errors.flatMap((b) =>
    b
      .filter((i) => i.code === 'invalid_type' && i.path.length === 0)
      .map((i) => TYPE_WORDS[(i as { expected: string }).expected] ?? (i as { expected: string }).expected),
  );
  return types.length
    ? `expected ${[...new Set(types)].join(' or ')}, got ${describeValue(input)}`
    : 'does not match any allowed form';
}

function scalarMessage(issue: Issue, input: unknown): string {
  switch (issue.code) {
    case 'invalid_type': {
      const want = TYPE_WORDS[issue.expected] ?? issue.expected;
      return isMissing(issue) ? `required (${want})` : `expected ${want}, got ${describeValue(input)}`;
    }
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, got ${describeValue(input)}`
        : `expected one of: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}; got ${describeValue(input)}`;
    case 'too_big':
    case 'too_small': {
      const big = issue.code === 'too_big';
      const bound = big
        ? (issue as { maximum: number | bigint }).maximum
        : (issue as { minimum: number | bigint }).minimum;
      const op = big
        ? issue.inclusive
          ? 'at most'
          : 'less than'
        : issue.inclusive
          ? 'at least'
          : 'more than';
      if (issue.origin === 'array') return `must have ${op} ${bound} item${Number(bound) === 1 ? '' : 's'}`;
      if (issue.origin === 'string')
        return `must be ${op} ${bound} characters long, got ${describeValue(input)}`;
      return `must be ${op} ${bound}, got ${describeValue(input)}`;
    }
    case 'invalid_format':
      if (!issue.message.startsWith('Invalid')) return `${issue.message}, got ${describeValue(input)}`;
      return issue.format === 'regex'
        ? `must match ${issue.pattern}, got ${describeValue(input)}`
        : `expected a ${issue.format}, got ${describeValue(input)}`;
    case 'custom':
      return input === undefined || typeof input === 'object'
        ? issue.message
        : `${issue.message}, got ${describeValue(input)}`;
    default:
      return issue.message;
  }
}

/** Every zod issue as a field problem with a full path and a message that says what is allowed. */
export function describeIssues(
  issues: readonly Issue[],
  root: AnySchema,
  input: unknown,
  base: ConfigPath = [],
): FieldProblem[] {
  const out: FieldProblem[] = [];
  for (const issue of issues) {
    const path = [...base, ...(issue.path as (string | number)[])];
    const value = valueAt(input, path);
    if (issue.code === 'unrecognized_keys') {
      const allowed = allowedKeys(root, path, input);
      for (const key of issue.keys)
        out.push({ path: [...path, key], message: unknownKeyMessage(key, allowed) });
    } else if (issue.code === 'invalid_union') {
      const best = 'discriminator' in issue && issue.discriminator ? undefined : bestBranch(issue.errors);
      if (best) out.push(...describeIssues(best, root, input, path));
      else out.push({ path, message: unionMessage(issue, value) });
    } else {
      out.push({ path, message: scalarMessage(issue, value) });
    }
  }
  return out;
}
