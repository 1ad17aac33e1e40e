// The kdeploy library API: `import { release, resume, abort, rollback, status } from 'kdeploy'`. See README "Library API".
export { ConfigError, type ConfigIssue, formatIssue } from './config/errors.js';
export { type LoadedConfig, type LoadOptions, loadConfig, parseConfig } from './config/load.js';
export type { KdeployConfig, KdeployConfigInput, StrategyName } from './config/schema.js';
export { RealClock, VirtualClock } from './core/clock.js';
export { ExitCode } from './core/exit-codes.js';
export type { Clock, MetricProvider, Router } from './core/ports.js';
export type {
  Diagnosis,
  Outcome,
  ReleaseEvent,
  ReleaseState,
  StrategyKind,
  VersionRef,
} from './core/release.js';
export {
  type AppOptions,
  abort,
  type ConnectionOptions,
  KdeployError,
  type PodSummary,
  type ReleaseOptions,
  type ReleaseResult,
  ReleaseRun,
  type RunOptions,
  release,
  resume,
  rollback,
  type StatusReport,
  status,
  watchStatus,
} from './engine/api.js';
export {
  type Plan,
  registerStrategy,
  type Step,
  type StepContext,
  StepFailure,
  type Strategy,
} from './engine/strategy.js';
export { type Manifest, type RenderOptions, renderManifests, renderYaml } from './manifests/render.js';
export type { Variant } from './manifests/view.js';
