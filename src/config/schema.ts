// The single flag schema: CLI flags, action.yml inputs and `/train key=value` all come from here.
// Names are snake_case as in the tutorial's train.py. The TypeScript types of parsed flags
// (`FlagsFor<scope>`, `TrainFlags`) are derived from this list, so a flag is declared once.

export type FlagType = 'int' | 'float' | 'bool' | 'string' | 'enum';
export type FlagScope = 'cli' | 'action' | 'chatops';

export interface FlagSpec {
  name: string;
  type: FlagType;
  default: string | number | boolean | undefined;
  help: string;
  min?: number;
  max?: number;
  /** Exclusive lower bound (e.g. learning_rate > 0). */
  gt?: number;
  choices?: readonly string[];
  /** Words an int/float flag also accepts (e.g. 'auto'); its parsed type is then number | word. */
  words?: readonly string[];
  /** A string flag's value must match this (anchored) pattern; `patternHelp` says what it allows. */
  pattern?: string;
  patternHelp?: string;
  /** Where the flag exists; all by default. `/train` never accepts paths or secrets. */
  scope?: { readonly cli?: boolean; readonly action?: boolean; readonly chatops?: boolean };
  group: 'data' | 'model' | 'training' | 'output' | 'runtime' | 'github';
}

/** Keeps each entry's literal types (name, type, choices, default) for the derived flag types. */
const f = <const S extends FlagSpec>(s: S): S => s;
const noChat = { cli: true, action: true, chatops: false } as const;
const actionOnly = { cli: false, action: true, chatops: false } as const;

export const FLAGS = [
  // data
  f({
    name: 'datastore',
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Dataset source: an http(s) URL (.zip, .tar.gz, .csv, .tsv, .jsonl), a local file or directory, or name[@version] of a cached datastore',
  }),
  f({
    name: 'datastore_version',
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Cache version of the datastore (default: a hash of the URL)',
  }),
  f({
    name: 'datastore_sha256',
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Expected sha256 of the downloaded datastore file, verified before extraction',
  }),
  f({
    name: 'datastore_refresh',
    type: 'enum',
    default: 'auto',
    choices: ['auto', 'always', 'never'],
    group: 'data',
    scope: noChat,
    help: 'Check a cached URL datastore for changes (ETag/Last-Modified, else sha256 of a fresh download) before training: auto = on schedule events in the action, never on the CLI',
  }),
  f({
    name: 'cache_dir',
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Cache directory for datastores and hub models (default: RUNNER_TOOL_CACHE in the action, ~/.cache/textclf on the CLI)',
  }),
  f({
    name: 'train_file',
    type: 'string',
    default: 'train.csv',
    group: 'data',
    scope: noChat,
    help: 'Training file (CSV, TSV or JSONL), relative to the datastore root',
  }),
  f({
    name: 'valid_file',
    type: 'string',
    default: 'valid.csv',
    group: 'data',
    scope: noChat,
    help: 'Validation file; empty to skip validation',
  }),
  f({
    name: 'test_file',
    type: 'string',
    default: 'test.csv',
    group: 'data',
    scope: noChat,
    help: 'Test file; empty to skip the final test',
  }),
  f({
    name: 'text_column',
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Text column (default: review, else text)',
  }),
  f({
    name: 'text_pair_column',
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Second text column for sentence-pair tasks',
  }),
  f({
    name: 'label_column',
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Label column (default: sentiment, else label)',
  }),
  f({
    name: 'max_length',
    type: 'int',
    default: 128,
    min: 8,
    max: 4096,
    group: 'data',
    help: 'Truncate tokenized inputs to this many tokens',
  }),
  f({
    name: 'padding',
    type: 'enum',
    default: 'longest',
    choices: ['longest', 'max_length'],
    group: 'data',
    help: 'Pad each batch to its longest sequence, or always to max_length',
  }),
  f({
    name: 'shuffle',
    type: 'bool',
    default: true,
    group: 'data',
    help: 'Shuffle and length-bucket training batches (false keeps file order)',
  }),
  // model
  f({
    name: 'model_name_or_path',
    type: 'string',
    default: 'bert-base-uncased',
    group: 'model',
    help: 'Hugging Face hub id or local model directory (config.json, model.safetensors, tokenizer.json or vocab.txt)',
  }),
  f({
    name: 'hub_url',
    type: 'string',
    default: undefined,
    group: 'model',
    scope: noChat,
    help: 'Hub host for model downloads (default: https://huggingface.co/, or HF_ENDPOINT)',
  }),
  f({
    name: 'dropout',
    type: 'float',
    default: undefined,
    min: 0,
    max: 0.95,
    group: 'model',
    help: "Override the config's dropout probabilities",
  }),
  f({
    name: 'resume_from',
    type: 'string',
    default: undefined,
    group: 'model',
    scope: noChat,
    help: 'Checkpoint directory to resume from (weights, optimizer state, step, epoch)',
  }),
  // training
  f({ name: 'max_epochs', type: 'int', default: 3, min: 1, max: 1000, group: 'training', help: 'Number of epochs' }),
  f({ name: 'batch_size', type: 'int', default: 16, min: 1, max: 4096, group: 'training', help: 'Examples per batch' }),
  f({
    name: 'learning_rate',
    type: 'float',
    default: 2e-5,
    gt: 0,
    max: 1,
    group: 'training',
    help: 'Peak learning rate (AdamW)',
  }),
  f({ name: 'adam_epsilon', type: 'float', default: 1e-8, gt: 0, max: 1, group: 'training', help: 'AdamW epsilon' }),
  f({
    name: 'weight_decay',
    type: 'float',
    default: 0.0,
    min: 0,
    max: 1,
    group: 'training',
    help: 'Decoupled weight decay (not applied to biases and LayerNorm weights)',
  }),
  f({
    name: 'warmup_steps',
    type: 'int',
    default: 0,
    min: 0,
    max: 10_000_000,
    group: 'training',
    help: 'Linear warmup steps, then linear decay to 0',
  }),
  f({
    name: 'max_grad_norm',
    type: 'float',
    default: 1.0,
    min: 0,
    max: 1e6,
    group: 'training',
    help: 'Clip the global gradient norm (0 disables)',
  }),
  f({
    name: 'accumulate_grad_batches',
    type: 'int',
    default: 1,
    min: 1,
    max: 1024,
    group: 'training',
    help: 'Batches per optimizer step',
  }),
  f({
    name: 'limit_train_batches',
    type: 'float',
    default: 1.0,
    gt: 0,
    max: 1e9,
    group: 'training',
    help: 'Fraction (<= 1.0) or number (> 1) of training batches per epoch',
  }),
  f({
    name: 'val_check_interval',
    type: 'float',
    default: 1.0,
    gt: 0,
    max: 1e9,
    group: 'training',
    help: 'Validate every fraction of an epoch (<= 1.0) or every N batches (> 1)',
  }),
  f({
    name: 'seed',
    type: 'int',
    default: 42,
    min: 0,
    max: 2 ** 31 - 1,
    group: 'training',
    help: 'Random seed (shuffling, dropout, classifier init)',
  }),
  f({
    name: 'steps_per_run',
    type: 'int',
    default: 'auto',
    words: ['auto'],
    min: 1,
    max: 256,
    group: 'runtime',
    help: 'Optimizer steps per ONNX Runtime call (K batches through one Scan): auto = as many as fit in a few seconds before the next validation or epoch end; an integer fixes K',
  }),
  // runtime
  f({
    name: 'gpus',
    type: 'int',
    default: 0,
    min: 0,
    max: 16,
    group: 'runtime',
    help: 'Number of CUDA GPUs (0 = CPU)',
  }),
  f({
    name: 'device',
    type: 'string',
    default: 'auto',
    pattern: 'auto|cpu|webgpu|cuda(:[0-9]+)?',
    patternHelp: 'auto, cpu, webgpu, cuda or cuda:N',
    group: 'runtime',
    scope: noChat,
    help: 'Where to train: auto (a GPU when gpus > 0: CUDA if its preflight passes, else WebGPU; otherwise the CPU), cpu, webgpu (any Vulkan/Metal/D3D12 GPU), cuda or cuda:N',
  }),
  f({
    name: 'precision',
    type: 'enum',
    default: '32',
    choices: ['32'],
    group: 'runtime',
    help: 'Floating point precision (32 only for now)',
  }),
  f({
    name: 'threads',
    type: 'int',
    default: 0,
    min: 0,
    max: 1024,
    group: 'runtime',
    scope: noChat,
    help: 'CPU threads for ONNX Runtime (0 = all cores)',
  }),
  // output
  f({
    name: 'output_dir',
    type: 'string',
    default: 'runs/textclf',
    group: 'output',
    scope: noChat,
    help: 'Directory for metrics.json, report.md and checkpoints',
  }),
  f({
    name: 'log_file',
    type: 'string',
    default: undefined,
    group: 'output',
    scope: noChat,
    help: 'Write one JSON line per optimizer step (step, epoch, loss, lr, grad_norm before clipping, samples_per_s)',
  }),
  f({
    name: 'predictions_file',
    type: 'string',
    default: undefined,
    group: 'output',
    scope: noChat,
    help: 'Write test predictions CSV (row, label, prediction, probabilities)',
  }),
  f({
    name: 'save_checkpoints',
    type: 'enum',
    default: 'all',
    choices: ['all', 'best', 'last'],
    group: 'output',
    help: 'Which epoch checkpoints to keep',
  }),
  // github (action only)
  f({
    name: 'github_token',
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Token for comments and artifacts',
  }),
  f({
    name: 'artifact_name',
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Artifact name (default: textclf-<run id>-<attempt>)',
  }),
  f({
    name: 'retention_days',
    type: 'int',
    default: undefined,
    min: 1,
    max: 400,
    group: 'github',
    scope: actionOnly,
    help: 'Artifact retention in days',
  }),
  f({
    name: 'allow_cpu_fallback',
    type: 'bool',
    default: false,
    group: 'github',
    scope: actionOnly,
    help: 'Train on CPU with a warning when gpus > 0 but CUDA is unusable',
  }),
  // github: PR comments, ChatOps, gates, sweeps (action only)
  f({
    name: 'comment',
    type: 'enum',
    default: 'auto',
    choices: ['auto', 'always', 'never'],
    group: 'github',
    scope: actionOnly,
    help: 'Sticky PR comment: auto (pull_request and /train runs), always (also find the PR of a push), never',
  }),
  f({
    name: 'allow_forks',
    type: 'bool',
    default: false,
    group: 'github',
    scope: actionOnly,
    help: 'Let /train run for pull requests from forks (untrusted code on your runner)',
  }),
  f({
    name: 'min_accuracy',
    type: 'float',
    default: undefined,
    min: 0,
    max: 1,
    group: 'github',
    scope: actionOnly,
    help: 'Quality gate: fail when the final accuracy (test, else last validation) is below this',
  }),
  f({
    name: 'fail_on_regression',
    type: 'float',
    default: undefined,
    min: 0,
    max: 1,
    group: 'github',
    scope: actionOnly,
    help: 'Quality gate: fail when accuracy or F1 drops more than this tolerance below the baseline: the default-branch run, or the previous scheduled run on schedule events (0 = any drop)',
  }),
  f({
    name: 'sweep',
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Hyperparameter sweep, e.g. learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]" (also uniform(a,b,n), loguniform(a,b,n), choice(a,b))',
  }),
  f({
    name: 'mode',
    type: 'enum',
    default: 'train',
    choices: ['train', 'chatops', 'plan', 'aggregate'],
    group: 'github',
    scope: actionOnly,
    help: 'train: train one model; chatops: only check a /train comment and output accepted, flags, head_sha; plan: output a sweep matrix for strategy.matrix; aggregate: compare the trials of a sweep (artifact_name is the trial prefix)',
  }),
] as const satisfies readonly FlagSpec[];

export function flagSpec(name: string): FlagSpec | undefined {
  return (FLAGS as readonly FlagSpec[]).find((s) => s.name === name);
}

export function flagsFor(scope: FlagScope): FlagSpec[] {
  return (FLAGS as readonly FlagSpec[]).filter((s) => s.scope?.[scope] ?? true);
}

type Spec = (typeof FLAGS)[number];
export type FlagName = Spec['name'];

/** The parsed value type of one flag: numbers, booleans, an enum's choices, or a string. */
export type FlagValueOf<S> = S extends { type: 'int' | 'float' }
  ? S extends { words: readonly (infer W)[] }
    ? number | W
    : number
  : S extends { type: 'bool' }
    ? boolean
    : S extends { type: 'enum'; choices: readonly (infer C)[] }
      ? C
      : string;

type InScope<S, Sc extends FlagScope> = S extends { scope: { readonly [K in Sc]: false } } ? never : S;

/** Flags as parsed for `scope`: every flag of that scope, `undefined` only where it has no default. */
export type FlagsFor<Sc extends FlagScope> = {
  [S in InScope<Spec, Sc> as S['name']]: S extends { default: undefined } ? FlagValueOf<S> | undefined : FlagValueOf<S>;
};

/** What training reads: the CLI's flags (the action's are a superset). */
export type TrainFlags = FlagsFor<'cli'>;
