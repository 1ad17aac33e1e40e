// The operations every front end calls: release, resume, abort, promote, pause, rollback, status. Each one
// validates its input before touching the cluster, takes the app's lock, runs the reconciler and gives back a
// typed result; the CLI, the library, the Lambda and the GitHub Action only translate to and from these.
// Each operation lives in its own file under operations/; this is the one place front ends import them from.

export { KdeployError } from '../core/errors.js';
export { abort } from './operations/abort.js';
export type { AppOptions, ConnectionOptions, ReleaseOptions, RunOptions } from './operations/options.js';
export { release } from './operations/release.js';
export { type PromoteOptions, pause, promote } from './operations/request.js';
export { resume } from './operations/resume.js';
export { rollback, rollbackTarget } from './operations/rollback.js';
export { type ReleaseResult, ReleaseRun } from './operations/run.js';
export { type PodSummary, type StatusReport, status, watchStatus } from './operations/status.js';
