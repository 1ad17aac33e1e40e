import Handlebars from 'handlebars';
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { MetricVars } from '../core/ports.js';

// Metric queries are Handlebars templates over the release's variables ({{app}}, {{canaryVersion}}, …).
// Each provider says how a value must be escaped where it lands (a PromQL string literal, a URL), and every
// variable is escaped before rendering, so a version string can never change the query's structure.

export type Escape = (value: string) => string;

/** The release's variables as the query sees them: only those with a value, each escaped. */
function templateContext(vars: MetricVars, escapeValue: Escape): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(vars)) if (value !== undefined) out[key] = escapeValue(value);
  return out;
}

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Thrown when a template can't render: a syntax error or a variable the release doesn't have. */
export class QueryTemplateError extends KdeployError {
  override name = 'QueryTemplateError';
  constructor(message: string) {
    super(message, ExitCode.BadInput, { kind: 'input' });
  }
}

/** Renders a query template. `strict` makes an unknown or absent variable an error instead of an empty string. */
export function renderTemplate(template: string, vars: MetricVars, escapeValue: Escape): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = Handlebars.compile(template, { noEscape: true, strict: true });
    compiled.set(template, fn);
  }
  try {
    return fn(templateContext(vars, escapeValue));
  } catch (err) {
    const missing = /"([^"]+)" not defined/.exec((err as Error).message);
    const known = Object.keys(templateContext(vars, String)).join(', ');
    throw new QueryTemplateError(
      missing
        ? `{{${missing[1]}}} is not a variable of this release (variables: ${known})`
        : `cannot render template: ${(err as Error).message.split('\n')[0]}`,
    );
  }
}

/**
 * Escapes a value for a PromQL string literal. Quotes become hex escapes (`\x22`, `\x27`) because PromQL
 * accepts those inside both "…" and '…' strings, whereas `\'` is invalid inside "…" and `\"` inside '…'.
 * Backtick (raw) strings cannot escape anything, so don't put variables in them.
 */
export const promqlString: Escape = (value) =>
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what must be escaped
  value.replace(/[\\"'\u0000-\u001f\u007f]/g, (ch) => {
    if (ch === '\\') return '\\\\';
    if (ch === '\n') return '\\n';
    return `\\x${ch.charCodeAt(0).toString(16).padStart(2, '0')}`;
  });

/** Escapes a value for a URL path segment or query parameter. */
export const urlComponent: Escape = encodeURIComponent;

/** No escaping: for templates rendered leaf by leaf inside structured data (CloudWatch queries). */
export const verbatim: Escape = (value) => value;
