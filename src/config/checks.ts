import type { AnalysisRef } from './analysis-schema.js';
import type { ConfigPath } from './errors.js';
import type { KdeployConfig } from './schema.js';

// Rules that span several fields, which the schema alone can't express. Pure: config in, problems out.

export interface CrossCheckResult {
  errors: { path: ConfigPath; message: string }[];
  warnings: { path: ConfigPath; message: string }[];
}

function duplicates<T>(items: readonly T[], key: (t: T) => string | number): number[] {
  const seen = new Set<string | number>();
  return items.flatMap((item, i) => {
    const k = key(item);
    if (seen.has(k)) return [i];
    seen.add(k);
    return [];
  });
}

/** Every place a strategy refers to analysis metrics by name. */
function analysisRefs(config: KdeployConfig): { path: ConfigPath; ref: AnalysisRef }[] {
  const { rolling, bluegreen, canary } = config.strategy;
  const refs: { path: ConfigPath; ref: AnalysisRef | undefined }[] = [
    { path: ['strategy', 'rolling', 'analysis'], ref: rolling.analysis },
    { path: ['strategy', 'bluegreen', 'prePromotionAnalysis'], ref: bluegreen.prePromotionAnalysis },
    { path: ['strategy', 'bluegreen', 'postPromotionAnalysis'], ref: bluegreen.postPromotionAnalysis },
    { path: ['strategy', 'canary', 'analysis'], ref: canary.analysis },
    ...canary.steps.map((step, i) => ({
      path: ['strategy', 'canary', 'steps', i, 'analysis'],
      ref: 'analysis' in step ? step.analysis : undefined,
    })),
  ];
  return refs.filter((r): r is { path: ConfigPath; ref: AnalysisRef } => r.ref !== undefined);
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

function checkMetadataMaps(config: KdeployConfig, errors: CrossCheckResult['errors']): void {
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

export function crossCheck(config: KdeployConfig): CrossCheckResult {
  const errors: CrossCheckResult['errors'] = [];
  const warnings: CrossCheckResult['warnings'] = [];

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
  const metricNames = new Set(metrics.map((m) => m.name));
  for (const { path, ref } of analysisRefs(config)) {
    ref.metrics.forEach((name, j) => {
      if (!metricNames.has(name)) {
        errors.push({
          path: [...path, 'metrics', j],
          message: `no metric named ${JSON.stringify(name)} in analysis.metrics; defined: ${[...metricNames].join(', ') || 'none'}`,
        });
      }
    });
  }
  const { judge } = config.analysis;
  if (judge.marginal > judge.pass) {
    errors.push({
      path: ['analysis', 'judge', 'marginal'],
      message: `must not exceed judge.pass (${judge.pass})`,
    });
  }

  // A selector flip has no partial weights and pod ratios can't make two colors: each router fits one strategy.
  if (config.strategy.canary.router?.type === 'service') {
    errors.push({
      path: ['strategy', 'canary', 'router', 'type'],
      message:
        'the service router only flips all traffic (blue/green); a canary needs replicas, alb, alb-ingress or route53',
    });
  }
  if (config.strategy.bluegreen.router?.type === 'replicas') {
    errors.push({
      path: ['strategy', 'bluegreen', 'router', 'type'],
      message:
        'the replicas router splits by pod ratio (canary only); blue/green needs service, alb, alb-ingress or route53',
    });
  }

  let last = 0;
  config.strategy.canary.steps.forEach((step, i) => {
    if (!('setWeight' in step)) return;
    if (step.setWeight < last) {
      warnings.push({
        path: ['strategy', 'canary', 'steps', i, 'setWeight'],
        message: `lowers the canary weight from ${last} to ${step.setWeight}; intended?`,
      });
    }
    last = step.setWeight;
  });
  return { errors, warnings };
}
