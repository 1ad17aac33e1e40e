import type { AnalysisRef } from './analysis-schema.js';
import type { ConfigPath } from './errors.js';
import type { KdeployConfig } from './schema.js';
import type { CheckResult, ConfigProblem } from './section.js';

// Rules that span several fields, which the schema alone can't express. Pure: config in, problems out.
// Rules about one strategy's section are that section's `check` (strategies/config/).

function duplicates<T>(items: readonly T[], key: (t: T) => string | number): number[] {
  const seen = new Set<string | number>();
  return items.flatMap((item, i) => {
    const k = key(item);
    if (seen.has(k)) return [i];
    seen.add(k);
    return [];
  });
}

// Kubernetes' rules for label and annotation keys (an optional DNS-subdomain prefix and a name) and label values,
// checked here so the API server never has to reject a half-applied release.
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const RESERVED_PREFIX = 'kdeploy.dev/';

function keyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = key.slice(slash + 1);
  if (prefix !== undefined && !DNS_SUBDOMAIN.test(prefix))
    return 'the key prefix must be a DNS subdomain (example.com/)';
  if (!LABEL_NAME.test(name))
    return 'the key name must be 1-63 letters, digits, -, _ or ., starting and ending alphanumeric';
  return undefined;
}

function checkMetadataMaps(config: KdeployConfig, errors: CheckResult['errors']): void {
  for (const field of ['labels', 'podLabels', 'annotations', 'podAnnotations'] as const) {
    const isLabel = field === 'labels' || field === 'podLabels';
    for (const [key, value] of Object.entries(config[field])) {
      const problem = key.startsWith(RESERVED_PREFIX)
        ? `${RESERVED_PREFIX}* keys are set by kdeploy`
        : (keyProblem(key) ??
          (isLabel && value !== '' && !LABEL_NAME.test(value)
            ? `label values must be at most 63 letters, digits, -, _ or ., starting and ending alphanumeric; got ${JSON.stringify(value)}`
            : undefined));
      if (problem) errors.push({ path: [field, key], message: problem });
    }
  }
}

export function crossCheck(config: KdeployConfig): CheckResult {
  const errors: CheckResult['errors'] = [];
  const warnings: CheckResult['warnings'] = [];

  checkMetadataMaps(config, errors);

  for (const i of duplicates(config.ports, (p) => p.name)) {
    errors.push({
      path: ['ports', i, 'name'],
      message: `duplicate port name ${JSON.stringify(config.ports[i]!.name)}`,
    });
  }
  for (const i of duplicates(config.ports, (p) => `${p.containerPort}/${p.protocol}`)) {
    errors.push({
      path: ['ports', i, 'containerPort'],
      message: `duplicate container port ${config.ports[i]!.containerPort}`,
    });
  }
  const portNames = config.ports.map((p) => p.name);
  const { targetPort } = config.service;
  if (typeof targetPort === 'string' && !portNames.includes(targetPort)) {
    errors.push({
      path: ['service', 'targetPort'],
      message: `names no container port; port names: ${portNames.join(', ')}`,
    });
  }
  for (const [kind, probe] of Object.entries(config.probes)) {
    const port = probe?.httpGet?.port ?? probe?.tcpSocket?.port;
    if (typeof port === 'string' && !portNames.includes(port)) {
      const field = probe?.httpGet ? 'httpGet' : 'tcpSocket';
      errors.push({
        path: ['probes', kind, field, 'port'],
        message: `names no container port; port names: ${portNames.join(', ')}`,
      });
    }
  }

  const metrics = config.analysis.metrics;
  for (const i of duplicates(metrics, (m) => m.name)) {
    errors.push({
      path: ['analysis', 'metrics', i, 'name'],
      message: `duplicate metric name ${JSON.stringify(metrics[i]!.name)}`,
    });
  }
  const { judge } = config.analysis;
  if (judge.marginal > judge.pass) {
    errors.push({
      path: ['analysis', 'judge', 'marginal'],
      message: `must not exceed judge.pass (${judge.pass})`,
    });
  }

  return { errors, warnings };
}

/** Analysis refs (a strategy's `analysis:` fields) that name no metric of `analysis.metrics`. */
export function analysisRefProblems(
  config: KdeployConfig,
  refs: readonly { path: ConfigPath; ref: AnalysisRef | undefined }[],
): ConfigProblem[] {
  const metricNames = new Set(config.analysis.metrics.map((m) => m.name));
  return refs.flatMap(({ path, ref }) =>
    (ref?.metrics ?? []).flatMap((name, j) =>
      metricNames.has(name)
        ? []
        : [
            {
              path: [...path, 'metrics', j],
              message: `no metric named ${JSON.stringify(name)} in analysis.metrics; defined: ${[...metricNames].join(', ') || 'none'}`,
            },
          ],
    ),
  );
}
