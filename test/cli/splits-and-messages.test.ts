// Wrong behaviour found as a new user (issue 21), through the CLI in-process on the demo's model:
// --valid_file "" / --test_file "" skip those splits (the action's empty inputs too); a datastore
// that is one file is that file only; --fast_dev_run N runs N batches of each split, as Lightning;
// -v and `help bogus` list the commands.
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { parseFlags } from '../../src/config/parse.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { captureStream, demoWorkspace } from '../helpers/demo-workspace.js';

let root: string, model: string, data: string;
const stderr = captureStream('stderr');
const stdout = captureStream('stdout');

beforeAll(async () => {
  ({ root, model, data } = await demoWorkspace('textclf-splits-', 5, { train: 96, valid: 48, test: 48 }));
}, 60_000);
afterAll(() => rmSync(root, { recursive: true, force: true }));

const train = (out: string, extra: string[]) =>
  main([
    'train',
    ...['--datastore', data, '--model_name_or_path', model, '--output_dir', join(root, out)],
    ...['--batch_size', '8', '--max_length', '32', '--threads', '1', '--max_epochs', '1'],
    ...extra,
  ]);
const metricsOf = (out: string) => JSON.parse(readFileSync(join(root, out, 'metrics.json'), 'utf8')) as MetricsFile;

test('--valid_file "" and --test_file "" skip validation and the final test, as --help says', async () => {
  expect(await train('no-splits', ['--valid_file', '', '--test_file', '', '--limit_train_batches', '2'])).toBe(0);
  const m = metricsOf('no-splits');
  expect(m.epochs[0].validation).toBeUndefined();
  expect(m.test).toBeUndefined();
  expect(Object.keys(m.dataset!.rows)).toEqual(['train']);
  expect(stderr.join('')).toContain('valid_file is empty: no validation');
  expect(stdout.join('')).toContain('\nno test split\n');
  // The action: an input set to '' arrives as '' (an unset one as action.yml's default, valid.csv).
  expect(parseFlags({ valid_file: '', test_file: '' }, 'action')).toMatchObject({ valid_file: '', test_file: '' });
  expect(parseFlags({ valid_file: 'valid.csv', model_name_or_path: '' }, 'action')).toMatchObject({
    valid_file: 'valid.csv',
    model_name_or_path: 'bert-base-uncased', // other flags: empty still means "not given"
  });
}, 60_000);

test('--datastore DIR/train.csv trains on that file only: the valid.csv and test.csv beside it are not splits', async () => {
  const dir = join(root, 'one-file');
  mkdirSync(dir);
  for (const f of ['train.csv', 'valid.csv', 'test.csv']) copyFileSync(join(data, f), join(dir, f));
  expect(
    await main([
      'train',
      ...['--datastore', join(dir, 'train.csv'), '--model_name_or_path', model, '--output_dir', join(root, 'one')],
      ...[
        '--batch_size',
        '8',
        '--max_length',
        '32',
        '--threads',
        '1',
        '--max_epochs',
        '1',
        '--limit_train_batches',
        '2',
      ],
    ]),
  ).toBe(0);
  const m = metricsOf('one');
  expect(m.dataset!.rows).toEqual({ train: 96 });
  expect(m.test).toBeUndefined();
  expect(stderr.join('')).toContain(
    `datastore ${join(dir, 'train.csv')} is one file, the training data: no valid_file or test_file from beside it (set valid_file / test_file to name one)`,
  );
}, 60_000);

test('--fast_dev_run 5 runs 5 batches of each split (Lightning); bare --fast_dev_run is 1', async () => {
  expect(await train('dev5', ['--fast_dev_run', '5'])).toBe(0);
  const m = metricsOf('dev5');
  expect(m.run.totalSteps).toBe(5);
  expect(m.epochs).toHaveLength(1);
  expect(m.epochs[0].validation!.samples).toBe(40);
  expect(m.test!.samples).toBe(40);
  expect(stderr.join('')).toContain(
    'fast_dev_run: 1 epoch of 5 batches of training, 5 batches of validation and 5 batches of test',
  );
  stderr.length = 0;
  expect(await train('dev1', ['--fast_dev_run', '--limit_train_batches', '3'])).toBe(0);
  expect(metricsOf('dev1').run.totalSteps).toBe(1);
  expect(await train('dev0', ['--fast_dev_run', 'false', '--limit_train_batches', '3'])).toBe(0);
  expect(metricsOf('dev0').run.totalSteps).toBe(3);
  expect(await train('devx', ['--fast_dev_run', '-1'])).toBe(1);
  expect(stderr.join('')).toContain("--fast_dev_run: '-1' is not valid; expected true, false or an integer >= 0");
}, 60_000);

test('-v, an unknown command and help of an unknown command list every command', async () => {
  const commands = 'the commands are train, predict, evaluate, demo, demo-data, doctor, bench, provision, help';
  expect(await main(['-v'])).toBe(1);
  expect(stderr.join('')).toContain(`error: unknown option '-v' (did you mean --version?); ${commands}`);
  for (const argv of [['help', 'bogus'], ['bogus']]) {
    stderr.length = 0;
    expect(await main(argv)).toBe(1);
    expect(stderr.join('')).toContain(`error: unknown command 'bogus'; ${commands}`);
  }
  // help of a command without schema flags shows its usage
  expect(await main(['help', 'doctor'])).toBe(0);
  expect(await main(['help', 'demo-data'])).toBe(0);
  expect(stdout.join('')).toMatch(/^Usage: textclf doctor \[--json\].*\nUsage: textclf demo-data /s);
});
