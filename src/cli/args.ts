// argv -> raw flag strings, and `--help` text, both generated from the flag schema.
import { FlagError, describeAllowed } from '../config/parse.js';
import { type Command, type FlagSpec, findFlag, flagsFor } from '../config/schema.js';

/** Commands that take flags from the schema (`help <command>` shows them). */
export const COMMANDS = ['train', 'predict', 'evaluate', 'demo', 'provision', 'bench'] as const;

export interface ParsedArgs {
  command: string | undefined;
  raw: Record<string, string>;
  /** Every value of a repeatable flag (`--text a --text b`), in order; `raw` holds the first. */
  lists: Record<string, string[]>;
  help: boolean;
  version: boolean;
  /** `textclf help train`: the command asked about. */
  helpTopic?: string;
}

/** Accepts `--name value`, `--name=value`, and a bare `--bool_flag` (= true), as train.py's argparse does. */
export function parseArgv(argv: string[]): ParsedArgs {
  const specs = flagsFor('cli', 'any'); // the command decides later which of them it reads
  const raw: Record<string, string> = {};
  const lists: Record<string, string[]> = {};
  let command: string | undefined;
  let helpTopic: string | undefined;
  let help = false;
  let version = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--version' || arg === '-V') {
      version = true;
      continue;
    }
    if (/^-[A-Za-z]/.test(arg) && !arg.startsWith('--'))
      throw new FlagError(
        arg,
        `unknown option '${arg}'${arg === '-v' ? ' (did you mean --version?)' : ''}; ${commandList()}`,
      );
    if (!arg.startsWith('--')) {
      if (command === undefined) {
        command = arg;
        continue;
      }
      if (command === 'help' && helpTopic === undefined) {
        helpTopic = arg;
        continue;
      }
      throw new FlagError(
        arg,
        `unexpected argument '${arg}'; flags look like --name value (see textclf ${helpFor(command)} --help)`,
      );
    }
    const { spec, name, value, next } = readFlag(argv, i, specs, command);
    i = next;
    if (spec.repeatable) {
      (lists[spec.name] ??= []).push(value);
      if (lists[spec.name]!.length > 1) continue;
    }
    raw[name] = value;
  }
  return { command, raw, lists, help, version, helpTopic };
}

/** The flag at argv[i] and its value (the next word, after =, or true for a bare flag that takes it). */
function readFlag(
  argv: string[],
  i: number,
  specs: FlagSpec[],
  command: string | undefined,
): { spec: FlagSpec; name: string; value: string; next: number } {
  const arg = argv[i];
  const eq = arg.indexOf('=');
  const name = (eq >= 0 ? arg.slice(2, eq) : arg.slice(2)).replace(/-/g, '_');
  const spec = findFlag(specs, name);
  if (!spec)
    throw new FlagError(
      name,
      `unknown flag --${name}${suggest(name, specs)}; run 'textclf ${helpFor(command)} --help' for the list`,
    );
  const after = argv[i + 1];
  // The next word is the value unless it is another flag (`--max_epochs --batch_size 4`).
  const missing = after === undefined || /^--[A-Za-z]/.test(after);
  if (eq >= 0) return { spec, name, value: arg.slice(eq + 1), next: i };
  // A flag that takes `true` may stand alone (--fast_dev_run, as in Lightning).
  if ((spec.type === 'bool' || spec.words?.includes('true')) && missing) return { spec, name, value: 'true', next: i };
  if (!missing) return { spec, name, value: after, next: i + 1 };
  throw new FlagError(name, `missing value for --${name}: expected ${describeAllowed(spec)}`);
}

/** The command whose --help lists the flags (train for anything else). */
function helpFor(command: string | undefined): string {
  return command === 'predict' || command === 'evaluate' || command === 'demo' || command === 'bench'
    ? command
    : 'train';
}

function suggest(name: string, specs: FlagSpec[]): string {
  const close = specs.filter((s) => s.name.includes(name) || name.includes(s.name) || editDistance(s.name, name) <= 2);
  return close.length ? ` (did you mean ${close.map((s) => `--${s.name}`).join(', ')}?)` : '';
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length][b.length];
}

const USAGE: Record<'all' | 'demo' | 'bench', string[]> = {
  all: [
    'Usage: textclf train [flags]     fine-tune a text classifier (BERT, RoBERTa, DistilBERT, ModernBERT)',
    '       textclf predict --model DIR --input FILE|- [--output FILE]   score a file (or stdin) with a trained model',
    '       textclf predict --model DIR --text "..." [--text "..."]   score texts; JSON lines on stdout',
    '       textclf evaluate --model DIR --input FILE [--min_accuracy X]   metrics of a trained model on a labelled file',
    '       textclf demo [flags]      train a tiny BERT on a generated sentiment dataset (CPU, ~1 min)',
    '       textclf demo-data         write that dataset and the untrained tiny BERT (--output_dir DIR)',
    '       textclf doctor [--json]   what this machine can train on (CPU, WebGPU, CUDA) and why',
    '       textclf bench [--device D] [--json]   training samples/s and peak memory of a model shape (textclf bench --help)',
    '       textclf provision [--dir DIR] [--cuda_build auto|12|13]   fetch onnxruntime-node and the CUDA provider into a tool cache for offline runners',
    '       textclf help [command]    this text, or the flags of one command',
    '       textclf --version         the version of textclf',
  ],
  demo: [
    'Usage: textclf demo [flags]      train a tiny BERT on a generated sentiment dataset (CPU, ~1 min)',
    '',
    'The demo writes its dataset and model into --output_dir (default demo-output) and sets the',
    'training flags of its recipe; any flag below overrides the recipe.',
  ],
  bench: [
    'Usage: textclf bench [flags]     training samples/s and peak host memory of a model of a given shape on random tokens',
    '',
    'The same graph, runner and feeds a training run uses, without data files: a GPU machine with only',
    'Node and the bundle can measure it. A usage error exits 2.',
  ],
};

/** Every command of `textclf`, as the usage lists them. */
export function allCommands(): string[] {
  return [...new Set(USAGE.all.flatMap((l) => /textclf ([a-z][a-z-]*)/.exec(l)?.[1] ?? []))];
}

/** The commands, for errors about a command or option that does not exist. */
export function commandList(): string {
  return `the commands are ${allCommands().join(', ')} (textclf help says what each does; textclf help <command> shows its flags)`;
}

/** The usage lines of `command` (for `textclf help <command>` of a command without schema flags). */
export function usageOf(command: string): string | undefined {
  const at = USAGE.all.findIndex((l) => new RegExp(`textclf ${command}(\\s|$)`).test(l));
  if (at < 0) return undefined;
  return `Usage: ${USAGE.all[at].replace(/^(Usage:)?\s*/, '')}`;
}

/** Usage and the flags of one command (train by default: `textclf --help`). */
export function helpText(command: (typeof COMMANDS)[number] = 'train'): string {
  const groups = new Map<string, FlagSpec[]>();
  for (const s of flagsFor('cli', command === 'demo' ? 'train' : command))
    groups.set(s.group, [...(groups.get(s.group) ?? []), s]);
  const usage = command === 'demo' || command === 'bench' ? USAGE[command] : USAGE.all;
  const lines = [...usage, '', `Flags of textclf ${command}:`, ''];
  if (command === 'train')
    lines.push(
      "limit_train_batches, limit_val_batches, limit_test_batches and val_check_interval follow Lightning's rule:",
      'an integer is a number of batches (1 = one batch), a decimal a fraction of the epoch (1.0 = all of it).',
      '',
    );
  for (const [group, specs] of groups) {
    lines.push(`${group[0].toUpperCase()}${group.slice(1)}:`);
    for (const s of specs) {
      const given = s.commandDefault?.[command as Command] ?? s.default;
      const dflt = s.checkpointDefault?.includes(command as Command)
        ? " (default: the checkpoint's)"
        : given === undefined
          ? ''
          : ` (default: ${given})`;
      lines.push(
        `  --${s.name} ${s.type === 'bool' ? `[${['true', 'false', ...(s.words ?? [])].join('|')}]` : s.type.toUpperCase()}`.padEnd(
          40,
        ) + `${s.commandHelp?.[command as Command] ?? s.help}${dflt}`,
      );
      if (s.aliases?.length) lines.push(' '.repeat(40) + `alias: ${s.aliases.map((a) => `--${a}`).join(', ')}`);
      if (s.type === 'enum' || s.type === 'batches' || s.min !== undefined || s.gt !== undefined)
        lines.push(' '.repeat(40) + `allowed: ${describeAllowed(s)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}
