// Must show (sweep), with real training: plan the matrix from the sweep input, train each of the 4
// trials (demo tiny BERT on ONNX Runtime), upload each run's metrics.json as the trial's artifact
// on the fake, then aggregate: one table naming the best trial.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { parseFlags } from '../../../src/config/parse.js';
import { prepareDemo } from '../../../src/demo/prepare.js';
import { lineLogger } from '../../../src/util/logger.js';
import { runTraining } from '../../../src/train/run.js';
import { finalMetrics } from '../../../src/github/pr/compare.js';

let fake: GitHubFake;
let root: string;
let flow: typeof import('../../../src/github/flow.js');
let aggregate: typeof import('../../../src/github/sweep/aggregate.js');
let getOctokit: typeof import('@actions/github').getOctokit;

useGitHubFake(async (f) => {
  fake = f;
  flow = await import('../../../src/github/flow.js');
  aggregate = await import('../../../src/github/sweep/aggregate.js');
  ({ getOctokit } = await import('@actions/github'));
  root = mkdtempSync(join(tmpdir(), 'textclf-sweep-e2e-'));
});
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
});

test('plan -> 4 trained trials -> aggregate table naming the best trial', async () => {
  const demo = await prepareDemo(join(root, 'demo'), 42);
  const sweep = 'learning_rate="[0.0003, 0.003]" batch_size="[8, 16]"';
  const { outputs } = flow.planStep(flow.githubInputs(parseFlags({ sweep, mode: 'plan' }, 'action')));
  const matrix = JSON.parse(outputs.matrix) as { include: Record<string, string | number>[] };
  expect(matrix.include).toHaveLength(4);

  const run = fake.addRun({
    workflow_id: 77,
    name: 'textclf sweep',
    event: 'workflow_dispatch',
    status: 'in_progress',
    conclusion: null,
  });
  for (const cell of matrix.include) {
    // One matrix job: the workflow passes matrix values as inputs (see examples/sweep.yml).
    const flags = parseFlags(
      {
        ...demo,
        max_epochs: '1',
        limit_train_batches: '6',
        max_length: '32',
        dropout: '0',
        seed: '3',
        warmup_steps: '0',
        learning_rate: String(cell.learning_rate),
        batch_size: String(cell.batch_size),
        output_dir: join(root, String(cell.trial)),
        artifact_name: `textclf-sweep-${cell.trial}`,
      },
      'action',
    );
    const r = await runTraining(flags, { log: lineLogger(() => {}) });
    fake.addArtifact(run.id, String(flags.artifact_name), {
      'metrics.json': readFileSync(join(r.outputDir, 'metrics.json')),
      'report.md': readFileSync(r.reportPath),
    });
  }

  const ctx = {
    eventName: 'workflow_dispatch',
    payload: {},
    repo: { owner: fake.owner, repo: fake.repo },
    runId: run.id,
    runAttempt: 1,
    workflow: 'textclf sweep',
    job: 'aggregate',
    sha: 'f'.repeat(40),
    ref: 'refs/heads/main',
    serverUrl: 'https://github.com',
    apiUrl: fake.url,
  };
  const result = await aggregate.aggregateSweep({
    octokit: getOctokit(fake.token, { baseUrl: fake.url }),
    token: fake.token,
    ctx,
    prefix: 'textclf-sweep-',
    comment: 'auto',
  });
  expect(result.trials.map((t) => t.name)).toEqual(['trial-1', 'trial-2', 'trial-3', 'trial-4']);
  expect(result.trials.map((t) => [t.metrics.run.flags.learning_rate, t.metrics.run.flags.batch_size])).toEqual([
    [0.0003, 8],
    [0.0003, 16],
    [0.003, 8],
    [0.003, 16],
  ]);

  // The best trial, recomputed here from the trials' own metrics: accuracy, then F1, then loss.
  const ranked = result.trials
    .map((t) => ({ name: t.name, ...finalMetrics(t.metrics) }))
    .sort((a, b) => b.accuracy! - a.accuracy! || b.f1! - a.f1! || a.loss! - b.loss!);
  expect(result.best!.name).toBe(ranked[0].name);
  const bestLabel = ranked[0].name.replace('-', '\\-');
  expect(result.markdown).toContain(`**Sweep: 4 trials.** Best: ★ **${bestLabel}**`);
  expect(result.markdown).toContain(`| ★ | **${bestLabel}** |`);
  expect(result.markdown).toContain(
    '| | trial | batch\\_size | learning\\_rate | accuracy | F1 | loss | epochs | seconds |',
  );
  expect(result.commentId).toBeUndefined(); // workflow_dispatch: no PR to comment on
});
