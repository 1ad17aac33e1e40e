// Defaulting and validation the apiserver applies on create/update, for the fields kdeploy and the
// controllers rely on. Defaults matter beyond looks: the pod-template-hash is computed over the defaulted
// template, and a client comparing templates sees the defaulted form, as against a real cluster.
import { type FieldError, invalid } from './errors.js';
import { canonical } from './json.js';
import type { ResourceType } from './resources.js';
import { fromLabelSelector, matchesLabels } from './selectors.js';
import type { KubeObject } from './store.js';

// biome-ignore lint/suspicious/noExplicitAny: pod specs are open-ended JSON.
type Any = any;

function imagePullPolicy(image: string): string {
  const ref = image.split('@')[0]!;
  const last = ref.split('/').pop()!;
  const tag = last.includes(':') ? last.split(':').pop() : undefined;
  return !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
}

function defaultContainer(c: Any): void {
  c.imagePullPolicy ??= imagePullPolicy(String(c.image ?? ''));
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
}

export function defaultPodSpec(spec: Any): void {
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) defaultContainer(c);
}

function defaultWorkload(obj: KubeObject, deployment: boolean): void {
  obj.spec ??= {};
  const spec = obj.spec;
  spec.replicas ??= 1;
  spec.template ??= {};
  spec.template.metadata ??= {};
  spec.template.spec ??= {};
  defaultPodSpec(spec.template.spec);
  if (!deployment) return;
  spec.revisionHistoryLimit ??= 10;
  spec.progressDeadlineSeconds ??= 600;
  spec.strategy ??= {};
  spec.strategy.type ??= 'RollingUpdate';
  if (spec.strategy.type === 'RollingUpdate') {
    spec.strategy.rollingUpdate ??= {};
    spec.strategy.rollingUpdate.maxSurge ??= '25%';
    spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
  }
}

/** Fills in what the apiserver defaults on create. `status` starts as the API leaves it. */
export function applyDefaults(rt: ResourceType, obj: KubeObject, allocateClusterIp: () => string): void {
  switch (rt.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      defaultWorkload(obj, rt.kind === 'Deployment');
      obj.status ??= {};
      break;
    case 'Pod':
      obj.spec ??= {};
      defaultPodSpec(obj.spec);
      obj.status ??= { phase: 'Pending', qosClass: qosClass(obj.spec) };
      break;
    case 'Service': {
      obj.spec ??= {};
      const spec = obj.spec;
      spec.type ??= 'ClusterIP';
      spec.sessionAffinity ??= 'None';
      if (spec.clusterIP !== 'None') {
        spec.clusterIP ??= allocateClusterIp();
        spec.clusterIPs ??= [spec.clusterIP];
      }
      spec.ipFamilies ??= ['IPv4'];
      spec.ipFamilyPolicy ??= 'SingleStack';
      spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of spec.ports ?? []) {
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      obj.status ??= { loadBalancer: {} };
      break;
    }
    case 'Namespace':
      obj.metadata.labels = { ...obj.metadata.labels, 'kubernetes.io/metadata.name': obj.metadata.name };
      obj.spec ??= { finalizers: ['kubernetes'] };
      obj.status = { phase: 'Active' };
      break;
    case 'Ingress':
      obj.status ??= { loadBalancer: {} };
      break;
  }
}

function qosClass(spec: Any): string {
  const containers: Any[] = spec.containers ?? [];
  const has = containers.some(
    (c) => Object.keys(c.resources?.requests ?? {}).length || Object.keys(c.resources?.limits ?? {}).length,
  );
  if (!has) return 'BestEffort';
  const guaranteed = containers.every((c) =>
    ['cpu', 'memory'].every(
      (r) =>
        c.resources?.limits?.[r] &&
        (c.resources?.requests?.[r] ?? c.resources.limits[r]) === c.resources.limits[r],
    ),
  );
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function validateMeta(obj: KubeObject, errors: FieldError[]): void {
  const name = obj.metadata.name;
  if (!name)
    errors.push({
      field: 'metadata.name',
      message: 'Required value: name or generateName is required',
      reason: 'FieldValueRequired',
    });
  else if (name.length > 253 || !DNS1123_SUBDOMAIN.test(name)) {
    errors.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  for (const [k, v] of Object.entries(obj.metadata.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v)) {
      errors.push({
        field: `metadata.labels`,
        message: `Invalid value: "${v}": a valid label value for "${k}" must be 63 characters or less, alphanumeric, '-', '_' or '.'`,
      });
    }
  }
}

function validateContainers(containers: unknown, path: string, errors: FieldError[]): void {
  if (!Array.isArray(containers) || containers.length === 0) {
    errors.push({ field: path, message: 'Required value', reason: 'FieldValueRequired' });
    return;
  }
  containers.forEach((c: Any, i) => {
    if (!c?.name)
      errors.push({ field: `${path}[${i}].name`, message: 'Required value', reason: 'FieldValueRequired' });
    if (!c?.image)
      errors.push({ field: `${path}[${i}].image`, message: 'Required value', reason: 'FieldValueRequired' });
  });
}

function isZero(v: unknown): boolean {
  return v === 0 || v === '0' || v === '0%';
}

function validateWorkload(obj: KubeObject, old: KubeObject | undefined, errors: FieldError[]): void {
  const spec = obj.spec ?? {};
  if (typeof spec.replicas !== 'number' || spec.replicas < 0 || !Number.isInteger(spec.replicas)) {
    errors.push({
      field: 'spec.replicas',
      message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`,
    });
  }
  const selector = spec.selector;
  if (
    !selector ||
    (!Object.keys(selector.matchLabels ?? {}).length && !(selector.matchExpressions ?? []).length)
  ) {
    errors.push({ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' });
  } else if (!matchesLabels(fromLabelSelector(selector), spec.template?.metadata?.labels)) {
    errors.push({
      field: 'spec.template.metadata.labels',
      message: `Invalid value: ${JSON.stringify(spec.template?.metadata?.labels ?? {})}: \`selector\` does not match template \`labels\``,
    });
  }
  if (old && canonical(old.spec?.selector) !== canonical(selector)) {
    errors.push({
      field: 'spec.selector',
      message: `Invalid value: ${JSON.stringify(selector)}: field is immutable`,
    });
  }
  validateContainers(spec.template?.spec?.containers, 'spec.template.spec.containers', errors);
  const ru = spec.strategy?.rollingUpdate;
  if (ru && isZero(ru.maxSurge) && isZero(ru.maxUnavailable)) {
    errors.push({
      field: 'spec.strategy.rollingUpdate.maxUnavailable',
      message: 'Invalid value: 0: may not be 0 when `maxSurge` is 0',
    });
  }
  for (const f of ['maxSurge', 'maxUnavailable'] as const) {
    const v = ru?.[f];
    if (
      v !== undefined &&
      !(typeof v === 'number' && v >= 0) &&
      !(typeof v === 'string' && /^\d+%$/.test(v))
    ) {
      errors.push({
        field: `spec.strategy.rollingUpdate.${f}`,
        message: `Invalid value: ${JSON.stringify(v)}: must be a non-negative integer or a percentage such as "25%"`,
      });
    }
  }
}

/** Throws 422 Invalid naming every bad field. `old` is the stored object on update. */
export function validate(rt: ResourceType, obj: KubeObject, old?: KubeObject): void {
  const errors: FieldError[] = [];
  validateMeta(obj, errors);
  switch (rt.kind) {
    case 'Deployment':
    case 'ReplicaSet':
      validateWorkload(obj, old, errors);
      break;
    case 'Pod':
      validateContainers(obj.spec?.containers, 'spec.containers', errors);
      break;
    case 'Service':
      if (obj.spec?.type !== 'ExternalName' && !(obj.spec?.ports ?? []).length) {
        errors.push({ field: 'spec.ports', message: 'Required value', reason: 'FieldValueRequired' });
      }
      (obj.spec?.ports ?? []).forEach((p: Any, i: number) => {
        if (!(Number.isInteger(p.port) && p.port >= 1 && p.port <= 65535)) {
          errors.push({
            field: `spec.ports[${i}].port`,
            message: `Invalid value: ${JSON.stringify(p.port)}: must be between 1 and 65535, inclusive`,
          });
        }
      });
      break;
  }
  if (errors.length) throw invalid(rt.kind, rt.group, obj.metadata.name ?? '', errors);
}
