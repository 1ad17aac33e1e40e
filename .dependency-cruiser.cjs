// Layering (DESIGN.md §Layers): core ← config ← kube, manifests, analysis, traffic, aws, sim ← engine ←
// strategies ← front ends (cli, action, lambda, index, plugin), with views shared by the front ends.
// Imports only point down; type-only imports count too.
const lower = (from, allowed) => ({
  name: `${from}-imports-down-only`,
  severity: 'error',
  from: { path: `^src/${from}/` },
  to: { path: '^(src|strategies|lambda)/', pathNot: `^src/(${[from, ...allowed].join('|')})/` },
});
module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', from: {}, to: { circular: true } },
    lower('core', []),
    lower('aws', ['core']),
    lower('config', ['core']),
    lower('kube', ['core', 'config', 'aws']),
    lower('manifests', ['core', 'config']),
    lower('analysis', ['core', 'config', 'kube', 'aws']),
    lower('traffic', ['core', 'config', 'kube', 'manifests', 'aws']),
    lower('sim', ['core', 'config']),
    lower('engine', ['core', 'config', 'kube', 'manifests', 'analysis', 'traffic', 'aws']),
    lower('views', ['core', 'config', 'engine']),
    {
      name: 'strategies-below-front-ends',
      severity: 'error',
      from: { path: '^strategies/' },
      to: { path: '^(src/(cli|action|index|plugin|views|sim)|lambda/)' },
    },
    {
      name: 'front-ends-independent',
      severity: 'error',
      from: { path: '^(src/(action)|lambda)/' },
      to: { path: '^src/cli/' },
    },
  ],
  options: {
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    doNotFollow: { path: 'node_modules' },
  },
};
