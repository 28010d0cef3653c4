// The single flag schema: CLI flags, action.yml inputs and `/train key=value` all come from here.
// Names are snake_case as in the tutorial's train.py. The TypeScript types of parsed flags
// (`FlagsFor<scope>`, `TrainFlags`) are derived from this list, so a flag is declared once.

/** `batches`: Lightning's int-vs-float rule — an integer is a number of batches, a decimal a fraction. */
export type FlagType = 'int' | 'float' | 'bool' | 'string' | 'enum' | 'batches';
export type FlagScope = 'cli' | 'action' | 'chatops';
/**
 * `textclf <command>` (in the action: `mode`); a flag belongs to train only unless it says
 * otherwise. `provision` fills a tool cache (in the action, the bootstrap reads its flags); `bench`
 * measures a model shape's training speed (CLI only).
 */
export type Command = 'train' | 'predict' | 'evaluate' | 'provision' | 'bench';
export const COMMANDS: readonly Command[] = ['train', 'predict', 'evaluate', 'provision', 'bench'];

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
  /** Other spellings of an enum's choices (Lightning 1.x's precision=16): parsed as the choice they name. */
  choiceAliases?: Readonly<Record<string, string>>;
  /** Words an int/float/bool flag also accepts (e.g. 'auto'); its parsed type is then number | word (boolean | word). */
  words?: readonly string[];
  /** A string flag's value must match this (anchored) pattern; `patternHelp` says what it allows. */
  pattern?: string;
  patternHelp?: string;
  /** Where the flag exists; all by default. `/train` never accepts paths or secrets. */
  scope?: { readonly cli?: boolean; readonly action?: boolean; readonly chatops?: boolean };
  /** Commands that read the flag (default: train only). */
  commands?: readonly Command[];
  /** Other spellings (Lightning's Trainer flags): parsed as this flag; giving both is an error. */
  aliases?: readonly string[];
  /** Accepted for train.py compatibility but without effect here: a run that sets it says so once. */
  noEffect?: string;
  /**
   * An output path, checked before any work: a folder, or a file (with a name to suggest inside a
   * folder given by mistake).
   */
  writes?: 'folder' | { file: string };
  /** An empty value is kept and means "none" (valid_file '' skips validation), instead of "not given". */
  emptyMeansNone?: true;
  /** Commands for which the flag has no default: unset means the trained checkpoint's value. */
  checkpointDefault?: readonly Command[];
  /** A command's own default, where it differs from `default` (bench's steps_per_run). */
  commandDefault?: Readonly<Partial<Record<Command, string | number | boolean>>>;
  /** A command's own help, where the flag means something else there (`textclf bench --help`). */
  commandHelp?: Readonly<Partial<Record<Command, string>>>;
  /** CLI only: may be given several times (the command reads every value). */
  repeatable?: boolean;
  group: 'data' | 'model' | 'training' | 'output' | 'runtime' | 'github' | 'compat';
}

/** Keeps each entry's literal types (name, type, choices, default) for the derived flag types. */
const f = <const S extends FlagSpec>(s: S): S => s;
const noChat = { cli: true, action: true, chatops: false } as const;
const actionOnly = { cli: false, action: true, chatops: false } as const;
const cliOnly = { cli: true, action: false, chatops: false } as const;
/** Flags that scoring a trained model (textclf predict / evaluate) reads as training does. */
const allCommands = ['train', 'predict', 'evaluate'] as const;

export const FLAGS = [
  // data
  f({
    name: 'datastore',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Dataset source: an http(s) URL (.zip, .tar.gz, .csv, .tsv, .jsonl, .parquet), a local file or directory, name[@version] of a cached datastore, or a Hugging Face dataset hf://datasets/OWNER/NAME[@REVISION] (its train/validation/test splits; HF_TOKEN for private ones)',
  }),
  f({
    name: 'dataset_config',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: "hf:// datastores: the dataset's config (subset), e.g. sst2 of nyu-mll/glue (default: the card's default config, else the only one)",
  }),
  f({
    name: 'datastore_version',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Cache version of the datastore (default: a hash of the URL)',
  }),
  f({
    name: 'datastore_sha256',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    scope: noChat,
    help: 'Expected sha256 of the downloaded datastore file, verified before extraction',
  }),
  f({
    name: 'datastore_refresh',
    commands: allCommands,
    type: 'enum',
    default: 'auto',
    choices: ['auto', 'always', 'never'],
    group: 'data',
    scope: noChat,
    help: 'Check a cached URL datastore for changes (ETag/Last-Modified, else sha256 of a fresh download) before training: auto = on schedule events in the action, never on the CLI',
  }),
  f({
    name: 'download_timeout',
    type: 'int',
    default: 30,
    min: 0,
    max: 86_400,
    group: 'data',
    scope: noChat,
    help: 'Seconds a download (datastore, hub model) may go without receiving data (connecting, waiting for the answer, or a pause mid-file) before that attempt fails; 0 = no limit',
  }),
  f({
    name: 'download_time_limit',
    type: 'int',
    default: 1800,
    min: 0,
    max: 86_400,
    group: 'data',
    scope: noChat,
    help: 'Seconds one download (a datastore, a hub model file) may take in all, its retries and the waits between them included, before it fails; 0 = no limit',
  }),
  f({
    name: 'cache_dir',
    commands: allCommands,
    writes: 'folder',
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
    help: "Training file (CSV, TSV or JSONL), relative to the datastore root; the tutorial's /datastores/<name>/... and /opt/datastore/... paths map into the datastore",
  }),
  f({
    name: 'valid_file',
    emptyMeansNone: true,
    type: 'string',
    default: 'valid.csv',
    group: 'data',
    scope: noChat,
    help: 'Validation file; empty to skip validation',
  }),
  f({
    name: 'test_file',
    emptyMeansNone: true,
    type: 'string',
    default: 'test.csv',
    group: 'data',
    scope: noChat,
    help: 'Test file; empty to skip the final test',
  }),
  f({
    name: 'text_column',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Text column (default: review, else text)',
  }),
  f({
    name: 'text_pair_column',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Second text column for sentence-pair tasks',
  }),
  f({
    name: 'label_column',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'data',
    help: 'Label column (default: sentiment, else label; multi-label: labels first); multi-label: one column of labels split by label_separator, or several 0/1 columns given as a,b,c',
  }),
  f({
    name: 'max_length',
    commands: allCommands,
    type: 'int',
    default: 128,
    checkpointDefault: ['predict', 'evaluate'],
    min: 8,
    max: 4096,
    group: 'data',
    help: "Truncate tokenized inputs to this many tokens (train: default 128; predict/evaluate: default the checkpoint's)",
  }),
  f({
    name: 'problem_type',
    type: 'enum',
    default: 'single_label_classification',
    choices: ['single_label_classification', 'multi_label_classification'],
    group: 'data',
    help: "One label per text (softmax cross-entropy), or any number of labels per text (sigmoid per label, BCE-with-logits); Hugging Face's names, written to config.json",
  }),
  f({
    name: 'label_separator',
    type: 'string',
    default: '|',
    commands: allCommands,
    group: 'data',
    help: 'Multi-label: separates the labels of one row in the label column (an empty cell: no label)',
  }),
  f({
    name: 'padding',
    commands: allCommands,
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
    commands: allCommands,
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
    aliases: ['resume_from_checkpoint'],
    type: 'string',
    default: undefined,
    group: 'model',
    scope: noChat,
    help: "Checkpoint directory to resume from (weights, optimizer state, step, epoch), or last: the checkpoint under output_dir with the most training steps (an error when there is none); the run's history (report, metrics, TensorBoard) continues from it. Alias --resume_from_checkpoint",
  }),
  // training
  f({
    name: 'max_epochs',
    type: 'int',
    default: 3,
    min: 1,
    max: 1000,
    group: 'training',
    help: 'Number of epochs (max_steps > 0 overrides it)',
  }),
  f({
    name: 'max_steps',
    type: 'int',
    default: -1,
    min: -1,
    max: 100_000_000,
    group: 'training',
    help: 'Stop after this many optimizer steps, overriding max_epochs (as Hugging Face and Lightning do); -1 = off',
  }),
  f({
    name: 'batch_size',
    commands: allCommands,
    type: 'int',
    default: 16,
    min: 1,
    max: 4096,
    group: 'training',
    help: 'Examples per batch',
  }),
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
    help: 'Warmup steps (lr rises linearly from 0); overrides warmup_ratio when > 0',
  }),
  f({
    name: 'warmup_ratio',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    group: 'training',
    help: 'Warmup as a fraction of all optimizer steps (rounded up, as Hugging Face does)',
  }),
  f({
    name: 'lr_scheduler',
    type: 'enum',
    default: 'linear',
    choices: ['linear', 'cosine', 'constant', 'constant_with_warmup'],
    group: 'training',
    help: 'Learning-rate schedule after warmup (Hugging Face get_*_schedule_with_warmup): linear or cosine decay to 0, or constant',
  }),
  f({
    name: 'max_grad_norm',
    aliases: ['gradient_clip_val'],
    type: 'float',
    default: 1.0,
    min: 0,
    max: 1e6,
    group: 'training',
    help: "Clip the global gradient norm (0 disables). Alias --gradient_clip_val; note Lightning's default is no clipping, ours is 1.0 (as Hugging Face's)",
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
    type: 'batches',
    default: '1.0',
    group: 'training',
    help: 'Training batches per epoch: an integer is a number of batches (1 = one batch), a decimal a fraction of the epoch (1.0 = all), as in Lightning',
  }),
  f({
    name: 'limit_val_batches',
    type: 'batches',
    default: '1.0',
    group: 'training',
    help: 'Validation batches per evaluation: an integer is a number of batches, a decimal a fraction (1.0 = all)',
  }),
  f({
    name: 'limit_test_batches',
    type: 'batches',
    default: '1.0',
    group: 'training',
    help: 'Test batches: an integer is a number of batches, a decimal a fraction (1.0 = all)',
  }),
  f({
    name: 'val_check_interval',
    type: 'batches',
    default: '1.0',
    group: 'training',
    help: 'Validate every N training batches (an integer) or every fraction of an epoch (a decimal; 1.0 = at the end of each epoch), as in Lightning',
  }),
  f({
    name: 'monitor',
    type: 'enum',
    default: 'val_loss',
    choices: ['val_loss', 'val_accuracy', 'val_f1'],
    group: 'training',
    help: 'Validation metric that picks the best epoch (and that early stopping watches); loss is minimised, accuracy and F1 maximised',
  }),
  f({
    name: 'test_on',
    type: 'enum',
    default: 'best',
    choices: ['best', 'last'],
    group: 'training',
    help: 'Which epoch becomes checkpoints/final, the test metrics, predictions and outputs: the best by monitor (when there is validation) or the last',
  }),
  f({
    name: 'early_stopping_patience',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000,
    group: 'training',
    help: 'Stop after this many epochs in a row without improvement of monitor (0 = off)',
  }),
  f({
    name: 'early_stopping_min_delta',
    type: 'float',
    default: 0,
    min: 0,
    max: 1e6,
    group: 'training',
    help: 'Smallest change of monitor that counts as an improvement for early stopping',
  }),
  f({
    name: 'class_weights',
    type: 'string',
    default: 'none',
    pattern: 'none|balanced|[0-9]*\\.?[0-9]+(e[-+]?[0-9]+)?(,[0-9]*\\.?[0-9]+(e[-+]?[0-9]+)?)+',
    patternHelp: 'none, balanced, or one weight per label in label order, e.g. 1,3.5',
    group: 'training',
    help: "Weighted loss: balanced = n / (labels x count) per label from the training split (sklearn's rule; multi-label: negatives/positives as BCE pos_weight), or w1,w2,... in label order",
  }),
  f({
    name: 'label_smoothing',
    type: 'float',
    default: 0,
    min: 0,
    max: 1,
    group: 'training',
    help: 'Label smoothing of the targets (as torch CrossEntropyLoss; multi-label: y(1-x) + x/2)',
  }),
  f({
    name: 'threshold',
    type: 'float',
    default: 0.5,
    min: 0,
    max: 1,
    commands: allCommands,
    group: 'training',
    help: 'Multi-label: a label is predicted when its sigmoid probability is >= this',
  }),
  f({
    name: 'fast_dev_run',
    type: 'int',
    default: 'false',
    words: ['true', 'false'],
    min: 0,
    max: 100_000,
    group: 'training',
    help: "Check the whole pipeline quickly, as Lightning's fast_dev_run: true (or 1) = one epoch of one training, one validation and one test batch; an integer N = N batches of each; false (or 0) = off",
  }),
  f({
    name: 'seed',
    commands: ['train', 'bench'],
    type: 'int',
    default: 42,
    min: 0,
    max: 2 ** 31 - 1,
    group: 'training',
    help: 'Random seed (shuffling, dropout, classifier init)',
    commandHelp: { bench: 'Random seed of the weights and tokens' },
  }),
  f({
    name: 'steps_per_run',
    commands: ['train', 'bench'],
    type: 'int',
    default: 'auto',
    commandDefault: { bench: 1 },
    words: ['auto'],
    min: 1,
    max: 256,
    group: 'runtime',
    help: 'Optimizer steps per ONNX Runtime call (K batches through one Scan): auto = as many as fit in a few seconds before the next validation or epoch end; an integer fixes K',
    commandHelp: { bench: 'Optimizer steps per ONNX Runtime call (K batches through one Scan); an integer' },
  }),
  // runtime
  f({
    name: 'gpus',
    commands: allCommands,
    type: 'int',
    default: 0,
    min: 0,
    max: 16,
    group: 'runtime',
    help: 'GPUs to train on with device auto: 0 = the CPU; 1 or more = an NVIDIA GPU through CUDA when its checks pass, else a GPU through WebGPU, else an error (or the CPU with allow_cpu_fallback). Training uses one GPU',
  }),
  f({
    name: 'device',
    commands: [...allCommands, 'bench'],
    type: 'string',
    default: 'auto',
    pattern: 'auto|cpu|webgpu|cuda(:[0-9]+)?',
    patternHelp: 'auto, cpu, webgpu, cuda or cuda:N',
    group: 'runtime',
    scope: noChat,
    help: 'Where to train: auto (a GPU when gpus > 0: CUDA if its preflight passes, else WebGPU; otherwise the CPU), cpu, webgpu (any Vulkan/Metal/D3D12 GPU), cuda or cuda:N',
    commandHelp: {
      bench:
        'Where to measure: auto (the best device this machine has: a GPU when one works, else the CPU), cpu, webgpu, cuda or cuda:N',
    },
  }),
  f({
    name: 'precision',
    commands: ['train', 'bench'],
    type: 'enum',
    default: '32',
    choices: ['32', '16-mixed', 'bf16-mixed'],
    choiceAliases: { '16': '16-mixed', bf16: 'bf16-mixed', '32-true': '32' },
    group: 'runtime',
    help: 'Floating point precision: 32, or mixed precision with dynamic loss scaling (float32 master weights and optimizer state): 16-mixed (WebGPU with shader-f16, CUDA) or bf16-mixed (CUDA, compute capability 8.0+); 16 and bf16 are accepted as in Lightning 1.x',
  }),
  f({
    name: 'init_loss_scale',
    type: 'float',
    default: 65536,
    gt: 0,
    max: 1e30,
    group: 'runtime',
    help: "Mixed precision: the loss scale dynamic loss scaling starts from (torch GradScaler's init_scale); it halves at each step whose gradients overflow (the step is skipped) and doubles after 2000 finite steps",
  }),
  f({
    name: 'threads',
    commands: [...allCommands, 'bench'],
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
    aliases: ['default_root_dir'],
    writes: 'folder',
    type: 'string',
    default: 'runs/textclf',
    group: 'output',
    scope: noChat,
    help: 'Directory for metrics.json, report.md and checkpoints; one run per directory. Alias --default_root_dir',
  }),
  f({
    name: 'overwrite_output_dir',
    type: 'bool',
    default: false,
    group: 'output',
    scope: noChat,
    help: "Train into an output_dir that holds another run's results (they are removed first); without it such a directory is refused",
  }),
  f({
    name: 'model',
    type: 'string',
    default: undefined,
    commands: ['predict', 'evaluate'],
    group: 'model',
    scope: noChat,
    help: 'predict/evaluate: the trained model: a checkpoint directory (e.g. runs/x/checkpoints/final) or hub id; in the action also artifact:NAME[/PATH] (an artifact of this workflow run)',
  }),
  f({
    name: 'input',
    type: 'string',
    default: undefined,
    commands: ['predict', 'evaluate'],
    group: 'data',
    scope: noChat,
    help: 'predict/evaluate: the CSV, TSV, JSONL or Parquet file to score (relative to the datastore when one is given); - reads CSV or JSONL from stdin',
  }),
  f({
    name: 'text',
    type: 'string',
    default: undefined,
    commands: ['predict'],
    repeatable: true,
    group: 'data',
    scope: { cli: true, action: false, chatops: false },
    help: 'predict: a text to score (repeat the flag for several); the predictions go to stdout as JSON lines',
  }),
  f({
    name: 'dtype',
    type: 'enum',
    default: 'fp32',
    choices: ['fp32', 'q8', 'fp16'],
    commands: ['predict', 'evaluate'],
    group: 'model',
    scope: noChat,
    help: "predict/evaluate: score with the checkpoint's onnx/model.onnx as trained (fp32), or its int8-quantized onnx/model_quantized.onnx (q8) or float16 onnx/model_fp16.onnx (fp16) export, as transformers.js loads them",
  }),
  f({
    name: 'output',
    writes: { file: 'predictions.csv' },
    type: 'string',
    default: undefined,
    commands: ['predict', 'evaluate'],
    group: 'output',
    scope: noChat,
    help: 'predict: the predictions file, .csv/.tsv/.jsonl, or - for JSON lines on stdout (default predictions.csv; with --text or --input -: stdout); evaluate: also write the metrics as JSON here',
  }),
  f({
    name: 'log_file',
    writes: { file: 'steps.jsonl' },
    type: 'string',
    default: undefined,
    group: 'output',
    scope: noChat,
    help: 'Write one JSON line per optimizer step (step, epoch, loss, lr, grad_norm before clipping, samples_per_s)',
  }),
  f({
    name: 'predictions_file',
    writes: { file: 'predictions.csv' },
    type: 'string',
    default: undefined,
    group: 'output',
    scope: noChat,
    help: 'Write test predictions CSV (row, label (the given one), predicted_label, probabilities)',
  }),
  f({
    name: 'export_dtypes',
    type: 'string',
    default: 'fp32,q8',
    pattern: '(fp32|q8|fp16)(,(fp32|q8|fp16))*',
    patternHelp: 'a comma-separated list of fp32, q8, fp16 (e.g. fp32,q8)',
    group: 'output',
    help: "ONNX exports in each checkpoint's onnx/ (what transformers.js loads by dtype): fp32 model.onnx, q8 model_quantized.onnx (int8 weights of MatMul/Gemm and embeddings, dynamic quantization as ONNX Runtime's), fp16 model_fp16.onnx",
  }),
  f({
    name: 'save_checkpoints',
    type: 'enum',
    default: 'all',
    choices: ['all', 'best', 'last'],
    group: 'output',
    help: 'Which epoch checkpoints to keep',
  }),
  // Hugging Face Hub: pushing the model (HF Trainer's push_to_hub, hub_model_id, hub_private_repo, hub_strategy)
  f({
    name: 'push_to_hub',
    type: 'bool',
    words: ['always'],
    default: false,
    group: 'output',
    scope: noChat,
    help: "Push the final model (config.json, model.safetensors, tokenizer files, onnx/) with a model card (README.md) to the Hugging Face Hub; the token comes from HF_TOKEN (in the action: hub_token). The action pushes only on push, schedule and workflow_dispatch events of the default branch, or on any event with 'always', and never for pull requests from forks",
  }),
  f({
    name: 'hub_model_id',
    type: 'string',
    default: undefined,
    pattern: '[A-Za-z0-9][A-Za-z0-9_.-]{0,95}(/[A-Za-z0-9][A-Za-z0-9_.-]{0,95})?',
    patternHelp: "a Hub repo id: owner/name, or name for a repo of the token's account (letters, digits, - _ .)",
    group: 'output',
    scope: noChat,
    help: "The Hub repo to push to: owner/name, or name (under the token's account); default: output_dir's name under the token's account. Created when missing",
  }),
  f({
    name: 'hub_private_repo',
    type: 'bool',
    default: false,
    group: 'output',
    scope: noChat,
    help: 'Create the Hub repo as private (an existing public repo is refused, not published to)',
  }),
  f({
    name: 'hub_strategy',
    type: 'enum',
    default: 'every_save',
    choices: ['end', 'every_save', 'checkpoint'],
    group: 'output',
    scope: noChat,
    help: 'As in HF Trainer: end = the final model and card at the end; every_save = also the model of each saved epoch checkpoint, in the background (one push at a time: a save while one is in flight is not pushed); checkpoint = like every_save, plus the whole checkpoint under last-checkpoint/ so a run can resume from the Hub',
  }),
  f({
    name: 'hub_timeout',
    type: 'float',
    default: 60,
    min: 0,
    max: 86_400,
    group: 'output',
    scope: noChat,
    help: 'Seconds a Hub request may go without progress (nothing sent or received) before the push fails; 0 = no limit',
  }),
  f({
    name: 'hub_token',
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Hugging Face token with write access for push_to_hub, from a secret (e.g. secrets.HF_TOKEN); default: the HF_TOKEN environment variable. Masked in the log, written nowhere',
  }),
  // compat: train.py / Lightning flags without an effect here
  f({
    name: 'num_workers',
    type: 'int',
    default: undefined,
    min: 0,
    max: 1024,
    group: 'compat',
    scope: noChat,
    noEffect: 'data is tokenized once up front, there are no loader workers',
    help: 'Accepted for train.py compatibility; no effect (data is tokenized once up front)',
  }),
  f({
    name: 'use_fast',
    type: 'bool',
    default: undefined,
    group: 'compat',
    scope: noChat,
    noEffect: 'the tokenizer is always the fast one (tokenizer.json)',
    help: 'Accepted for train.py compatibility; no effect (the tokenizer is always the fast one)',
  }),
  f({
    name: 'truncation',
    type: 'bool',
    default: undefined,
    group: 'compat',
    scope: noChat,
    noEffect: 'inputs are always truncated to max_length',
    help: 'Accepted for train.py compatibility; no effect (inputs are always truncated to max_length)',
  }),
  // github (action only)
  f({
    name: 'github_token',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Token for comments and artifacts',
  }),
  f({
    name: 'artifact_name',
    commands: allCommands,
    type: 'string',
    default: undefined,
    group: 'github',
    scope: actionOnly,
    help: 'Artifact name (default: textclf-<run id>-<attempt>)',
  }),
  f({
    name: 'retention_days',
    commands: allCommands,
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
    commands: allCommands,
    type: 'bool',
    default: false,
    group: 'runtime',
    scope: noChat,
    help: 'When the requested GPU (CUDA or WebGPU) cannot run, train on the CPU with a warning instead of failing',
  }),
  // provisioning onnxruntime-node and its CUDA provider (textclf provision; the action's bootstrap)
  f({
    name: 'cuda_build',
    commands: ['provision'],
    type: 'enum',
    default: 'auto',
    choices: ['auto', '12', '13'],
    group: 'runtime',
    scope: noChat,
    help: "Which CUDA build of ONNX Runtime's CUDA provider to provision: auto (12 when a GPU the run uses has compute capability below 7.5, e.g. V100, or a driver older than 580.65.06, which CUDA 13 needs; else 13), 12 or 13",
  }),
  f({
    name: 'cuda_provider_url',
    commands: ['provision'],
    type: 'string',
    default: undefined,
    group: 'runtime',
    scope: noChat,
    help: "Where the CUDA provider comes from instead of its default source (NuGet's for 13, ORT's onnxruntime-cuda-12 feed for 12): a NuGet v3 service index (a mirror's .../v3/index.json) or a .nupkg URL ending in Microsoft.ML.OnnxRuntime.Gpu.Linux.<version>.nupkg",
  }),
  f({
    name: 'cuda_provider_dir',
    commands: ['provision'],
    type: 'string',
    default: undefined,
    group: 'runtime',
    scope: noChat,
    help: 'A directory with the unpacked CUDA provider libraries (libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so) to verify and use instead of downloading them',
  }),
  f({
    name: 'npm_registry',
    commands: ['provision'],
    type: 'string',
    default: undefined,
    group: 'runtime',
    scope: noChat,
    help: "npm registry for onnxruntime-node when neither the action nor the tool cache has it (default: NPM_CONFIG_REGISTRY, else npm's public registry; a private mirror reads its token from the NPM_TOKEN env)",
  }),
  f({
    name: 'dir',
    commands: ['provision'],
    type: 'string',
    default: undefined,
    group: 'runtime',
    scope: { cli: true, action: false, chatops: false },
    help: 'textclf provision: the tool-cache directory to fill (default: RUNNER_TOOL_CACHE)',
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
    commands: ['train', 'evaluate'],
    group: 'github',
    scope: noChat,
    help: 'Quality gate: fail (exit code 1) when the final accuracy (test, else the best validation epoch; multi-label: subset accuracy) is below this',
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
    commands: allCommands,
    type: 'enum',
    default: 'train',
    choices: ['train', 'chatops', 'plan', 'aggregate', 'predict', 'evaluate'],
    group: 'github',
    scope: actionOnly,
    help: 'train: train one model; chatops: only check a /train comment and output accepted, flags, head_sha; plan: output a sweep matrix for strategy.matrix; aggregate: compare the trials of a sweep (artifact_name is the trial prefix); predict / evaluate: score input with model (textclf predict / evaluate)',
  }),
  f({
    name: 'resume',
    type: 'enum',
    default: 'auto',
    choices: ['auto', 'never'],
    group: 'github',
    scope: actionOnly,
    help: "auto: a re-run of a cancelled job continues from the previous attempt's interrupted checkpoint artifact; never: always start fresh",
  }),
  // textclf bench: a model of this shape trains on random tokens (CLI only); device, precision,
  // threads, seed and steps_per_run are the training flags above
  ...benchShape(),
  f({
    name: 'model_type',
    commands: ['bench'],
    type: 'string',
    default: 'bert',
    group: 'model',
    scope: cliOnly,
    help: 'bench: the model family, a config.json model_type textclf trains (bert, roberta, xlm-roberta, distilbert, modernbert, ...)',
  }),
  f({
    name: 'json',
    commands: ['bench'],
    type: 'bool',
    default: false,
    group: 'output',
    scope: cliOnly,
    help: 'Print the result as one JSON object',
  }),
] as const satisfies readonly FlagSpec[];

/** bench's model shape and run length: integers, default BERT-mini at seq 128, batch 16. */
function benchShape() {
  const shape = <const N extends string>(
    name: N,
    dflt: number,
    min: number,
    group: 'model' | 'training',
    help: string,
  ) => f({ name, commands: ['bench'], type: 'int', default: dflt, min, group, scope: cliOnly, help });
  return [
    shape('layers', 4, 1, 'model', 'Encoder layers'),
    shape('hidden', 256, 1, 'model', 'Hidden size (a multiple of heads)'),
    shape('heads', 4, 1, 'model', 'Attention heads'),
    shape('intermediate', 1024, 1, 'model', 'Feed-forward size'),
    shape('vocab', 30522, 2, 'model', 'Vocabulary size'),
    shape('seq', 128, 1, 'training', 'Tokens per example'),
    shape('batch', 16, 1, 'training', 'Examples per optimizer step'),
    shape('steps', 20, 1, 'training', 'Timed optimizer steps (rounded up to whole runs of steps_per_run)'),
    shape('warmup', 3, 0, 'training', 'Untimed steps first (session warm-up, arena growth)'),
  ] as const;
}

export function flagSpec(name: string): FlagSpec | undefined {
  return (FLAGS as readonly FlagSpec[]).find((s) => s.name === name);
}

/** The commands a flag belongs to (train only unless it says otherwise). */
export function commandsOf(s: FlagSpec): readonly Command[] {
  return s.commands ?? ['train'];
}

/** Flags of `scope` for `command`; `'any'`: of every command (to recognise a name before knowing the command). */
export function flagsFor(scope: FlagScope, command: Command | 'any' = 'train'): FlagSpec[] {
  return (FLAGS as readonly FlagSpec[]).filter(
    (s) => (s.scope?.[scope] ?? true) && (command === 'any' || commandsOf(s).includes(command)),
  );
}

/** The flag a name or alias means among `specs` (aliases are Lightning's spellings, e.g. gradient_clip_val). */
export function findFlag(specs: readonly FlagSpec[], name: string): FlagSpec | undefined {
  return specs.find((s) => s.name === name) ?? specs.find((s) => s.aliases?.includes(name));
}

type Spec = (typeof FLAGS)[number];
export type FlagName = Spec['name'];

/**
 * A `batches` flag as given: an integer literal ("1", "8") is a number of batches, a decimal
 * ("1.0", "0.25") a fraction. Kept as text because 1 and 1.0 mean different things (read it with
 * batchAmount in config/batch-amount.ts).
 */
export type BatchAmountText = `${number}`;

/** The parsed value type of one flag: numbers, booleans, an enum's choices, or a string. */
export type FlagValueOf<S> = S extends { type: 'int' | 'float' }
  ? S extends { words: readonly (infer W)[] }
    ? number | W
    : number
  : S extends { type: 'bool' }
    ? S extends { words: readonly (infer W)[] }
      ? boolean | W
      : boolean
    : S extends { type: 'enum'; choices: readonly (infer C)[] }
      ? C
      : S extends { type: 'batches' }
        ? BatchAmountText
        : string;

/** True when the parsed flag may be undefined for command C: no default, or the checkpoint's for C. */
type MayBeUnset<S, C extends Command> = S extends { default: undefined }
  ? true
  : S extends { checkpointDefault: readonly (infer X)[] }
    ? C extends X
      ? true
      : false
    : false;

type InScope<S, Sc extends FlagScope> = S extends { scope: { readonly [K in Sc]: false } } ? never : S;
type ForCommand<S, C extends Command> = S extends { commands: readonly (infer X)[] }
  ? C extends X
    ? S
    : never
  : C extends 'train'
    ? S
    : never;

/** Flags as parsed for `scope` and `command`: `undefined` only where a flag has no default. */
export type FlagsFor<Sc extends FlagScope, C extends Command = 'train'> = {
  [S in ForCommand<InScope<Spec, Sc>, C> as S['name']]: MayBeUnset<S, C> extends true
    ? FlagValueOf<S> | undefined
    : FlagValueOf<S>;
};

/** What training reads: the CLI's flags (the action's are a superset). */
export type TrainFlags = FlagsFor<'cli'>;
/** What `textclf predict` reads. */
export type PredictFlags = FlagsFor<'cli', 'predict'>;
/** What `textclf evaluate` reads. */
export type EvaluateFlags = FlagsFor<'cli', 'evaluate'>;
