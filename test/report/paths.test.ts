// What a person reads of a path (src/report/paths.ts): outputs relative to the output dir, inputs
// to the working directory, anything else by its last two names; URLs and commands untouched.
import { displayModel, displayPath, hideLocalPaths, isAbsolutePath } from '../../src/report/paths.js';

const at = { outputDir: '/tmp/run/out', cwd: '/home/me/repo' };

test('displayPath: inside the output dir, inside the working directory, elsewhere, relative', () => {
  expect(displayPath('/tmp/run/out/checkpoints/epoch-2', at)).toBe('checkpoints/epoch-2');
  expect(displayPath('/home/me/repo/data/train.csv', at)).toBe('data/train.csv');
  expect(displayPath('/tmp/run/out', at)).toBe('…/run/out'); // the output dir itself
  expect(displayPath('/tmp/textclf-demo-x', at)).toBe('…/textclf-demo-x'); // no top-level directory shown
  expect(displayPath('/tmp/run/outside/x', at)).toBe('…/outside/x'); // a sibling with a common prefix
  expect(displayPath('/var/lib/x/checkpoints/final', at)).toBe('…/checkpoints/final');
  expect(displayPath('/x', at)).toBe('…/x');
  expect(displayPath('runs/a', at)).toBe('runs/a');
  expect(displayPath('C:\\Users\\me\\runs\\a', at)).toBe('…/runs/a');
  expect(displayPath('C:\\out', at)).toBe('…/out');
  expect(displayPath('/tmp/run/out/a', {})).toBe('…/out/a');
});

test('displayModel: a hub id as given, a local directory by its name', () => {
  expect(displayModel('bert-base-uncased')).toBe('bert-base-uncased');
  expect(displayModel('org/model')).toBe('org/model');
  expect(displayModel('/home/runner/work/r/r/models/tiny-bert/')).toBe('tiny-bert');
  expect(displayModel('D:\\models\\tiny-bert')).toBe('tiny-bert');
  expect(isAbsolutePath('org/model')).toBe(false);
});

test('hideLocalPaths: every absolute path in text, with its sentence punctuation kept; URLs and /train untouched', () => {
  expect(
    hideLocalPaths('every result is on the runner in /tmp/run/out/sub. Resume with /train or see (/var/lib/a/b).', at),
  ).toBe('every result is on the runner in sub. Resume with /train or see (…/a/b).');
  expect(hideLocalPaths('https://h.example/a/b/c.zip and s3://b/k/x', at)).toBe(
    'https://h.example/a/b/c.zip and s3://b/k/x',
  );
  expect(hideLocalPaths('cache_dir=/opt/cache/textclf, model "/home/me/repo/m/x"', at)).toBe(
    'cache_dir=…/cache/textclf, model "m/x"',
  );
  expect(hideLocalPaths('C:\\runner\\_work\\out', at)).toBe('…/_work/out');
});
