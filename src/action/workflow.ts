// GitHub Actions' runner protocol, as pure string builders: workflow commands (`::error::`, `::group::`),
// the GITHUB_OUTPUT entry format, and the Markdown step summary of a release. The escaping follows
// @actions/core (toolkit packages/core/src/command.ts), which kdeploy doesn't bundle: the toolkit pulls an
// HTTP client in for OIDC, and this is all the Action needs of it.
import { randomUUID } from 'node:crypto';
import type { ReleaseEvent } from '../core/release.js';
import { describeEvent } from '../views/describe.js';

const escapeData = (s: string) => s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
const escapeProperty = (s: string) => escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');

/** `::name key=value,…::message`, one line whatever the message holds. */
export function command(name: string, message: string, properties: Record<string, string> = {}): string {
  const props = Object.entries(properties)
    .map(([k, v]) => `${k}=${escapeProperty(v)}`)
    .join(',');
  return `::${name}${props ? ` ${props}` : ''}::${escapeData(message)}`;
}

/**
 * A GITHUB_OUTPUT (or GITHUB_ENV) entry in the heredoc form, which is safe for any value: the delimiter is
 * random and checked against the value, as the runner requires.
 */
export function fileEntry(name: string, value: string, delimiter = `ghadelimiter_${randomUUID()}`): string {
  if (name.includes(delimiter) || value.includes(delimiter)) {
    throw new Error(`the value of ${name} contains the delimiter ${delimiter}`);
  }
  return `${name}<<${delimiter}\n${value}\n${delimiter}\n`;
}

const cell = (s: string) => s.replaceAll('|', '\\|').replaceAll('\n', ' ');

export interface SummaryInput {
  command: string;
  app?: string;
  releaseId?: string;
  outcome: string;
  exitCode: number;
  version?: string;
  reason?: string;
  events: ReleaseEvent[];
}

/** Timeline rows kept in the summary; GitHub rejects a step summary over 1 MiB. */
const MAX_ROWS = 500;

/** The step summary: outcome table, then the release timeline (without pod counts and step starts: the log has those). */
export function summaryMarkdown(s: SummaryInput): string {
  const icon = s.exitCode === 0 ? '✅' : s.outcome === 'paused' || s.outcome === 'suspended' ? '⏸️' : '❌';
  const lines = [
    `### ${icon} kdeploy ${s.command}${s.app ? ` ${s.app}` : ''}: ${s.outcome}`,
    '',
    '| | |',
    '|---|---|',
    ...(s.releaseId ? [`| Release | \`${s.releaseId}\` |`] : []),
    ...(s.version ? [`| Version | \`${cell(s.version)}\` |`] : []),
    `| Exit code | ${s.exitCode} |`,
    ...(s.reason ? [`| Reason | ${cell(s.reason)} |`] : []),
  ];
  const rows = s.events
    .filter((e) => e.type !== 'pods' && e.type !== 'step-started')
    .map((e) => `| ${new Date(e.at).toISOString().slice(11, 19)} | ${cell(describeEvent(e))} |`);
  if (rows.length) {
    const shown =
      rows.length > MAX_ROWS
        ? [
            ...rows.slice(0, MAX_ROWS / 2),
            `| … | ${rows.length - MAX_ROWS} events left out |`,
            ...rows.slice(-MAX_ROWS / 2),
          ]
        : rows;
    lines.push('', '#### Timeline', '', '| Time (UTC) | Event |', '|---|---|', ...shown);
  }
  return `${lines.join('\n')}\n`;
}
