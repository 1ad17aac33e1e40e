// The one rule for how a canary weight becomes pods, used by the running setWeight step and by its
// description in `kdeploy plan`.
import { canaryPodsForWeight, splitForWeight, weightOf } from '../../src/traffic/weights.js';

export interface CanarySplit {
  stable: number;
  canary: number;
  /** The canary's real share of the traffic. */
  achieved: number;
  /** The router splits by pod ratio (it scales both sides itself). */
  byPodRatio: boolean;
}

/** Router `replicas` splits by pod ratio behind the one Service; every other router splits traffic itself. */
export const splitsByPodRatio = (routerName: string) => routerName === 'replicas';

/**
 * Router `replicas`: the weight is the pod ratio behind the one Service (rounding in src/traffic/weights.ts).
 * A router that splits traffic itself gets the weight asked; the canary is sized to its share (rounded up,
 * at least one pod) and stable keeps all its replicas until promotion.
 */
export function canarySplit(routerName: string, replicas: number, weight: number): CanarySplit {
  if (splitsByPodRatio(routerName)) {
    const split = splitForWeight(replicas, weight);
    return { ...split, achieved: weightOf(split), byPodRatio: true };
  }
  return {
    stable: replicas,
    canary: canaryPodsForWeight(replicas, weight),
    achieved: weight,
    byPodRatio: false,
  };
}
