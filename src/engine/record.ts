// The release record: the current release and the last N finished ones, persisted in a ConfigMap
// `kdeploy-<app>` in the app's namespace. Every change is a read-modify-write guarded by resourceVersion, so
// two processes (a running release and `kdeploy abort`) can write it at once without losing either change.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { KdeployConfig } from '../config/schema.js';
import type { Cluster } from '../core/cluster.js';
import type { RecordStore } from '../core/ports.js';
import type { ReleaseRecord, ReleaseState, StrategyKind } from '../core/release.js';
export const recordName = (app: string) => `kdeploy-${app}`;
const EMPTY: ReleaseRecord = { current: null, history: [] };

/** Starts `next` as the current release; the previous one (finished) moves to the history. */
export function startRelease(record: ReleaseRecord, next: ReleaseState, historyLimit: number): ReleaseRecord {
  const history = record.current ? [record.current, ...record.history] : record.history;
  return { current: next, history: history.slice(0, historyLimit) };
}

/** Applies a change to the current release, stamping updatedAt. */
export function patchCurrent(
  record: ReleaseRecord,
  patch: Partial<ReleaseState>,
  now: number,
): ReleaseRecord {
  if (!record.current) throw new Error('the release record has no current release');
  return { ...record, current: { ...record.current, ...patch, updatedAt: new Date(now).toISOString() } };
}

/** For unit tests and `simulate`: the same semantics in memory. */
export class InMemoryRecordStore implements RecordStore {
  private record: ReleaseRecord = EMPTY;
  private readonly listeners = new Set<(r: ReleaseRecord) => void>();

  async read(): Promise<ReleaseRecord> {
    return structuredClone(this.record);
  }

  async update(change: (record: ReleaseRecord) => ReleaseRecord | undefined): Promise<ReleaseRecord> {
    const next = change(structuredClone(this.record));
    if (!next) return structuredClone(this.record);
    this.record = structuredClone(next);
    for (const l of this.listeners) l(structuredClone(this.record));
    return structuredClone(this.record);
  }

  async watch(onChange: (record: ReleaseRecord) => void, signal: AbortSignal): Promise<void> {
    if (signal.aborted) return;
    this.listeners.add(onChange);
    onChange(structuredClone(this.record));
    await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    this.listeners.delete(onChange);
  }
}

interface ConfigMap extends KubernetesObject {
  data?: Record<string, string>;
}

/** Parses the ConfigMap's data; a record edited by hand into something unreadable is an error that says where. */
export function parseRecord(cm: ConfigMap | undefined): ReleaseRecord {
  if (!cm?.data) return structuredClone(EMPTY);
  try {
    return {
      current: cm.data.current ? (JSON.parse(cm.data.current) as ReleaseState) : null,
      history: cm.data.history ? (JSON.parse(cm.data.history) as ReleaseState[]) : [],
    };
  } catch (err) {
    throw new Error(
      `the release record ConfigMap ${cm.metadata?.namespace}/${cm.metadata?.name} is not valid JSON (${(err as Error).message}); fix or delete it`,
    );
  }
}

function serialize(record: ReleaseRecord): Record<string, string> {
  return { current: JSON.stringify(record.current), history: JSON.stringify(record.history) };
}

/** The release record in the cluster. */
export class ConfigMapRecordStore implements RecordStore {
  private readonly ref;

  constructor(
    private readonly cluster: Cluster,
    readonly app: string,
    readonly namespace: string,
  ) {
    this.ref = { apiVersion: 'v1', kind: 'ConfigMap', name: recordName(app), namespace };
  }

  async read(): Promise<ReleaseRecord> {
    return parseRecord(await this.cluster.get<ConfigMap>(this.ref));
  }

  async update(change: (record: ReleaseRecord) => ReleaseRecord | undefined): Promise<ReleaseRecord> {
    for (;;) {
      const existing = await this.cluster.mutate<ConfigMap>(this.ref, (cm) => {
        const next = change(parseRecord(cm));
        return next ? { ...cm, data: serialize(next) } : undefined;
      });
      if (existing) return parseRecord(existing);
      // No record yet: create it; if another process created it first (409), go round and update theirs.
      const next = change(structuredClone(EMPTY));
      if (!next) return structuredClone(EMPTY);
      try {
        const created = await this.cluster.create<ConfigMap>({
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: {
            name: this.ref.name,
            namespace: this.namespace,
            labels: { 'app.kubernetes.io/managed-by': 'kdeploy', 'kdeploy.dev/app': this.app },
          },
          data: serialize(next),
        });
        return parseRecord(created);
      } catch (err) {
        if ((err as { status?: number }).status !== 409) throw err;
      }
    }
  }

  async watch(onChange: (record: ReleaseRecord) => void, signal: AbortSignal): Promise<void> {
    await this.cluster.watch<ConfigMap>(
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        namespace: this.namespace,
        fieldSelector: `metadata.name=${this.ref.name}`,
      },
      (event) => {
        if (event.type === 'SYNC') onChange(parseRecord(event.objects[0]));
        else onChange(parseRecord(event.type === 'DELETED' ? undefined : event.object));
      },
      signal,
    );
  }
}

/** The record entry for a new release; `config` is kept so resume/abort/rollback need no kdeploy.yaml. */
export function newRelease(
  config: KdeployConfig,
  strategy: StrategyKind,
  to: { version: string; image: string },
  id: string,
  now: number,
  kind: ReleaseState['kind'],
): ReleaseState {
  const at = new Date(now).toISOString();
  return {
    id,
    app: config.app,
    namespace: config.namespace,
    strategy,
    kind,
    from: null,
    to,
    phase: 'running',
    step: 0,
    stepState: 'pending',
    steps: [],
    rollbackSteps: [],
    startedAt: at,
    updatedAt: at,
    requests: {},
    measurements: [],
    data: {},
    config,
  };
}
