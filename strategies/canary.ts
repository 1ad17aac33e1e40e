// The canary strategy: the stable Deployment `<app>` keeps serving the old version while a canary
// Deployment `<app>-canary` runs the new one; the configured steps (setWeight, pause, analysis) shift
// traffic to it through the router. Promotion moves the stable Deployment to the new version, shifts all
// traffic back to stable and removes the canary; an abort or a failure sets the canary's weight to 0 first,
// then removes it.
//
// Router `replicas` (default): weight = pod ratio behind the one Service (canary/split.ts decides the pods).
// Other routers split traffic themselves: the canary is sized to its share of the load (rounded up, at
// least one pod) before it gets the traffic, and stable keeps all its replicas until promotion. They point
// at two side Services, `<app>-stable` (kdeploy.dev/role=stable) and `<app>-canary`: the app's Service
// selects the canary pods too and would lean the split toward the canary. A stable Deployment kdeploy did
// not create lacks the role label; the first such release adds it to the pod template, which restarts the
// stable pods once (a rolling update, before the router is pointed at `<app>-stable`).
//
// Baseline (`strategy.canary.baseline: true`, Kayenta's practice): a Deployment `<app>-baseline` runs the
// stable version's pod template, created with the canary and scaled with it to the canary's replica count,
// so the canary judge compares two populations of the same age and size (no warm-cache or long-uptime bias
// of the stable pods). Its pods are labelled kdeploy.dev/track=baseline (the canary's track=canary) and
// version = the stable version; metrics tell them apart by the track. They carry role=stable, so they serve
// like stable pods: with `replicas` the app's Service selects them beside stable and canary (they are extra
// endpoints, so the canary's real share is canary / (replicas + canary), a little below the pod-ratio
// weight reported); behind alb/route53 the `<app>-stable` Service (role=stable) includes them, so they get
// the stable side's weight, never the canary's. The record says the baseline exists before it is created,
// and removing the canary removes it too (promotion, rollback, abort, and a resumed crashed release).
//
// An app with no stable Deployment yet has nothing to compare a canary with: its first release creates
// the stable Deployment at the new version and skips the steps (as Argo does for a new Rollout).
//
// Crash safety: what the cluster looked like is saved before anything changes, every template this release
// writes carries its id (kdeploy.dev/release), and each step checks the cluster before acting.

import type { Plan, Strategy } from '../src/engine/strategy.js';
import { promoteStable, removeCanary, shiftToStable } from './canary/finish.js';
import { canaryServices, planManifests, routerConfig, splitsItself } from './canary/manifests.js';
import { abortWeight, restoreStable } from './canary/rollback.js';
import {
  adopt,
  createBaseline,
  createCanary,
  createStable,
  ensureStableService,
  labelStable,
} from './canary/setup.js';
import { trafficStep } from './canary/traffic.js';
import { canarySection } from './config/canary.js';

export const canary: Strategy = {
  name: 'canary',
  configSection: canarySection,
  plan(config, release): Plan {
    return {
      steps: [
        adopt,
        ensureStableService,
        createStable,
        ...(splitsItself(config) ? [labelStable] : []),
        createCanary,
        ...(config.strategy.canary.baseline ? [createBaseline] : []),
        ...config.strategy.canary.steps.map(trafficStep),
        promoteStable,
        shiftToStable,
        removeCanary,
      ],
      rollback: [restoreStable, abortWeight, removeCanary],
      preview: {
        manifests: () => planManifests(config, release.to),
        router: { config: routerConfig(config), deps: { services: canaryServices(config) } },
      },
    };
  },
};
