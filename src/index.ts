// The kdeploy library API: `import { release, resume, abort, rollback, status } from 'kdeploy'`. See README "Library API".
// A composition root: importing it registers the built-in strategies.
import { registerBuiltinStrategies } from '../strategies/index.js';

registerBuiltinStrategies();

export { ConfigError, type ConfigIssue, formatIssue } from './config/errors.js';
export { type LoadedConfig, type LoadOptions, loadConfig, parseConfig } from './config/load.js';
export type { KdeployConfig, KdeployConfigInput } from './config/schema.js';
export type { ConfigSection } from './config/section.js';
export { RealClock, VirtualClock } from './core/clock.js';
export { ExitCode } from './core/exit-codes.js';
export type { Clock, MetricProvider, Router } from './core/ports.js';
export type {
  Diagnosis,
  Outcome,
  ReleaseEvent,
  ReleaseState,
  StrategyKind,
  /** @deprecated a strategy name is any registered one: StrategyKind. */
  StrategyKind as StrategyName,
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
  strategies,
  strategySections,
} from './engine/strategy.js';
export { type Manifest, type RenderOptions, renderManifests, renderYaml } from './manifests/render.js';
export type { Variant } from './manifests/view.js';
