import type { Argv } from 'yargs';
import { strategies } from '../../engine/strategy.js';

// Flags shared by several commands.

/** The registered strategies (built-ins and plugins'), read when a command's flags are built. */
export const strategyChoices = (): string[] => strategies.names();

export function withTo<T>(y: Argv<T>, required: boolean) {
  return y.option('to', {
    type: 'string',
    demandOption: required ? 'pass the new version with --to <tag|image>' : false,
    describe: required
      ? 'The new version: a tag of image.repository (v2) or a full image reference (repo:tag, repo@sha256:…)'
      : 'The version to render (default: latest)',
  });
}

export function withTemplates<T>(y: Argv<T>) {
  return y.option('templates', {
    type: 'string',
    describe: 'A folder whose *.yaml.hbs files replace the built-in templates',
  });
}

export function withApp<T>(y: Argv<T>) {
  return y.positional('app', { type: 'string', describe: 'The app (default: app in kdeploy.yaml)' });
}

export function withUntil<T>(y: Argv<T>) {
  return y.option('until', {
    choices: ['completed', 'paused'] as const,
    describe: 'Return when the release completes (exit 0/1) or pauses for promote (exit 3)',
  });
}
