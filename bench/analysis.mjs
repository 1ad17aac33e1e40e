// What analysis costs in-process, as ratios to a baseline measured in the same run:
//   1. decision latency: from the failing measurement's provider call returning to runAnalysis settling,
//      against a bare promise hand-off (the least any async code can take);
//   2. a CEL condition per measurement, against the same test as a plain JavaScript closure;
//   3. the Mann-Whitney judge on two samples, against sorting the same numbers once (the test's floor).
//   node bench/analysis.mjs        (RUNS=200 by default)
import { performance } from 'node:perf_hooks';
import { loadSources, median } from './load-sources.mjs';

const RUNS = Number(process.env.RUNS ?? 200);
const { ProviderRegistry, runAnalysis, evaluateCondition, judgeMetric } = await loadSources('analysis', {
  'src/analysis/index.ts': ['ProviderRegistry', 'runAnalysis', 'evaluateCondition', 'judgeMetric'],
});

const fmt = (ms) => (ms < 1 ? `${(ms * 1000).toFixed(1)} µs` : `${ms.toFixed(2)} ms`);
function report(name, ours, base, baseName) {
  console.log(
    `${name.padEnd(34)} ${fmt(ours).padStart(10)}   ${baseName.padEnd(28)} ${fmt(base).padStart(10)}   ratio ${(ours / base).toFixed(1)}×`,
  );
}

// 1. Decision latency. The provider records when it hands back the failing reading; the verdict's time is
// taken when runAnalysis settles. Measurements are immediate (count 1, no delay), so nothing else waits.
{
  const clock = { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
  let returnedAt = 0;
  const provider = {
    name: 'bench',
    async measure() {
      returnedAt = performance.now();
      return { values: [0.5], at: Date.now() };
    },
  };
  const providers = new ProviderRegistry().register('bench', async () => ({ provider, query: 'q' }));
  const metrics = [
    {
      name: 'error-rate',
      provider: { bench: {} },
      interval: 1000,
      count: 1,
      successCondition: 'result < 0.05',
      failureLimit: 0,
      inconclusiveLimit: 0,
      consecutiveErrorLimit: 4,
    },
  ];
  const vars = { app: 'a', namespace: 'n', stableVersion: 'v1', canaryVersion: 'v2' };
  const ours = [];
  const base = [];
  for (let i = 0; i < RUNS; i++) {
    const state = await runAnalysis({ metrics, providers, vars, clock });
    ours.push(performance.now() - returnedAt);
    if (state.verdict !== 'failed') throw new Error(`expected failed, got ${state.verdict}`);
    const t = performance.now();
    await new Promise((resolve) => queueMicrotask(resolve)).then(() => undefined);
    base.push(performance.now() - t);
  }
  report('failing reading → verdict', median(ours), median(base), 'bare promise hand-off');
}

// 2. Conditions.
{
  const N = RUNS * 100;
  const values = [0.01, 0.2, 0.03];
  const js = (v) => v[0] < 0.05 && v.every((x) => x < 1);
  evaluateCondition('result < 0.05 && results.all(x, x < 1)', values); // compile once, as a run does
  let t = performance.now();
  for (let i = 0; i < N; i++) evaluateCondition('result < 0.05 && results.all(x, x < 1)', values);
  const ours = (performance.now() - t) / N;
  t = performance.now();
  let sink = 0;
  for (let i = 0; i < N; i++) sink += js(values) ? 1 : 0;
  const base = (performance.now() - t) / N;
  if (sink < 0) console.log(sink);
  report('CEL condition, per measurement', ours, base, 'JS closure');
}

// 3. Judge.
for (const n of [100, 1000, 10000]) {
  const canary = Array.from({ length: n }, (_, i) => 200 + ((i * 7919) % 97));
  const baseline = Array.from({ length: n }, (_, i) => 190 + ((i * 104729) % 101));
  const config = { direction: 'increase', tolerance: 0.1, critical: false, mustHaveData: false, weight: 1 };
  const reps = Math.max(3, Math.round((RUNS * 100) / n));
  const ours = [];
  const base = [];
  for (let i = 0; i < reps; i++) {
    let t = performance.now();
    judgeMetric({ name: 'latency', canary, baseline, config });
    ours.push(performance.now() - t);
    t = performance.now();
    [...canary, ...baseline].sort((a, b) => a - b);
    base.push(performance.now() - t);
  }
  report(`judge, 2 × ${n} samples`, median(ours), median(base), 'one sort of the samples');
}
