// One line of text per release event, shared by the plain renderer and the live view's log. Pure.
import type { ReleaseEvent } from '../core/release.js';

export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** A sentence for the event. */
export function describeEvent(e: ReleaseEvent): string {
  switch (e.type) {
    case 'release-started':
      // `from` is known once the first step has looked at the cluster; a new release doesn't know it yet.
      return `${e.resumed ? 'resuming' : 'starting'} ${e.strategy} release ${e.releaseId} of ${e.app}: ${e.from ? `${e.from.version} → ` : 'to '}${e.to.version} (${e.steps.length} steps)`;
    case 'step-started':
      return `${e.rollback ? 'rollback ' : ''}step ${e.index + 1}/${e.total} ${e.step}`;
    case 'step-completed':
      return `${e.rollback ? 'rollback ' : ''}step ${e.index + 1}/${e.total} ${e.step} done in ${formatElapsed(e.durationMs)}`;
    case 'pods':
      return `pods ${e.version}: ${e.ready}/${e.desired} ready, ${e.updated} updated, ${e.available} available, ${e.total} total`;
    case 'weight':
      return `weight: canary ${e.canary}%, stable ${e.stable}%${e.verified ? ' (verified)' : ''}`;
    case 'measurement':
      return `measurement ${e.metric}: [${e.values.join(', ')}] ${e.verdict}`;
    case 'failure-diagnosed':
      return `failure: ${e.diagnosis.reason}: ${e.diagnosis.message}`;
    case 'rollback-started':
      return `rolling back: ${e.reason}`;
    case 'paused':
      return `paused: ${e.reason}`;
    case 'suspended':
      return `suspended (${e.reason}); continue with kdeploy resume ${e.app}`;
    case 'completed':
      return `completed: ${e.app} runs ${e.version} (${formatElapsed(e.durationMs)})`;
    case 'failed':
      return `failed and rolled back to ${e.version || '(nothing)'}: ${e.reason}`;
    case 'aborted':
      return `aborted and rolled back to ${e.version || '(nothing)'}: ${e.reason}`;
    case 'lock-taken-over':
      return `took over the lock from ${e.previousHolder} (expired ${formatElapsed(e.expiredAgoMs)} ago)`;
    case 'lock-waiting':
      return `waiting ${formatElapsed(e.waitMs)} for the lock held by ${e.holder}`;
    case 'info':
      return e.message;
  }
}
