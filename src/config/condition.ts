import { Environment } from '@marcbachmann/cel-js';

// Success and failure conditions are CEL expressions (the Common Expression Language that Kubernetes uses
// for validation rules and admission policies), evaluated by @marcbachmann/cel-js: a tree-walking interpreter
// with no eval/new Function, no loops, no I/O and type checking before evaluation, so a user's expression can
// neither run code nor hang the release. expr-eval was rejected (unmaintained, prototype-pollution CVE) and
// filtrex compiles expressions to JavaScript source.
//
// Variables: `result` (the first value), `results` and its alias `values` (every value, e.g. one per series
// or per sample of a range query). Helpers: len, sum, avg, min, max over lists, isNaN. Examples:
//   result < 0.01          results.all(x, x < 0.5)          len(results) >= 3 && avg(results) < 200

const sum = (l: number[]): number => l.reduce((a, b) => a + b, 0);

function buildEnvironment(): Environment {
  const env = new Environment()
    .registerVariable('result', 'double', { description: 'The first value of the measurement' })
    .registerVariable('results', 'list<double>', { description: 'All values of the measurement' })
    .registerVariable('values', 'list<double>', { description: 'Alias of results' })
    .registerFunction('len(list): int', (l: unknown[]) => BigInt(l.length))
    .registerFunction('sum(list<double>): double', sum)
    .registerFunction('avg(list<double>): double', (l: number[]) =>
      l.length ? sum(l) / l.length : Number.NaN,
    )
    .registerFunction('min(list<double>): double', (l: number[]) => (l.length ? Math.min(...l) : Number.NaN))
    .registerFunction('max(list<double>): double', (l: number[]) => (l.length ? Math.max(...l) : Number.NaN))
    .registerFunction('isNaN(double): bool', (x: number) => Number.isNaN(x));
  // CEL keeps int and double apart (`result == 0` is a type error in strict CEL); metric values are always
  // doubles and people write integer literals, so mixed arithmetic and equality are allowed.
  env.registerOperator('double == int', (a: number, b: bigint) => a === Number(b));
  for (const op of ['+', '-', '*', '/'] as const) {
    const apply = (a: number, b: number): number =>
      op === '+' ? a + b : op === '-' ? a - b : op === '*' ? a * b : a / b;
    env.registerOperator(`double ${op} int`, (a: number, b: bigint) => apply(a, Number(b)));
    env.registerOperator(`int ${op} double`, (a: bigint, b: number) => apply(Number(a), b));
  }
  return env;
}

let environment: Environment | undefined;
const parsed = new Map<string, (ctx: Record<string, unknown>) => unknown>();

function env(): Environment {
  environment ??= buildEnvironment();
  return environment;
}

/** Why an expression is not a valid condition, or undefined when it is. */
export function checkCondition(expression: string): string | undefined {
  let result: ReturnType<Environment['check']>;
  try {
    result = env().check(expression);
  } catch (err) {
    return firstLine(err);
  }
  if (!result.valid) {
    // Argo Rollouts' conditions index a list (`result[0] < 0.01`); here `result` is already the first value.
    const hint = /\bresult\s*\[/.test(expression)
      ? ' (result is the first value: write result < 0.01, or results[0])'
      : '';
    return `${firstLine(result.error)}${hint}`;
  }
  if (result.type !== 'bool') return `must be true or false, but this expression gives a ${result.type}`;
  return undefined;
}

/** Evaluates a checked condition over a measurement's values (at least one). Throws on a runtime error. */
export function evaluateCondition(expression: string, values: readonly number[]): boolean {
  let fn = parsed.get(expression);
  if (!fn) {
    const problem = checkCondition(expression);
    if (problem) throw new Error(problem);
    fn = env().parse(expression) as unknown as (ctx: Record<string, unknown>) => unknown;
    parsed.set(expression, fn);
  }
  const list = [...values];
  const out = fn({ result: list[0], results: list, values: list });
  if (typeof out !== 'boolean') throw new Error(`condition gave ${String(out)}, not true or false`);
  return out;
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!;
}
