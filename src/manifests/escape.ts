import Handlebars from 'handlebars';
import { KdeployError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { yamlSafeJson } from './yaml-safe.js';

// The only way a template may output a value: `{{q value}}` (one scalar) or `{{json value}}` (any value,
// inline). Both emit JSON, which is valid YAML in flow context, so a value holding newlines, `: `, `#`,
// `---`, `&anchor`, `!!tag` or `{{` can't add keys, documents or tags. Templates are checked before use:
// a bare `{{value}}` or `{{{value}}}` is an error, not a silent injection risk.

const ESCAPING_HELPERS = new Set(['q', 'json']);

/** A manifest template that can't render or isn't safe: bad input, nothing changed. */
export class TemplateError extends KdeployError {
  override name = 'TemplateError';
  constructor(message: string) {
    super(message, ExitCode.BadInput, { kind: 'input' });
  }
}

function helperError(helper: string, what: string, options: Handlebars.HelperOptions): TemplateError {
  const loc = (options as unknown as { loc?: { start: { line: number } } }).loc;
  return new TemplateError(`{{${helper}}}${loc ? ` on line ${loc.start.line}` : ''}: ${what}`);
}

/** A Handlebars environment with the two escaping helpers and no HTML escaping. */
export function createEnvironment(): typeof Handlebars {
  const hb = Handlebars.create();
  hb.registerHelper('q', (value: unknown, options: Handlebars.HelperOptions) => {
    if (value === undefined || value === null) throw helperError('q', 'the value is missing', options);
    if (typeof value === 'object')
      throw helperError('q', 'q is for a single value; use json for maps and lists', options);
    return yamlSafeJson(value);
  });
  hb.registerHelper('json', (value: unknown) => yamlSafeJson(value ?? null));
  return hb;
}

/** Lists every output in a template that bypasses q/json (bare or triple-stash mustaches, partials). */
export function unescapedOutputs(source: string): string[] {
  const problems: string[] = [];
  const ast = Handlebars.parse(source);
  const visit = (nodes: hbs.AST.Statement[]) => {
    for (const node of nodes) {
      const line = node.loc?.start.line;
      if (node.type === 'MustacheStatement') {
        const m = node as hbs.AST.MustacheStatement;
        const helper = m.path.type === 'PathExpression' ? (m.path as hbs.AST.PathExpression).original : '';
        if (!m.escaped)
          problems.push(`line ${line}: triple-stash {{{…}}} outputs a raw value; use {{q …}} or {{json …}}`);
        else if (!ESCAPING_HELPERS.has(helper) || m.params.length !== 1) {
          problems.push(
            `line ${line}: {{${helper || '…'}${m.params.length ? ' …' : ''}}} outputs an unescaped value; use {{q ${helper || 'value'}}} or {{json ${helper || 'value'}}}`,
          );
        }
      } else if (node.type === 'PartialStatement' || node.type === 'PartialBlockStatement') {
        problems.push(`line ${line}: partials are not supported`);
      } else if (node.type === 'BlockStatement') {
        const b = node as hbs.AST.BlockStatement;
        visit(b.program?.body ?? []);
        visit(b.inverse?.body ?? []);
      }
    }
  };
  visit(ast.body);
  return problems;
}
