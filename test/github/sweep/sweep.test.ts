// Sweeps: Grid syntax -> strategy.matrix (plan) -> one metrics artifact per trial -> one table (aggregate).
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { metricsFile } from '../fixtures.js';
import {
  parseSweep,
  planSweep,
  renderSweepTable,
  bestTrial,
  trialResult,
  SweepError,
  MAX_TRIALS,
} from '../../../src/github/sweep/sweep.js';
import { parseFlags } from '../../../src/config/parse.js';

let fake: GitHubFake;
let collectTrials: typeof import('../../../src/github/sweep/aggregate.js').collectTrials;
let aggregateSweep: typeof import('../../../src/github/sweep/aggregate.js').aggregateSweep;
let getOctokit: typeof import('@actions/github').getOctokit;

useGitHubFake(async (f) => {
  fake = f;
  ({ collectTrials, aggregateSweep } = await import('../../../src/github/sweep/aggregate.js'));
  ({ getOctokit } = await import('@actions/github'));
});

test('plan: Grid list syntax expands to the cartesian product for strategy.matrix', () => {
  const matrix = planSweep(parseSweep('learning_rate="[1e-5, 2e-5]" batch_size="[16, 32]"'));
  expect(matrix.include).toEqual([
    { trial: 'trial-1', flags: '{"learning_rate":0.00001,"batch_size":16}', learning_rate: 1e-5, batch_size: 16 },
    { trial: 'trial-2', flags: '{"learning_rate":0.00001,"batch_size":32}', learning_rate: 1e-5, batch_size: 32 },
    { trial: 'trial-3', flags: '{"learning_rate":0.00002,"batch_size":16}', learning_rate: 2e-5, batch_size: 16 },
    { trial: 'trial-4', flags: '{"learning_rate":0.00002,"batch_size":32}', learning_rate: 2e-5, batch_size: 32 },
  ]);
  // Each matrix cell is a valid set of action inputs.
  for (const cell of matrix.include) {
    expect(
      parseFlags({ learning_rate: String(cell.learning_rate), batch_size: String(cell.batch_size) }, 'action'),
    ).toMatchObject({ learning_rate: cell.learning_rate, batch_size: cell.batch_size });
  }
});

test('choice, uniform and loguniform; scalars fix a value; the plan is reproducible', () => {
  const text =
    "learning_rate=loguniform(1e-5,1e-3,3) dropout='uniform(0, 0.5, 2)' padding=choice(longest,max_length) max_epochs=2";
  const space = parseSweep(text);
  expect(space.map((d) => [d.key, d.values.length])).toEqual([
    ['learning_rate', 3],
    ['dropout', 2],
    ['padding', 2],
    ['max_epochs', 1],
  ]);
  for (const v of space[0].values) expect(v as number).toBeGreaterThanOrEqual(1e-5);
  for (const v of space[0].values) expect(v as number).toBeLessThanOrEqual(1e-3);
  for (const v of space[1].values) expect(v as number).toBeLessThanOrEqual(0.5);
  expect(space[2].values).toEqual(['longest', 'max_length']);
  expect(planSweep(space).include).toHaveLength(12);
  expect(parseSweep(text)).toEqual(space);
  expect(parseSweep('batch_size=uniform(8, 64, 3)')[0].values.every((v) => Number.isInteger(v))).toBe(true);
});

test('bad sweeps are typed errors naming key, value and the fix', () => {
  const err = (t: string) => {
    try {
      parseSweep(t);
    } catch (e) {
      expect(e).toBeInstanceOf(SweepError);
      return (e as SweepError).problems;
    }
    throw new Error('no error');
  };
  expect(err('foo="[1, 2]"')).toEqual(["unknown key 'foo'"]);
  expect(err('learning_rate="[1e-5, abc]"')).toEqual([
    "learning_rate: 'abc' is not valid; expected a number > 0 and <= 1",
  ]);
  expect(err('max_epochs="[0, 2]"')).toEqual(["max_epochs: '0' is not valid; expected an integer >= 1 and <= 1000"]);
  expect(err('learning_rate=uniform(1e-3, 1e-5, 3)')).toEqual([
    'learning_rate: uniform(low, high, n) needs numbers low < high and an integer n >= 1',
  ]);
  expect(err('output_dir="[a, b]"')).toEqual(["unknown key 'output_dir'"]);
  expect(err('')).toEqual(['no parameters given']);
  expect(
    err('seed=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17] batch_size=[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16]'),
  ).toEqual([`272 trials is more than the ${MAX_TRIALS} jobs a matrix may have`]);
  expect(() => parseSweep('foo=1')).toThrow(/Valid keys: .*learning_rate/);
});

test('Must show: plan -> 4 trial runs -> aggregate table naming the best trial', async () => {
  const matrix = planSweep(parseSweep('learning_rate="[1e-5, 3e-5]" batch_size="[16, 32]"'));
  expect(matrix.include).toHaveLength(4);
  // The sweep workflow run: each matrix job trains one trial and uploads textclf-sweep-<trial>.
  const run = fake.addRun({
    workflow_id: 55,
    name: 'sweep',
    event: 'workflow_dispatch',
    status: 'in_progress',
    conclusion: null,
  });
  const accuracy = (lr: number, bs: number) => 0.7 + (lr === 3e-5 ? 0.08 : 0) + (bs === 16 ? 0.03 : 0);
  for (const cell of matrix.include) {
    const lr = cell.learning_rate as number,
      bs = cell.batch_size as number;
    const m = metricsFile([accuracy(lr, bs) - 0.05, accuracy(lr, bs)], {
      flags: { learning_rate: lr, batch_size: bs, seed: 42, output_dir: `runs/${cell.trial}` },
    });
    fake.addArtifact(run.id, `textclf-sweep-${cell.trial}`, { 'metrics.json': JSON.stringify(m), 'report.md': '# r' });
  }
  fake.addArtifact(run.id, 'textclf-sweep-', { 'metrics.json': '{}' }); // a prefix-only name is not a trial
  fake.addArtifact(run.id, 'unrelated', { 'x.txt': 'x' });

  const trials = await collectTrials(
    { token: fake.token, repo: { owner: fake.owner, repo: fake.repo } },
    run.id,
    'textclf-sweep-',
  );
  expect(trials.map((t) => t.name)).toEqual(['trial-1', 'trial-2', 'trial-3', 'trial-4']);
  expect(bestTrial(trials)!.name).toBe('trial-3'); // lr 3e-5, batch 16
  const table = renderSweepTable(trials);
  expect(table).toContain('**Sweep: 4 trials.** Best: ★ **trial\\-3** (accuracy 81.00%, F1 80.00%, test).');
  expect(table).toContain('| | trial | batch\\_size | learning\\_rate | accuracy | F1 | loss | epochs | seconds |');
  expect(table).toContain('| ★ | **trial\\-3** | 16 | 0\\.00003 | 81.00% | 80.00% |');
  expect(table).toContain('|  | trial\\-2 | 32 | 0\\.00001 | 70.00% |');
  expect(table.match(/★/g)).toHaveLength(2); // the headline and exactly one row
  expect(fake.requests.filter((r) => r.operationId === 'actions/download-artifact')).toHaveLength(4);
});

test('aggregate on a pull_request run posts the table as the sticky comment', async () => {
  const run = fake.addRun({ workflow_id: 56, event: 'pull_request', status: 'in_progress', conclusion: null });
  for (const [trial, acc] of [
    ['trial-1', 0.6],
    ['trial-2', 0.9],
  ] as const) {
    fake.addArtifact(run.id, `textclf-sweep-${trial}`, {
      'metrics.json': JSON.stringify(metricsFile([acc], { flags: { learning_rate: acc / 1000 } })),
    });
  }
  const ctx = {
    eventName: 'pull_request',
    payload: { pull_request: { number: 5, head: { sha: 'a'.repeat(40) } } },
    repo: { owner: fake.owner, repo: fake.repo },
    runId: run.id,
    runAttempt: 1,
    workflow: 'textclf sweep',
    job: 'aggregate',
    sha: 'b'.repeat(40),
    ref: 'refs/pull/5/merge',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  const octokit = getOctokit(fake.token, { baseUrl: fake.url });
  const r = await aggregateSweep({ octokit, token: fake.token, ctx, prefix: 'textclf-sweep-', comment: 'auto' });
  expect(r.best?.name).toBe('trial-2');
  const body = fake.commentsOn(5).find((c) => c.id === r.commentId)!.body;
  expect(body).toContain('### 🧪 textclf sweep · textclf sweep');
  expect(body).toContain('| ★ | **trial\\-2** | 0\\.0009 | 90.00% |');
  // A re-run edits the same comment.
  const again = await aggregateSweep({ octokit, token: fake.token, ctx, prefix: 'textclf-sweep-', comment: 'auto' });
  expect(again.commentId).toBe(r.commentId);
  expect(fake.commentsOn(5)).toHaveLength(1);
});

test('ties break on F1, then loss', () => {
  const a = trialResult('a', metricsFile([0.8], {})),
    b = trialResult('b', metricsFile([0.8], {}));
  b.final.f1 = 0.9;
  expect(bestTrial([a, b])!.name).toBe('b');
  b.final.f1 = a.final.f1;
  b.final.loss = a.final.loss! - 0.1;
  expect(bestTrial([a, b])!.name).toBe('b');
});
