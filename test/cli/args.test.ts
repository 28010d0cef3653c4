import { FlagError, parseFlags } from '../../src/config/parse.js';
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
