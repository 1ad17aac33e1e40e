// Objects shared by the e2e tests. Images are never pulled (KWOK fakes the kubelet); their tags select KWOK
// failure stages (crash*, unready*), see test/testbed/fixtures/kwok-stages.yaml.
import type { V1Deployment, V1DeploymentCondition, V1Service } from '@kubernetes/client-node';

export function deployment(
  name: string,
  image: string,
  opts: { replicas?: number; progressDeadlineSeconds?: number; podLabels?: Record<string, string> } = {},
): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: opts.replicas ?? 3,
      progressDeadlineSeconds: opts.progressDeadlineSeconds ?? 60,
      selector: { matchLabels: { app: name } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: name, ...opts.podLabels } },
        spec: { containers: [{ name: 'app', image, ports: [{ containerPort: 8080 }] }] },
      },
    },
  };
}

export function service(name: string): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name },
    spec: { selector: { app: name }, ports: [{ port: 80, targetPort: 8080 }] },
  };
}

export function condition(d: V1Deployment, type: string): V1DeploymentCondition | undefined {
  return d.status?.conditions?.find((c) => c.type === type);
}
