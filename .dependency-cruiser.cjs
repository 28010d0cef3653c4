// The architecture, checked: `npm run lint` runs `depcruise src` with these rules.
// Each top-level folder of src/ may import only the folders listed for it (so the folders form
// layers and cannot import each other in a circle), no file may take part in an import cycle, and
// the engine core (onnx, autodiff, optim, util) imports nothing of the application.
/** folder -> the other src/ folders it may import. */
const LAYERS = {
  util: [],
  onnx: ['util'],
  autodiff: ['onnx', 'util'],
  optim: ['onnx', 'util'],
  runtime: ['onnx', 'util'],
  engine: ['autodiff', 'onnx', 'optim', 'runtime', 'util'],
  config: ['util'],
  data: ['util'],
  metrics: ['data', 'util'],
  net: ['util'],
  datastore: ['net', 'util'],
  hub: ['util'],
  tokenizer: ['data', 'util'],
  models: ['data', 'engine', 'net', 'onnx', 'optim', 'tokenizer', 'util'],
  report: ['data', 'metrics', 'util'],
  demo: ['data', 'models', 'onnx', 'tokenizer', 'util'],
  train: [
    'config',
    'data',
    'datastore',
    'engine',
    'hub',
    'metrics',
    'models',
    'onnx',
    'optim',
    'report',
    'runtime',
    'tokenizer',
    'util',
  ],
  github: ['config', 'data', 'metrics', 'report', 'runtime', 'util'],
  cli: [
    'config',
    'data',
    'datastore',
    'demo',
    'engine',
    'metrics',
    'models',
    'report',
    'runtime',
    'tokenizer',
    'train',
    'util',
  ],
  action: ['config', 'data', 'github', 'metrics', 'report', 'runtime', 'train', 'util'],
};

const folders = Object.keys(LAYERS);
const layerRules = folders.map((f) => {
  const denied = folders.filter((o) => o !== f && !LAYERS[f].includes(o));
  return {
    name: `layer-${f}`,
    comment: `src/${f}/ may import only ${LAYERS[f].join(', ') || 'nothing else in src/'} (see LAYERS in .dependency-cruiser.cjs and ARCHITECTURE.md)`,
    severity: 'error',
    from: { path: `^src/${f}/` },
    to: { path: `^src/(${denied.join('|')})/` },
  };
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No file may be part of an import cycle (type-only imports count too).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'known-folder',
      comment:
        'Every file of src/ lives in one of the folders LAYERS lists (add a new folder there, with its allowed imports).',
      severity: 'error',
      from: { path: `^src/(?!(${folders.join('|')})/)` },
      to: {},
    },
    {
      name: 'no-test-code-in-src',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|scripts)/' },
    },
    ...layerRules,
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '^(dist|node_modules)/' },
  },
};
