// Scheduled retraining (issue 6, item 4) through the real bundle: three `schedule` runs of
// `node dist/index.js` on one self-hosted runner (a shared tool cache) against servers this file
// starts on 127.0.0.1: a datastore server with ETag validators, the fake hub, results service +
// Azurite, and the GitHub REST fake (every request validated against @octokit/openapi).
//   run 1: no cached copy -> HEAD + GET; nothing to compare with yet.
//   run 2: source unchanged -> one conditional HEAD answered 304, no GET; summary deltas vs run 1.
//   run 3: source changed -> re-downloaded, new content trained; min_accuracy fails -> one issue.
//   run 4: unchanged again, still failing -> no GET; the same issue gets a comment.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import {
  buildActionCheckout,
  demoZipFiles,
  publishUploads,
  startStepServices,
  warmToolCache,
  type StepServices,
} from '../helpers/action-runner.js';
import type { ArtifactService } from '../helpers/artifact-service.js';
import { startDatastoreServer, type Route, type TestServer } from '../helpers/datastore-server.js';
import type { FakeHub } from '../helpers/fake-hub.js';
import type { GitHubFake } from '../helpers/github-fake.js';
import { makeZip } from '../helpers/zip.js';
import { inputEnv, runNodeStep, runnerFiles, type StepResult } from '../helpers/runner-env.js';

const TOKEN = 'ghs_scheduleE2eToken0123456789';
const MODEL = 'textclf-test/tiny-bert';
const SHA = 'd'.repeat(40);
const WF = 5151,
  WORKFLOW = 'nightly retrain';

let root: string, actionDir: string, toolCache: string;
let services: StepServices, service: ArtifactService, datastore: TestServer, hub: FakeHub, github: GitHubFake;
const published = new Set<number>();
const route: Route = { contentType: 'application/zip' };
let zip1: Buffer, zip2: Buffer;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-schedule-dist-'));
  actionDir = buildActionCheckout(join(root, 'action'));
  toolCache = join(root, 'toolcache');
  warmToolCache(toolCache);
  const demo = await prepareDemo(join(root, 'demo'), 42);
  const files = demoZipFiles(demo.datastore!);
  zip1 = makeZip(files);
  // The nightly export grew: the training file gains a copy of its own rows.
  const train = files['imdb-demo/train.csv']!.toString('utf8');
  zip2 = makeZip({ ...files, 'imdb-demo/train.csv': Buffer.from(train + train.split('\n').slice(1).join('\n')) });
  Object.assign(route, { body: zip1, etag: '"export-1"' });
  datastore = await startDatastoreServer({ '/imdb-demo.zip': route });
  services = await startStepServices(MODEL, demo.model_name_or_path!);
  services.github.addToken(TOKEN); // the workflow's GITHUB_TOKEN: github-actions[bot]
  ({ hub, service, github } = services);
}, 120_000);

afterAll(async () => {
  await Promise.all([datastore?.close(), services?.close()]);
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  expect(github.violations).toEqual([]);
});

/** One scheduled run of the workflow: a run the REST fake knows, node dist/index.js, uploads published under it. */
async function scheduled(
  name: string,
  withInputs: Record<string, string>,
): Promise<{ r: StepResult; runId: number; datastoreRequests: string[] }> {
  const run = github.addRun({
    workflow_id: WF,
    name: WORKFLOW,
    event: 'schedule',
    status: 'in_progress',
    conclusion: null,
    head_sha: SHA,
  });
  const from = datastore.requests.length;
  const files = runnerFiles(join(root, name), {
    schedule: '17 3 * * *',
    repository: { full_name: github.fullName, default_branch: 'main' },
  });
  const r = await runNodeStep(join(actionDir, 'dist', 'index.js'), files, {
    GITHUB_EVENT_NAME: 'schedule',
    GITHUB_REPOSITORY: github.fullName,
    GITHUB_RUN_ID: String(run.id),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_SHA: SHA,
    GITHUB_REF: 'refs/heads/main',
    GITHUB_WORKFLOW: WORKFLOW,
    GITHUB_JOB: 'retrain',
    GITHUB_API_URL: github.url,
    RUNNER_TOOL_CACHE: toolCache,
    ACTIONS_RUNTIME_TOKEN: service.runtimeToken,
    ACTIONS_RESULTS_URL: service.url,
    ...inputEnv(
      join(actionDir, 'action.yml'),
      {
        datastore: datastore.url('/imdb-demo.zip'),
        model_name_or_path: MODEL,
        hub_url: hub.url,
        gpus: '0',
        max_length: '32',
        threads: '1',
        max_epochs: '3',
        batch_size: '16',
        learning_rate: '0.003',
        warmup_steps: '4',
        save_checkpoints: 'last',
        retention_days: '1',
        ...withInputs,
      },
      TOKEN,
    ),
  });
  await publishUploads(service, github, run.id, root, published);
  Object.assign(run, { status: 'completed', conclusion: r.code === 0 ? 'success' : 'failure' });
  return { r, runId: run.id, datastoreRequests: datastore.requests.slice(from).map((q) => `${q.method} ${q.status}`) };
}

function ok(r: StepResult, what: string): StepResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}):\n${r.stdout.slice(-4000)}`);
  return r;
}
const metricsOf = (r: StepResult) =>
  JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
const contentVersion = (b: Buffer) => `0.0.0-c${createHash('sha256').update(b).digest('hex').slice(0, 12)}`;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** The delta cell as formatted for the summary, computed here from the two metrics files. */
function expectedDelta(metric: 'accuracy' | 'f1' | 'loss', cur: number, base: number): string {
  const d = cur - base;
  const size = metric === 'loss' ? Math.abs(d).toFixed(4) : `${(Math.abs(d) * 100).toFixed(2)} pp`;
  if (Math.abs(d) < 5e-5) return `= ${size}`;
  const good = metric === 'loss' ? d < 0 : d > 0;
  return `${d > 0 ? `▲ +${size}` : `▼ −${size}`} ${good ? '🟢' : '🔴'}`;
}

test('scheduled retraining: unchanged source is not downloaded again and is compared with the previous scheduled run; a changed source is; a failing gate opens one issue and later failures update it', async () => {
  const started = Date.now();
  // --- run 1: first nightly. The datastore is fetched (HEAD for its validators, then GET).
  const one = await scheduled('nightly-1', { seed: '42' });
  ok(one.r, 'scheduled run 1');
  expect(one.datastoreRequests).toEqual(['HEAD 200', 'GET 200']);
  const m1 = metricsOf(one.r);
  expect(m1.run.datastore).toBe(`imdb-demo@${contentVersion(zip1)}`);
  expect(one.r.summary).toContain('## Compared with the previous scheduled run');
  expect(one.r.summary).toContain(
    '_Nothing to compare with: no successful run of this workflow on the default branch \\(event schedule\\)._',
  );
  expect(github.artifacts.filter((a) => a.run_id === one.runId).map((a) => a.name)).toEqual([`textclf-${one.runId}-1`]);

  // --- run 2: the source is unchanged: one conditional HEAD, answered 304, and no GET at all.
  const two = await scheduled('nightly-2', { seed: '7' });
  ok(two.r, 'scheduled run 2');
  expect(two.datastoreRequests).toEqual(['HEAD 304']);
  expect(datastore.requests.at(-1)!.headers['if-none-match']).toBe('"export-1"');
  expect(two.r.stdout).toMatch(
    /the server answered 304 Not Modified; using the cached imdb-demo@0\.0\.0-c[0-9a-f]{12} \(no download\)/,
  );
  const m2 = metricsOf(two.r);
  expect(m2.run.datastore).toBe(m1.run.datastore);
  // The summary's deltas are against run 1 (the previous scheduled run), recomputed here from both metrics files.
  const base = `[previous scheduled run ${one.runId} @ ${SHA.slice(0, 7)}](https://github.com/${github.fullName}/actions/runs/${one.runId})`;
  expect(two.r.summary).toContain(`| test | this run | ${base} | Δ |`);
  for (const [metric, label] of [
    ['accuracy', 'accuracy'],
    ['f1', 'F1 (macro)'],
  ] as const) {
    expect(two.r.summary).toContain(
      `| ${label} | ${pct(m2.test![metric])} | ${pct(m1.test![metric])} | ${expectedDelta(metric, m2.test![metric], m1.test![metric])} |`,
    );
  }
  expect(two.r.summary).toContain(
    `| loss | ${m2.test!.loss.toFixed(4)} | ${m1.test!.loss.toFixed(4)} | ${expectedDelta('loss', m2.test!.loss, m1.test!.loss)} |`,
  );
  expect(readFileSync(two.r.outputs.report_path!, 'utf8').trim()).toBe(two.r.summary.trim()); // report.md = summary
  expect(github.issues).toEqual([]);

  // --- run 3: the nightly export changed (new ETag, new bytes): re-downloaded and trained on; the gate fails.
  Object.assign(route, { body: zip2, etag: '"export-2"' });
  const three = await scheduled('nightly-3', { seed: '7', min_accuracy: '1' });
  expect(three.r.code).toBe(1);
  expect(three.datastoreRequests).toEqual(['HEAD 200', 'GET 200']);
  expect(three.r.stdout).toMatch(
    /^::notice::Datastore http:\/\/127\.0\.0\.1:\d+\/imdb-demo\.zip changed \(ETag changed \("export-1" → "export-2"\)\)/m,
  );
  const m3 = metricsOf(three.r);
  expect(m3.run.datastore).toBe(`imdb-demo@${contentVersion(zip2)}`);
  expect(m3.dataset!.rows.train).toBe(2 * m2.dataset!.rows.train!);
  expect(m3.test!.accuracy).toBeLessThan(1);
  // (workflow-command escaping: ':' in a property is %3A, '%' in the message %25)
  expect(three.r.stdout).toContain(
    `::error title=textclf%3A QualityGateError::min_accuracy: accuracy ${pct(m3.test!.accuracy)}25 is below 100.00%25`,
  );
  expect(three.r.summary).toContain(`[previous scheduled run ${two.runId} @ ${SHA.slice(0, 7)}]`);
  expect(three.r.summary).toContain('❌ Quality gates failed:');
  const issues = github.issues.filter((i) => i.labels.includes('textclf-quality-gate'));
  expect(issues).toHaveLength(1);
  expect(issues[0]!.state).toBe('open');
  expect(issues[0]!.title).toBe(`textclf: quality gate failed in scheduled run of ${WORKFLOW}`);
  expect(issues[0]!.body).toContain(`(https://github.com/${github.fullName}/actions/runs/${three.runId})`);
  expect(issues[0]!.body).toContain('min\\_accuracy: accuracy');
  // The artifact of the failed run was still published (the model is there to inspect).
  expect(github.artifacts.filter((a) => a.run_id === three.runId).map((a) => a.name)).toEqual([
    `textclf-${three.runId}-1`,
  ]);

  // --- run 4: still failing, source unchanged since run 3: no GET, and the same issue gets a comment (no second issue).
  const four = await scheduled('nightly-4', { seed: '7', min_accuracy: '1' });
  expect(four.r.code).toBe(1);
  expect(four.datastoreRequests).toEqual(['HEAD 304']);
  expect(metricsOf(four.r).run.datastore).toBe(m3.run.datastore);
  expect(four.r.summary).toContain(`[previous scheduled run ${two.runId} @ ${SHA.slice(0, 7)}]`); // run 3 failed: not a baseline
  expect(github.issues.filter((i) => i.labels.includes('textclf-quality-gate'))).toHaveLength(1);
  const comments = github.commentsOn(issues[0]!.number);
  expect(comments).toHaveLength(1);
  expect(comments[0]!.body).toContain(`(https://github.com/${github.fullName}/actions/runs/${four.runId})`);
  console.log(
    `schedule e2e: 4 runs in ${((Date.now() - started) / 1000).toFixed(1)} s (${[one, two, three, four].map((x) => x.r.seconds.toFixed(1)).join(' + ')} s); ` +
      `test accuracy ${[m1, m2, m3].map((m) => pct(m.test!.accuracy)).join(', ')}`,
  );
}, 120_000);
