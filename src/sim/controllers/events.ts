// core/v1 Events, recorded the way client-go's recorder does it: one Event per (object, type, reason,
// message), repeated occurrences bump `count` and `lastTimestamp` instead of adding rows — which is what
// `kubectl describe` and `kdeploy status` show as "x5 over 2m".
import type { SimApi } from '../api.js';
import { resourceByName } from '../resources.js';
import type { KubeObject } from '../store.js';

export type EventKind = 'Normal' | 'Warning';

export class EventRecorder {
  private readonly names = new Map<string, string>();
  private seq = 0;

  constructor(
    private readonly api: SimApi,
    private readonly now: () => number,
  ) {}

  record(
    involved: KubeObject,
    type: EventKind,
    reason: string,
    message: string,
    component: string,
    host?: string,
  ): void {
    const events = resourceByName('events');
    const ns = involved.metadata.namespace ?? 'default';
    const key = `${involved.metadata.uid}|${type}|${reason}|${message}`;
    const ts = this.api.now();
    const existing = this.names.get(key);
    const current = existing ? this.api.find(events, ns, existing) : undefined;
    if (current) {
      this.api.update(events, ns, current.metadata.name, {
        ...current,
        count: (current.count ?? 1) + 1,
        lastTimestamp: ts,
      });
      return;
    }
    // Real event names are `<object>.<unix nanoseconds in hex>`; the sequence keeps them unique per instant.
    const name = `${involved.metadata.name}.${(BigInt(this.now()) * 1_000_000n + BigInt(this.seq++)).toString(16)}`;
    this.names.set(key, name);
    this.api.create(events, ns, {
      metadata: { name, namespace: ns },
      involvedObject: {
        kind: involved.kind,
        namespace: involved.metadata.namespace,
        name: involved.metadata.name,
        uid: involved.metadata.uid,
        apiVersion: involved.apiVersion,
        resourceVersion: involved.metadata.resourceVersion,
      },
      reason,
      message,
      source: { component, ...(host ? { host } : {}) },
      firstTimestamp: ts,
      lastTimestamp: ts,
      count: 1,
      type,
      eventTime: null,
      reportingComponent: component,
      reportingInstance: host ?? '',
    });
  }
}
