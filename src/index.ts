// The kdeploy library API: `import { release, resume, abort, rollback, status } from 'kdeploy'`. See README "Library API".
export { ConfigError, type ConfigIssue, formatIssue } from './config/errors.js';
export { type LoadedConfig, type LoadOptions, loadConfig, parseConfig } from './config/load.js';
export type { KdeployConfig, KdeployConfigInput, StrategyName } from './config/schema.js';
export { ExitCode } from './engine/exit-codes.js';
export { type Manifest, type RenderOptions, renderManifests, renderYaml } from './manifests/render.js';
export type { Variant } from './manifests/view.js';
export {
  abort,
  type AppOptions,
  type ConnectionOptions,
  KdeployError,
  type PodSummary,
  release,
  type ReleaseOptions,
  type ReleaseResult,
  ReleaseRun,
  resume,
  rollback,
  type RunOptions,
  status,
  type StatusReport,
  watchStatus,
} from './engine/api.js';
export { RealClock, VirtualClock } from './engine/clock.js';
export type { Clock, MetricProvider, Router } from './engine/ports.js';
export { type Plan, registerStrategy, type Step, type StepContext, StepFailure, type Strategy } from './engine/strategy.js';
export type { Diagnosis, Outcome, ReleaseEvent, ReleaseState, StrategyKind, VersionRef } from './engine/types.js';
