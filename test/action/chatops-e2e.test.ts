// Issue 6's Must-shows through the real action bundle: every step is `node dist/index.js` with the
// runner's INPUT_*/GITHUB_* environment, against servers this file starts on 127.0.0.1 (datastore,
// fake hub, results service + Azurite, GitHub REST fake validated against @octokit/openapi).
// The steps follow examples/chatops-train.yml and examples/sweep.yml: their `with:` blocks are read
// from the example files, matrix expressions evaluated, and only runner-specific inputs
// (datastore, model, tiny sizes) overridden. Artifacts a step uploads are published to the REST
// fake under the step's workflow run, as GitHub does, so baselines and sweeps download real uploads.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { prepareDemo } from '../../src/demo/prepare.js';
import type { EvalMetrics, MetricsFile } from '../../src/metrics/types.js';
import {
  buildActionCheckout,
  demoZipFiles,
  publishUploads,
  REPO_ROOT,
  startStepServices,
  warmToolCache,
  type StepServices,
} from '../helpers/action-runner.js';
import type { ArtifactService } from '../helpers/artifact-service.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import type { FakeHub } from '../helpers/fake-hub.js';
import type { GitHubFake } from '../helpers/github-fake.js';
import { makeZip } from '../helpers/zip.js';
import { inputEnv, runNodeStep, runnerFiles, type StepResult } from '../helpers/runner-env.js';
import { evaluateValue } from '../helpers/workflow-expr.js';

const TOKEN = 'ghs_chatopsE2eToken0123456789';
const MODEL = 'textclf-test/tiny-bert';
const MAIN_SHA = 'c'.repeat(40);

let root: string, actionDir: string, toolCache: string;
let services: StepServices, service: ArtifactService, datastore: TestServer, hub: FakeHub, github: GitHubFake;
const published = new Set<number>();

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-chatops-dist-'));
  actionDir = buildActionCheckout(join(root, 'action'));
  toolCache = join(root, 'toolcache');
  warmToolCache(toolCache);
  const demo = await prepareDemo(join(root, 'demo'), 42);
  datastore = await startDatastoreServer({
    '/imdb-demo.zip': { body: makeZip(demoZipFiles(demo.datastore!)), contentType: 'application/zip' },
  });
  services = await startStepServices(MODEL, demo.model_name_or_path!);
  services.github.addToken(TOKEN); // the workflow's GITHUB_TOKEN: github-actions[bot]
  ({ hub, service, github } = services);
}, 120_000);

afterAll(async () => {
  await Promise.all([datastore?.close(), services?.close()]);
  rmSync(root, { recursive: true, force: true });
});

// Every REST call any step made was valid against GitHub's OpenAPI description.
afterEach(() => {
  expect(github.violations).toEqual([]);
});

/** The runner-specific part of every step's `with:`: where the data and model are, and tiny sizes. */
const here = () => ({
  datastore: datastore.url('/imdb-demo.zip'),
  model_name_or_path: MODEL,
  hub_url: hub.url,
  gpus: '0',
  max_length: '32',
  seed: '42',
  threads: '1',
  warmup_steps: '10',
  save_checkpoints: 'last',
  retention_days: '1',
});

interface Step {
  name: string;
  event: string;
  payload: unknown;
  runId: number;
  job: string;
  workflow: string;
  sha?: string;
  ref?: string;
  with: Record<string, string>;
}

/** One `uses: org/textclf-action` step: node dist/index.js, then its uploads published under its run. */
async function step(s: Step): Promise<StepResult> {
  const files = runnerFiles(join(root, s.name), s.payload);
  const r = await runNodeStep(join(actionDir, 'dist', 'index.js'), files, {
    GITHUB_EVENT_NAME: s.event,
    GITHUB_REPOSITORY: github.fullName,
    GITHUB_RUN_ID: String(s.runId),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: s.sha ?? MAIN_SHA,
    GITHUB_REF: s.ref ?? 'refs/heads/main',
    GITHUB_WORKFLOW: s.workflow,
    GITHUB_JOB: s.job,
    GITHUB_API_URL: github.url,
    RUNNER_TOOL_CACHE: toolCache,
    ACTIONS_RUNTIME_TOKEN: service.runtimeToken,
    ACTIONS_RESULTS_URL: service.url,
    ...inputEnv(join(actionDir, 'action.yml'), s.with, TOKEN),
  });
  await publishUploads(service, github, s.runId, root, published);
  return r;
}

function ok(r: StepResult, what: string): StepResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout.slice(-4000)}`);
  return r;
}

const metricsOf = (r: StepResult) =>
  JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
const finalOf = (m: MetricsFile): EvalMetrics => m.test!;

/** A step's `with:` from an example workflow, `${{ matrix.x }}` evaluated (absent keys are empty). */
function exampleWith(
  file: string,
  job: string,
  index: number,
  matrix: Record<string, unknown> = {},
): Record<string, string> {
  const wf = parseYaml(readFileSync(join(REPO_ROOT, 'examples', file), 'utf8')) as {
    jobs: Record<string, { steps: { with?: Record<string, unknown> }[] }>;
  };
  const w = wf.jobs[job]!.steps[index]!.with!;
  return Object.fromEntries(Object.entries(w).map(([k, v]) => [k, evaluateValue(String(v), { matrix })]));
}

/** The delta cell as the sticky comment should show it, computed here from the two metrics files. */
function expectedDelta(metric: 'accuracy' | 'f1' | 'loss', cur: number, base: number): string {
  const d = cur - base;
  const size = metric === 'loss' ? Math.abs(d).toFixed(4) : `${(Math.abs(d) * 100).toFixed(2)} pp`;
  if (Math.abs(d) < 5e-5) return `= ${size}`;
  const good = metric === 'loss' ? d < 0 : d > 0;
  return `${d > 0 ? `▲ +${size}` : `▼ −${size}`} ${good ? '🟢' : '🔴'}`;
}
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

test("Must show (ChatOps): a writer's /train max_epochs=2 trains 2 epochs with baseline deltas in the sticky comment; a reader's is refused", async () => {
  const WF = 4242,
    WORKFLOW = 'textclf /train',
    PR = 17,
    HEAD = '9'.repeat(40);

  // The baseline: this workflow's push run on main trains and uploads its metrics artifact.
  const baseRun = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'push',
    status: 'in_progress',
    conclusion: null,
    head_sha: MAIN_SHA,
  });
  const base = ok(
    await step({
      name: 'baseline',
      event: 'push',
      runId: baseRun.id,
      job: 'train',
      workflow: WORKFLOW,
      payload: {
        ref: 'refs/heads/main',
        after: MAIN_SHA,
        repository: { full_name: github.fullName, default_branch: 'main' },
      },
      with: { ...here(), max_epochs: '1', batch_size: '32', learning_rate: '0.003' },
    }),
    'baseline push run',
  );
  Object.assign(baseRun, { status: 'completed', conclusion: 'success' });
  expect(github.artifacts.filter((a) => a.run_id === baseRun.id).map((a) => a.name)).toEqual([
    `textclf-${baseRun.id}-1`,
  ]);
  const baseMetrics = metricsOf(base);

  github.permissions.set('writer', 'write');
  github.permissions.set('reader', 'read');
  github.pulls.set(PR, {
    number: PR,
    head_sha: HEAD,
    head_ref: 'better-model',
    head_repo: github.fullName,
    base_ref: 'main',
    user: github.user('writer'),
  });
  const commentEvent = (login: string, body = '/train max_epochs=2') => {
    const c = github.addComment(PR, body, github.user(login));
    return {
      id: c.id,
      payload: {
        action: 'created',
        comment: { id: c.id, body, user: { login, type: 'User' } },
        issue: { number: PR, pull_request: { url: `${github.url}/repos/${github.fullName}/pulls/${PR}` } },
        repository: { full_name: github.fullName, default_branch: 'main' },
        sender: { login, type: 'User' },
      },
    };
  };
  // The /train job of examples/chatops-train.yml: step 1 checks the comment, step 3 trains if accepted.
  const chatopsWith = exampleWith('chatops-train.yml', 'train', 0);
  const trainWith: Record<string, string> = {
    ...exampleWith('chatops-train.yml', 'train', 2),
    ...here(),
    max_epochs: '5',
    batch_size: '32',
    learning_rate: '0.003',
  };
  expect(chatopsWith.mode).toBe('chatops');
  expect(trainWith.mode).toBe('train');

  // --- writer ---
  const w = commentEvent('writer');
  const wRun = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    head_sha: MAIN_SHA,
  });
  const common = { event: 'issue_comment', payload: w.payload, runId: wRun.id, job: 'train', workflow: WORKFLOW };
  const check = ok(await step({ ...common, name: 'writer-chatops', with: chatopsWith }), 'chatops step');
  expect(check.outputs).toEqual({
    accepted: 'true',
    reason: '',
    flags: '{"max_epochs":2}',
    head_sha: HEAD,
    head_ref: 'better-model',
    pr_number: String(PR),
  });
  expect(github.reactionsOn(w.id)).toEqual(['eyes']);
  expect(service.artifacts.some((a) => a.name.startsWith(`textclf-${wRun.id}`))).toBe(false); // checking trains nothing

  const trained = ok(await step({ ...common, name: 'writer-train', with: trainWith }), 'train step');
  const m = metricsOf(trained);
  expect(m.epochs.map((e) => e.epoch)).toEqual([1, 2]); // the comment's max_epochs=2 over the workflow's 5
  expect(m.run.flags.max_epochs).toBe(2);
  expect(trained.stdout.match(/^::group::Epoch \d\/\d$/gm)).toEqual(['::group::Epoch 1/2', '::group::Epoch 2/2']);
  expect(github.reactionsOn(w.id)).toEqual(['eyes', 'rocket']);
  const uploaded = service.artifacts.find((a) => String(a.id) === trained.outputs.artifact_id)!;
  expect(uploaded.name).toBe(`textclf-${wRun.id}-1`);

  const sticky = github
    .commentsOn(PR)
    .filter((c) => c.user.login === github.tokenUser.login && c.body.includes('Trained commit'));
  expect(sticky).toHaveLength(1);
  const body = sticky[0]!.body;
  expect(body).toContain(`Trained commit \`${HEAD.slice(0, 7)}\` · **2 epochs**`);
  expect(body).toContain(
    `[main @ ${MAIN_SHA.slice(0, 7)}](https://github.com/${github.fullName}/actions/runs/${baseRun.id})`,
  );
  const cur = finalOf(m),
    prev = finalOf(baseMetrics);
  expect(body).toContain(
    `| accuracy | ${pct(cur.accuracy)} | ${pct(prev.accuracy)} | ${expectedDelta('accuracy', cur.accuracy, prev.accuracy)} |`,
  );
  expect(body).toContain(`| F1 (macro) | ${pct(cur.f1)} | ${pct(prev.f1)} | ${expectedDelta('f1', cur.f1, prev.f1)} |`);
  expect(body).toContain(
    `| loss | ${cur.loss.toFixed(4)} | ${prev.loss.toFixed(4)} | ${expectedDelta('loss', cur.loss, prev.loss)} |`,
  );
  // One epoch at this learning rate is still at chance; two learn: every metric moved, the right way.
  expect(cur.accuracy - prev.accuracy).toBeGreaterThan(0.1);
  expect(body).toMatch(/\| accuracy \| .* \| ▲ \+[\d.]+ pp 🟢 \|/);
  expect(body).toMatch(/\| F1 \(macro\) \| .* \| ▲ \+[\d.]+ pp 🟢 \|/);
  expect(body).toMatch(/\| loss \| .* \| ▼ −[\d.]+ 🟢 \|/);
  expect(body).toContain('✅ Quality gates passed.'); // the example's fail_on_regression: 0.01
  expect(body).toContain('Requested by @writer with `/train`: max\\_epochs=2');
  expect(body).toContain(trained.outputs.artifact_url!);
  expect(trained.summary).toContain(`| Commit | ${HEAD} |`); // the PR head it trained, not GITHUB_SHA (main)

  // --- reader: the identical comment ---
  const stickyBefore = body;
  const r = commentEvent('reader');
  const rRun = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    head_sha: MAIN_SHA,
  });
  const rCommon = { event: 'issue_comment', payload: r.payload, runId: rRun.id, job: 'train', workflow: WORKFLOW };
  const refused = ok(await step({ ...rCommon, name: 'reader-chatops', with: chatopsWith }), 'chatops step (reader)');
  expect(refused.outputs).toEqual({
    accepted: 'false',
    reason: 'reader has read permission',
    flags: '{}',
    head_sha: '',
    head_ref: '',
    pr_number: '',
  });
  expect(github.reactionsOn(r.id)).toEqual(['-1']);
  const replies = github.commentsOn(PR).filter((c) => c.body.includes('@reader'));
  expect(replies).toHaveLength(1);
  expect(replies[0]!.body).toContain(
    '@reader `/train` needs write, maintain or admin permission on this repository (you have: read). No training was started.',
  );

  // Even if a workflow ran the train step anyway, the action checks again and does not train.
  const uploadsBefore = service.artifacts.length;
  const notTrained = ok(await step({ ...rCommon, name: 'reader-train', with: trainWith }), 'train step (reader)');
  expect(notTrained.stdout).toContain('::notice::not training: reader has read permission');
  expect(notTrained.stdout).not.toMatch(/::group::(Epoch|Tokenizing|Model)/);
  expect(notTrained.outputs).toEqual({});
  expect(notTrained.summary).toBe('');
  expect(service.artifacts.length).toBe(uploadsBefore);
  expect(existsSync(join(root, 'reader-train', 'workspace', 'runs'))).toBe(false); // no output_dir, no metrics.json
  expect(existsSync(join(root, 'writer-train', 'workspace', 'runs', 'textclf', 'metrics.json'))).toBe(true); // where it would be
  expect(github.reactionsOn(r.id)).toEqual(['-1']);
  expect(github.commentsOn(PR).filter((c) => c.body.includes('@reader'))).toEqual(replies); // answered once, not per step
  expect(github.comments.find((c) => c.id === sticky[0]!.id)!.body).toBe(stickyBefore);

  // The writer's run succeeded (GitHub lists issue_comment runs under main). A later /train on the
  // PR edits the same sticky comment and still compares with main's push run, not with that PR run.
  Object.assign(wRun, { status: 'completed', conclusion: 'success' });
  const again = commentEvent('writer', '/train max_epochs=1');
  const aRun = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    head_sha: MAIN_SHA,
  });
  const again1 = ok(
    await step({
      event: 'issue_comment',
      payload: again.payload,
      runId: aRun.id,
      job: 'train',
      workflow: WORKFLOW,
      name: 'writer-again',
      with: trainWith,
    }),
    'second /train',
  );
  expect(metricsOf(again1).epochs).toHaveLength(1);
  const stickies = github.commentsOn(PR).filter((c) => c.body.includes('Trained commit'));
  expect(stickies.map((c) => c.id)).toEqual([sticky[0]!.id]);
  expect(stickies[0]!.body).toContain('· **1 epoch** ·');
  expect(stickies[0]!.body).toContain(
    `[main @ ${MAIN_SHA.slice(0, 7)}](https://github.com/${github.fullName}/actions/runs/${baseRun.id})`,
  );
}, 120_000);

test('Must show (sweep): plan -> 4 trial runs -> aggregate, one table naming the best trial', async () => {
  const WF = 4343,
    WORKFLOW = 'textclf sweep';
  const sweep = 'learning_rate="[1e-3, 3e-3]" batch_size="[16, 32]"';
  const run = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'workflow_dispatch',
    status: 'in_progress',
    conclusion: null,
    head_sha: MAIN_SHA,
  });
  const dispatch = {
    event: 'workflow_dispatch',
    payload: {
      inputs: { sweep },
      ref: 'refs/heads/main',
      repository: { full_name: github.fullName, default_branch: 'main' },
    },
    runId: run.id,
    workflow: WORKFLOW,
  };

  // Job `plan` of examples/sweep.yml (its `sweep: ${{ inputs.sweep }}` evaluated).
  const planWith: Record<string, string> = { ...exampleWith('sweep.yml', 'plan', 0), sweep };
  expect(planWith.mode).toBe('plan');
  const plan = ok(await step({ ...dispatch, name: 'plan', job: 'plan', with: planWith }), 'plan step');
  expect(plan.outputs.trials).toBe('4');
  const matrix = JSON.parse(plan.outputs.matrix!) as { include: Record<string, string | number>[] };
  expect(matrix.include.map((c) => [c.trial, c.learning_rate, c.batch_size])).toEqual([
    ['trial-1', 0.001, 16],
    ['trial-2', 0.001, 32],
    ['trial-3', 0.003, 16],
    ['trial-4', 0.003, 32],
  ]);

  // Job `trial`: one step per matrix entry, its `with:` from the example with ${{ matrix.* }} filled in.
  const trials: { trial: string; metrics: MetricsFile; artifact: string }[] = [];
  for (const cell of matrix.include) {
    const w = exampleWith('sweep.yml', 'trial', 1, cell);
    expect(w).toMatchObject({
      artifact_name: `textclf-sweep-${cell.trial}`,
      learning_rate: String(cell.learning_rate),
      batch_size: String(cell.batch_size),
      max_epochs: '',
    });
    const r = ok(
      await step({ ...dispatch, name: String(cell.trial), job: 'trial', with: { ...w, ...here(), max_epochs: '2' } }),
      `trial ${cell.trial}`,
    );
    const m = metricsOf(r);
    expect([m.run.flags.learning_rate, m.run.flags.batch_size, m.epochs.length]).toEqual([
      cell.learning_rate,
      cell.batch_size,
      2,
    ]);
    expect(service.artifacts.find((a) => String(a.id) === r.outputs.artifact_id)?.name).toBe(
      `textclf-sweep-${cell.trial}`,
    );
    trials.push({ trial: String(cell.trial), metrics: m, artifact: r.outputs.artifact_id! });
  }
  expect(
    github.artifacts
      .filter((a) => a.run_id === run.id)
      .map((a) => a.name)
      .sort(),
  ).toEqual(matrix.include.map((c) => `textclf-sweep-${c.trial}`));

  // Job `aggregate`: downloads the four artifacts through the REST API and compares them.
  const aggWith = exampleWith('sweep.yml', 'aggregate', 0);
  expect(aggWith).toEqual({ mode: 'aggregate', artifact_name: 'textclf-sweep-' });
  const downloads = () =>
    github.requests.filter((q) => q.operationId === 'actions/download-artifact').map((q) => q.path);
  const before = downloads().length;
  const agg = ok(await step({ ...dispatch, name: 'aggregate', job: 'aggregate', with: aggWith }), 'aggregate step');
  const trialIds = github.artifacts
    .filter((a) => a.run_id === run.id)
    .map((a) => `/repos/${github.fullName}/actions/artifacts/${a.id}/zip`);
  expect(downloads().slice(before).sort()).toEqual(trialIds.sort());

  // The best trial, recomputed from the four metrics.json files: test accuracy, then F1, then lower loss.
  const ranked = [...trials].sort(
    (a, b) =>
      finalOf(b.metrics).accuracy - finalOf(a.metrics).accuracy ||
      finalOf(b.metrics).f1 - finalOf(a.metrics).f1 ||
      finalOf(a.metrics).loss - finalOf(b.metrics).loss,
  );
  const best = ranked[0]!.trial;
  expect(finalOf(ranked[0]!.metrics).accuracy).toBeGreaterThan(finalOf(ranked[1]!.metrics).accuracy); // won on accuracy, not a tie-break
  expect(agg.outputs).toEqual({ trials: '4', best });
  const esc = (v: unknown) => String(v).replace(/[-.]/g, (c) => `\\${c}`); // escapeMarkdown's escapes for these cells
  const s = agg.summary;
  expect(s).toContain(
    `**Sweep: 4 trials.** Best: ★ **${esc(best)}** (accuracy ${pct(finalOf(ranked[0]!.metrics).accuracy)}`,
  );
  expect(s).toContain('| | trial | batch\\_size | learning\\_rate | accuracy | F1 | loss | epochs | seconds |');
  for (const t of trials) {
    const f = finalOf(t.metrics);
    const name = t.trial === best ? `| ★ | **${esc(t.trial)}** |` : `|  | ${esc(t.trial)} |`;
    expect(s).toContain(
      `${name} ${t.metrics.run.flags.batch_size} | ${esc(t.metrics.run.flags.learning_rate)} | ${pct(f.accuracy)} | ${pct(f.f1)} | ${f.loss.toFixed(4)} | 2 |`,
    );
  }
  expect(s.match(/★/g)).toHaveLength(2); // the headline and the best row, nothing else
  expect(github.commentsOn(0)).toEqual([]); // workflow_dispatch: no pull request to comment on
}, 120_000);
