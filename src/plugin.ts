// The plugin toolkit: `import { registerStrategy, awaitDeployment, … } from 'kdeploy/plugin'`. What a
// third-party strategy, router or metric provider needs, and nothing an app's pipeline does (that is the
// library entry, `kdeploy`). See README "Plugins". A plugin module's default (or `register`) export receives
// this module when kdeploy.yaml lists it under `plugins:`.

// The zod that validates kdeploy.yaml, for a plugin's config section: schemas from another copy of zod
// would mix two validators in one schema.
export * as z from 'zod';
export { awaitDeployment, newVersionTarget } from '../strategies/progressive.js';
export { applyDeployment, deploymentRef, releaseOf, stampedTemplate } from '../strategies/shared/objects.js';
export { type ProviderFactory, providers } from './analysis/registry.js';
export { analysisRefSchema } from './config/analysis-schema.js';
export { analysisRefProblems } from './config/checks.js';
export { duration } from './config/duration.js';
export type { ConfigPath } from './config/errors.js';
export { type RouterConfig, routerSchema } from './config/router-schema.js';
export type { KdeployConfig, StrategySectionSchemas } from './config/schema.js';
export type { CheckResult, ConfigProblem, ConfigSection } from './config/section.js';
export { LABELS } from './core/labels.js';
export type { Clock, MetricProvider, Router, RouterCapabilities, Weights } from './core/ports.js';
export type { ReleaseState, StrategyKind, VersionRef } from './core/release.js';
export { awaitRollout, type RolloutTarget } from './engine/rollout.js';
export {
  type Plan,
  registerStrategy,
  type Step,
  type StepContext,
  type StepEvent,
  StepFailure,
  type StepResult,
  type Strategy,
  strategies,
} from './engine/strategy.js';
export { statusOf } from './kube/errors.js';
export { type Manifest, renderManifests } from './manifests/render.js';
export { createRouter, type RouterDeps, type RouterFactory, registerRouter } from './traffic/registry.js';
