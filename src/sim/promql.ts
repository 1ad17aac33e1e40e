// A small PromQL subset for the simulated cluster's Prometheus endpoint — enough for analysis queries
// against scenario metrics. Grammar (whitespace free; precedence * / over + -):
//
//   expr     := term (('+' | '-') term)*
//   term     := factor (('*' | '/') factor)*
//   factor   := number | '(' expr ')' | aggr | rangefn | selector
//   aggr     := ('sum'|'avg'|'min'|'max'|'count') [by] '(' expr ')' [by]        by := ('by'|'without') '(' label,… ')'
//   rangefn  := ('rate'|'irate'|'increase'|'avg_over_time'|'max_over_time'|'min_over_time'|'last_over_time')
//               '(' selector '[' duration ']' ')'
//   selector := name ['{' matchers '}'] | '{' matchers '}'      matcher := label ('='|'!='|'=~'|'!~') "value"
//
// Scenario metrics are gauges that already are rates and percentiles, so the range functions return the
// sample at the evaluation time (documented simplification: there is no stored history to integrate).
// Vector-vector arithmetic matches series one-to-one on their labels without __name__, as PromQL does.

export type Labels = Record<string, string>;
export interface Sample {
  metric: Labels;
  value: number;
}
export type Value = { kind: 'scalar'; value: number } | { kind: 'vector'; samples: Sample[] };

export class PromQLError extends Error {}

type Matcher = { label: string; op: '=' | '!=' | '=~' | '!~'; value: string };
type Node =
  | { t: 'num'; value: number }
  | { t: 'sel'; matchers: Matcher[] }
  | { t: 'agg'; op: string; by?: { without: boolean; labels: string[] }; arg: Node }
  | { t: 'bin'; op: '+' | '-' | '*' | '/'; left: Node; right: Node };

const AGGREGATIONS = new Set(['sum', 'avg', 'min', 'max', 'count']);
const RANGE_FUNCTIONS = new Set([
  'rate',
  'irate',
  'increase',
  'avg_over_time',
  'max_over_time',
  'min_over_time',
  'last_over_time',
]);

const TOKEN =
  /\s*(?:(\d+(?:\.\d+)?(?:e[+-]?\d+)?)|("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')|([a-zA-Z_:][a-zA-Z0-9_:]*)|(=~|!~|!=|=|[-+*/(){}[\],]))/y;

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < text.length) {
    if (/^\s*$/.test(text.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(text);
    if (!m)
      throw new PromQLError(
        `parse error at char ${pos + 1}: unexpected character "${text.slice(pos).trim()[0]}"`,
      );
    tokens.push(m[1] ?? m[2] ?? m[3] ?? m[4]!);
    pos = TOKEN.lastIndex;
  }
  return tokens;
}

class Parser {
  private i = 0;
  constructor(private readonly tokens: string[]) {}

  parse(): Node {
    const node = this.expr();
    if (this.i < this.tokens.length)
      throw new PromQLError(`parse error: unexpected "${this.tokens[this.i]}"`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private take(expected?: string): string {
    const t = this.tokens[this.i++];
    if (t === undefined)
      throw new PromQLError(
        `parse error: unexpected end of input${expected ? `, expected "${expected}"` : ''}`,
      );
    if (expected !== undefined && t !== expected)
      throw new PromQLError(`parse error: expected "${expected}", got "${t}"`);
    return t;
  }

  private expr(): Node {
    let left = this.term();
    while (this.peek() === '+' || this.peek() === '-') {
      const op = this.take() as '+' | '-';
      left = { t: 'bin', op, left, right: this.term() };
    }
    return left;
  }

  private term(): Node {
    let left = this.factor();
    while (this.peek() === '*' || this.peek() === '/') {
      const op = this.take() as '*' | '/';
      left = { t: 'bin', op, left, right: this.factor() };
    }
    return left;
  }

  private factor(): Node {
    const t = this.peek();
    if (t === undefined) throw new PromQLError('parse error: unexpected end of input');
    if (/^\d/.test(t)) return { t: 'num', value: Number(this.take()) };
    if (t === '(') {
      this.take('(');
      const e = this.expr();
      this.take(')');
      return e;
    }
    if (t === '{') return { t: 'sel', matchers: this.matchers() };
    if (/^[a-zA-Z_:]/.test(t)) {
      const name = this.take();
      if (
        AGGREGATIONS.has(name) &&
        (this.peek() === '(' || this.peek() === 'by' || this.peek() === 'without')
      ) {
        let by = this.by();
        this.take('(');
        const arg = this.expr();
        this.take(')');
        by ??= this.by();
        return { t: 'agg', op: name, by, arg };
      }
      if (RANGE_FUNCTIONS.has(name) && this.peek() === '(') {
        this.take('(');
        const sel = this.selector(this.take());
        this.take('[');
        const d = this.take();
        const unit = this.take();
        if (!/^\d+$/.test(d) || !['ms', 's', 'm', 'h', 'd'].includes(unit))
          throw new PromQLError(`parse error: bad range duration "${d}${unit}"`);
        this.take(']');
        this.take(')');
        return sel;
      }
      if (this.peek() === '(')
        throw new PromQLError(
          `unknown function "${name}" (the simulated Prometheus supports ${[...AGGREGATIONS, ...RANGE_FUNCTIONS].join(', ')})`,
        );
      return this.selector(name);
    }
    throw new PromQLError(`parse error: unexpected "${t}"`);
  }

  private by(): { without: boolean; labels: string[] } | undefined {
    const t = this.peek();
    if (t !== 'by' && t !== 'without') return undefined;
    this.take();
    this.take('(');
    const labels: string[] = [];
    while (this.peek() !== ')') {
      labels.push(this.take());
      if (this.peek() === ',') this.take(',');
    }
    this.take(')');
    return { without: t === 'without', labels };
  }

  private selector(name: string): Node {
    const matchers: Matcher[] = [{ label: '__name__', op: '=', value: name }];
    if (this.peek() === '{') matchers.push(...this.matchers());
    return { t: 'sel', matchers };
  }

  private matchers(): Matcher[] {
    this.take('{');
    const out: Matcher[] = [];
    while (this.peek() !== '}') {
      const label = this.take();
      const op = this.take();
      if (!['=', '!=', '=~', '!~'].includes(op))
        throw new PromQLError(`parse error: unexpected "${op}" in label matcher`);
      const raw = this.take();
      if (!/^["']/.test(raw))
        throw new PromQLError(`parse error: expected a quoted label value, got "${raw}"`);
      out.push({ label, op: op as Matcher['op'], value: unquote(raw.slice(1, -1)) });
      if (this.peek() === ',') this.take(',');
    }
    this.take('}');
    return out;
  }
}

const SIMPLE_ESCAPES: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  f: '\f',
  v: '\v',
};

/** PromQL string literals use Go's escapes: \xHH, \uHHHH, \UHHHHHHHH, octal \NNN, \n… and \<char>. */
function unquote(body: string): string {
  return body.replace(/\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{3}|.)/g, (_, e: string) => {
    if (/^[xuU]/.test(e)) return String.fromCodePoint(Number.parseInt(e.slice(1), 16));
    if (/^[0-7]{3}$/.test(e)) return String.fromCodePoint(Number.parseInt(e, 8));
    return SIMPLE_ESCAPES[e] ?? e;
  });
}

export function parse(query: string): Node {
  return new Parser(tokenize(query)).parse();
}

function matcherOk(m: Matcher, labels: Labels): boolean {
  const v = labels[m.label] ?? '';
  switch (m.op) {
    case '=':
      return v === m.value;
    case '!=':
      return v !== m.value;
    case '=~':
      return new RegExp(`^(?:${m.value})$`).test(v);
    case '!~':
      return !new RegExp(`^(?:${m.value})$`).test(v);
  }
}

function withoutName(l: Labels): Labels {
  const { __name__: _, ...rest } = l;
  return rest;
}

const signature = (l: Labels) => JSON.stringify(Object.entries(withoutName(l)).sort());

function arith(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    default:
      return a / b;
  }
}

/** Evaluates a query against the series available at one instant. */
export function evaluate(query: string, series: Sample[]): Value {
  const run = (n: Node): Value => {
    switch (n.t) {
      case 'num':
        return { kind: 'scalar', value: n.value };
      case 'sel':
        return {
          kind: 'vector',
          samples: series.filter((s) => n.matchers.every((m) => matcherOk(m, s.metric))),
        };
      case 'agg': {
        const v = run(n.arg);
        if (v.kind !== 'vector')
          throw new PromQLError(`expected type instant vector in aggregation expression, got scalar`);
        const groups = new Map<string, { metric: Labels; values: number[] }>();
        for (const s of v.samples) {
          const metric: Labels = {};
          for (const [k, val] of Object.entries(withoutName(s.metric))) {
            const keep = n.by ? (n.by.without ? !n.by.labels.includes(k) : n.by.labels.includes(k)) : false;
            if (keep) metric[k] = val;
          }
          const key = signature(metric);
          const g = groups.get(key) ?? { metric, values: [] };
          g.values.push(s.value);
          groups.set(key, g);
        }
        const reduce: Record<string, (xs: number[]) => number> = {
          sum: (xs) => xs.reduce((a, b) => a + b, 0),
          avg: (xs) => xs.reduce((a, b) => a + b, 0) / xs.length,
          min: (xs) => Math.min(...xs),
          max: (xs) => Math.max(...xs),
          count: (xs) => xs.length,
        };
        return {
          kind: 'vector',
          samples: [...groups.values()].map((g) => ({ metric: g.metric, value: reduce[n.op]!(g.values) })),
        };
      }
      case 'bin': {
        const l = run(n.left);
        const r = run(n.right);
        if (l.kind === 'scalar' && r.kind === 'scalar')
          return { kind: 'scalar', value: arith(n.op, l.value, r.value) };
        if (l.kind === 'scalar' || r.kind === 'scalar') {
          const vec = (l.kind === 'vector' ? l : r) as { samples: Sample[] };
          const sc = (l.kind === 'scalar' ? l : r) as { value: number };
          return {
            kind: 'vector',
            samples: vec.samples.map((s) => ({
              metric: withoutName(s.metric),
              value: l.kind === 'scalar' ? arith(n.op, sc.value, s.value) : arith(n.op, s.value, sc.value),
            })),
          };
        }
        const right = new Map(r.samples.map((s) => [signature(s.metric), s]));
        const out: Sample[] = [];
        for (const s of l.samples) {
          const match = right.get(signature(s.metric));
          if (match) out.push({ metric: withoutName(s.metric), value: arith(n.op, s.value, match.value) });
        }
        return { kind: 'vector', samples: out };
      }
    }
  };
  return run(parse(query));
}
