import { FlagError, noEffectNotices, parseFlags } from '../../src/config/parse.js';
import { flagsFor } from '../../src/config/schema.js';
import { helpText, parseArgv } from '../../src/cli/args.js';

test('train.py-style flags parse with types and defaults', () => {
  const a = parseArgv([
    'train',
    '--max_epochs',
    '2',
    '--learning_rate=3e-5',
    '--shuffle',
    'false',
    '--gpus',
    '0',
    '--seed',
    '7',
  ]);
  expect(a.command).toBe('train');
  const f = parseFlags(a.raw, 'cli');
  expect(f).toMatchObject({ max_epochs: 2, learning_rate: 3e-5, shuffle: false, gpus: 0, seed: 7, batch_size: 16 });
});

test('a bare boolean flag means true; dashes are accepted for underscores', () => {
  const a = parseArgv(['train', '--shuffle', '--max-epochs', '4']);
  expect(parseFlags(a.raw, 'cli')).toMatchObject({ shuffle: true, max_epochs: 4 });
});

test('bad values name the flag and the allowed values', () => {
  expect(() => parseFlags(parseArgv(['train', '--max_epochs', '0']).raw, 'cli')).toThrow(
    /--max_epochs: '0' is not valid; expected an integer >= 1 and <= 1000/,
  );
  expect(() => parseFlags(parseArgv(['train', '--padding', 'left']).raw, 'cli')).toThrow(
    /--padding: 'left' is not valid; expected one of longest, max_length/,
  );
  expect(() => parseFlags(parseArgv(['train', '--learning_rate', 'abc']).raw, 'cli')).toThrow(
    /--learning_rate: 'abc' is not valid; expected a number > 0/,
  );
  expect(() => parseFlags(parseArgv(['train', '--batch_size', '2.5']).raw, 'cli')).toThrow(FlagError);
});

test('unknown flags are refused with a suggestion', () => {
  expect(() => parseArgv(['train', '--max_epoch', '3'])).toThrow(
    /unknown flag --max_epoch \(did you mean --max_epochs\?\)/,
  );
  expect(() => parseArgv(['train', '--github_token', 'x'])).toThrow(/unknown flag --github_token/);
});

test('--help lists every CLI flag with its default and bounds', () => {
  const text = helpText();
  for (const s of flagsFor('cli')) expect(text).toContain(`--${s.name} `);
  expect(text).toContain('Peak learning rate (AdamW) (default: 0.00002)');
  expect(text).toContain('allowed: one of longest, max_length');
});

test("Lightning's spellings are aliases of our flags; giving both is an error", () => {
  const a = parseArgv([
    'train',
    '--gradient_clip_val',
    '0.5',
    '--default_root_dir',
    'x',
    '--resume_from_checkpoint',
    'c',
  ]);
  expect(parseFlags(a.raw, 'cli')).toMatchObject({ max_grad_norm: 0.5, output_dir: 'x', resume_from: 'c' });
  expect(() =>
    parseFlags(parseArgv(['train', '--max_grad_norm', '1', '--gradient_clip_val', '0.5']).raw, 'cli'),
  ).toThrow(
    /--gradient_clip_val and --max_grad_norm are the same flag \(max_grad_norm, alias gradient_clip_val\); give it once/,
  );
  expect(() => parseFlags({ gradient_clip_val: 'x' }, 'cli')).toThrow(/--gradient_clip_val: 'x' is not valid/);
  const help = helpText();
  expect(help).toContain('alias: --gradient_clip_val');
  expect(help).toContain("note Lightning's default is no clipping, ours is 1.0");
  expect(help).toContain('an integer is a number of batches (1 = one batch), a decimal a fraction of the epoch');
});

test('flags belong to commands: predict/evaluate flags are refused by train and the other way round', () => {
  expect(() => parseFlags(parseArgv(['train', '--model', 'x']).raw, 'cli')).toThrow(
    /--model is a flag of textclf predict and textclf evaluate, not of textclf train/,
  );
  expect(parseFlags({ model: 'm', input: 'i.csv', batch_size: '8' }, 'cli', 'predict')).toMatchObject({
    model: 'm',
    input: 'i.csv',
    batch_size: 8,
    threshold: 0.5,
  });
  expect(() => parseFlags({ min_accuracy: '0.5' }, 'cli', 'predict')).toThrow(/not of textclf predict/);
  // the action passes every input with its default whatever the mode: other commands' inputs are ignored
  expect(parseFlags({ model: 'm', max_epochs: '3' }, 'action', 'predict')).not.toHaveProperty('max_epochs');
  const help = helpText('predict');
  expect(help).toContain('--model ');
  expect(help).not.toContain('--max_epochs ');
});

test('no-effect compat flags are accepted and announced once each', () => {
  const f = parseFlags(parseArgv(['train', '--num_workers', '4', '--use_fast', '--truncation', 'true']).raw, 'cli');
  expect(noEffectNotices(f)).toEqual([
    '--num_workers is accepted for train.py compatibility and has no effect here: data is tokenized once up front, there are no loader workers',
    '--use_fast is accepted for train.py compatibility and has no effect here: the tokenizer is always the fast one (tokenizer.json)',
    '--truncation is accepted for train.py compatibility and has no effect here: inputs are always truncated to max_length',
  ]);
  expect(noEffectNotices(parseFlags({}, 'cli'))).toEqual([]);
});

test('steps_per_run: auto by default, an integer in 1..256, or auto; anything else is refused', () => {
  expect(parseFlags(parseArgv(['train']).raw, 'cli').steps_per_run).toBe('auto');
  expect(parseFlags(parseArgv(['train', '--steps_per_run', '8']).raw, 'cli').steps_per_run).toBe(8);
  expect(parseFlags(parseArgv(['train', '--steps_per_run', 'auto']).raw, 'cli').steps_per_run).toBe('auto');
  for (const bad of ['0', '257', 'fast', '2.5'])
    expect(() => parseFlags(parseArgv(['train', '--steps_per_run', bad]).raw, 'cli')).toThrow(
      new RegExp(`--steps_per_run: '${bad}' is not valid; expected auto or an integer >= 1 and <= 256`),
    );
  expect(helpText()).toContain('--steps_per_run INT');
});
