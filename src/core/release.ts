// The release record's shapes and the engine's events. These are persisted as JSON in the cluster (release
// record) and printed with `-o ndjson`, so fields are only ever added, never renamed.
import type { AnalysisRunState } from './analysis.js';
import type { Weights } from './ports.js';

/** A registered strategy's name (the built-ins: rolling, bluegreen, canary); see engine/strategy.ts. */
export type StrategyKind = string;

/** A version of the app: the `kdeploy.dev/version` label value and the full image reference. */
export interface VersionRef {
  version: string;
  image: string;
}

/**
 * running: walking the plan's steps · rolling-back: walking the rollback steps · paused: waiting for promote ·
 * completed | failed | aborted: terminal.
 */
export type Phase = 'running' | 'rolling-back' | 'paused' | 'completed' | 'failed' | 'aborted';
export type TerminalPhase = 'completed' | 'failed' | 'aborted';

export const isTerminal = (phase: Phase): phase is TerminalPhase =>
  phase === 'completed' || phase === 'failed' || phase === 'aborted';

/** A pod failure, classified (see diagnose.ts). */
export interface Diagnosis {
  reason:
    | 'CrashLoopBackOff'
    | 'ImagePullBackOff'
    | 'ErrImagePull'
    | 'InvalidImageName'
    | 'CreateContainerConfigError'
    | 'Unschedulable'
    | 'OOMKilled'
    | 'ReadinessFailing'
    | 'ProgressDeadlineExceeded'
    | 'TemplateReplaced';
  /** One human sentence: what failed and why, with the scheduler's or kubelet's own words. */
  message: string;
  pod?: string;
  container?: string;
  /** The failing container's last log lines, when it has logs. */
  logs?: string[];
  /** When the pod status first showed the failure (ms since epoch), where the status says so. */
  since?: number;
}

/** Requests other processes leave in the record for the process running the release. */
export interface ReleaseRequests {
  abort?: { at: string; by: string };
  promote?: { at: string; by: string; full?: boolean };
  /** Hold the release at its current step (or the next step boundary) until promote. */
  pause?: { at: string; by: string };
}

export interface MeasurementRecord {
  metric: string;
  at: string;
  values: number[];
  verdict: string;
  /** Why: the condition that decided, or the provider's error. */
  message?: string;
}

/**
 * The analysis runs of one step, by what runs them (`background analysis`, `analysis of step 2`), saved after
 * every measurement so a resumed step continues their counts rather than starting over (a crash must not reset
 * a flapping metric's failures). A later step starts fresh.
 */
export interface AnalysisProgress {
  step: number;
  runs: Record<string, AnalysisRunState>;
}

export interface ReleaseState {
  id: string;
  app: string;
  namespace: string;
  strategy: StrategyKind;
  /** `rollback` releases go back to an earlier successful version (`kdeploy rollback`). */
  kind: 'release' | 'rollback';
  /** Null until the first step has observed the cluster; `version: ''` when there was nothing to adopt. */
  from: VersionRef | null;
  to: VersionRef;
  phase: Phase;
  /** Index into `steps` (running/paused) or `rollbackSteps` (rolling-back). */
  step: number;
  /** `started` is recorded before a step acts (the intent); re-running a started step is safe. */
  stepState: 'pending' | 'started';
  steps: string[];
  rollbackSteps: string[];
  startedAt: string;
  updatedAt: string;
  stepStartedAt?: string;
  finishedAt?: string;
  /** The end the release is heading to: set to failed/aborted when the rollback starts, final once terminal. */
  outcome?: TerminalPhase;
  /** Why the release failed or was aborted (set when the rollback starts). */
  reason?: string;
  diagnosis?: Diagnosis;
  weights?: Weights;
  requests: ReleaseRequests;
  /** The latest measurements, a few per metric, oldest first. */
  measurements: MeasurementRecord[];
  analysis?: AnalysisProgress;
  /** Strategy-owned state that must survive a crash (e.g. the previous pod template). */
  data: Record<string, unknown>;
  /** The lock holder that last worked on this release. */
  holder?: string;
  /** The validated config the release started with, so `resume` and `abort` need no kdeploy.yaml. */
  config?: unknown;
}

export interface ReleaseRecord {
  current: ReleaseState | null;
  /** Finished releases before `current`, newest first, at most `historyLimit`. */
  history: ReleaseState[];
}

export type Outcome = 'completed' | 'failed' | 'aborted' | 'paused' | 'suspended';

interface EventBase {
  at: number;
  releaseId?: string;
  app: string;
}

export type ReleaseEvent = EventBase &
  (
    | {
        type: 'release-started';
        strategy: StrategyKind;
        from: VersionRef | null;
        to: VersionRef;
        steps: string[];
        resumed: boolean;
      }
    | { type: 'step-started'; index: number; step: string; total: number; rollback: boolean }
    | {
        type: 'step-completed';
        index: number;
        step: string;
        total: number;
        rollback: boolean;
        durationMs: number;
      }
    | {
        type: 'pods';
        version: string;
        ready: number;
        desired: number;
        updated: number;
        available: number;
        total: number;
      }
    | { type: 'weight'; canary: number; stable: number; verified: boolean }
    | { type: 'measurement'; metric: string; values: number[]; verdict: string }
    | { type: 'failure-diagnosed'; diagnosis: Diagnosis }
    | { type: 'rollback-started'; reason: string; aborted: boolean }
    | { type: 'paused'; reason: string }
    | { type: 'suspended'; reason: string }
    | { type: 'completed'; version: string; durationMs: number }
    | { type: 'failed'; reason: string; version: string }
    | { type: 'aborted'; reason: string; version: string }
    | { type: 'lock-taken-over'; previousHolder: string; expiredAgoMs: number }
    | { type: 'lock-waiting'; holder: string; waitMs: number }
    | { type: 'info'; message: string }
  );

export type ReleaseEventType = ReleaseEvent['type'];
