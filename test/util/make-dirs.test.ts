// mkdir -p that always ends (Node's recursive mkdir spins forever under /proc and through dangling
// links), and the output-path checks built on it: each bad path fails at once, naming the flag and
// the fix, and the checks leave nothing behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, makeDirsSync, MakeDirError } from '../../src/util/make-dirs.js';
import { checkOutputDir, checkOutputFile, OutputDirError } from '../../src/util/output-dir.js';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'textclf-mkdirs-'));
  writeFileSync(join(work, 'a-file'), 'x');
  symlinkSync(join(work, 'nowhere'), join(work, 'dangling'));
  mkdirSync(join(work, 'a-dir'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

const procfs = existsSync('/proc/self') ? test : test.skip;

procfs('a folder under /proc fails at once, sync and async (Node’s recursive mkdir never returns there)', async () => {
  const t0 = Date.now();
  expect(() => makeDirsSync('/proc/textclf-x/y')).toThrow(
    'cannot create the folder /proc/textclf-x: /proc does not take new folders (a virtual file system such as /proc, or a dangling link) (ENOENT)',
  );
  await expect(makeDirs('/proc/textclf-x')).rejects.toMatchObject({ code: 'ENOENT', path: '/proc/textclf-x' });
  expect(Date.now() - t0).toBeLessThan(500);
});

test('a dangling link and a file in the way are errors naming them; a race with another creator is not', async () => {
  expect(() => makeDirsSync(join(work, 'dangling', 'sub'))).toThrow(
    `cannot create the folder ${join(work, 'dangling')}: something that is not a folder is in the way (a dangling link?) (EEXIST)`,
  );
  await expect(makeDirs(join(work, 'a-file', 'sub'))).rejects.toThrow(
    `cannot create the folder ${join(work, 'a-file', 'sub')}: ${join(work, 'a-file')} is a file, not a folder`,
  );
  expect(() => makeDirsSync(join(work, 'a-file'))).toThrow(MakeDirError);
  // mkdir -p's return value: the first folder made, undefined when all existed.
  expect(makeDirsSync(join(work, 'new', 'a', 'b'))).toBe(join(work, 'new'));
  expect(await makeDirs(join(work, 'new', 'a', 'b'))).toBeUndefined();
  // Two creators at once: neither fails, one made `race`, the other made `race/x` or nothing.
  const both = await Promise.all([makeDirs(join(work, 'race', 'x')), makeDirs(join(work, 'race', 'x'))]);
  expect(both.filter((d) => d === join(work, 'race'))).toHaveLength(1);
  expect(both.filter((d) => d && d !== join(work, 'race')).every((d) => d === join(work, 'race', 'x'))).toBe(true);
  expect(statSync(join(work, 'race', 'x')).isDirectory()).toBe(true);
});

test('output folders: a file, a path below a file, /proc and a dangling link fail naming the flag and the fix', () => {
  const file = join(work, 'a-file');
  const cases: [string, string][] = [
    [
      file,
      `--cache_dir ${file} is a file, not a folder. Fix: choose a folder (it is created if missing), or move the file away.`,
    ],
    [
      join(file, 'sub'),
      `--cache_dir ${join(file, 'sub')} cannot be created: ${file} is a file, not a folder. Fix: choose another folder.`,
    ],
    [
      join(work, 'dangling', 'x'),
      `--cache_dir ${join(work, 'dangling', 'x')} cannot be created: making ${join(work, 'dangling')}: something that is not a folder is in the way`,
    ],
  ];
  if (existsSync('/proc/self'))
    cases.push(['/proc/x', '--cache_dir /proc/x cannot be created: /proc does not take new folders']);
  for (const [path, message] of cases) {
    let err: unknown;
    try {
      checkOutputDir(path, 'cache_dir');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(OutputDirError);
    expect((err as Error).message).toContain(message);
  }
});

test('a good output folder passes and the check leaves nothing behind: not the folders it made, not its probe', () => {
  checkOutputDir(join(work, 'fresh', 'deep', 'out'));
  expect(existsSync(join(work, 'fresh'))).toBe(false);
  checkOutputDir(join(work, 'a-dir'));
  expect(readdirSync(join(work, 'a-dir'))).toEqual([]);
});

test('output files: a folder is refused with a file to name instead; a file below a file names its folder', () => {
  const dir = join(work, 'a-dir');
  expect(() => checkOutputFile(dir, 'log_file', 'steps.jsonl')).toThrow(
    `--log_file ${dir} is a folder, not a file. Fix: name a file, e.g. --log_file ${join(dir, 'steps.jsonl')}.`,
  );
  const below = join(work, 'a-file', 'p.csv');
  expect(() => checkOutputFile(below, 'predictions_file', 'predictions.csv')).toThrow(
    `--predictions_file ${below}: its folder ${join(work, 'a-file')} is a file, not a folder. Fix: write p.csv somewhere else.`,
  );
  checkOutputFile(join(work, 'later', 'steps.jsonl'), 'log_file', 'steps.jsonl');
  expect(existsSync(join(work, 'later'))).toBe(false);
});
