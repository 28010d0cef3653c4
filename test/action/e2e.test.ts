// The action as the runner runs it: build dist/ into a fresh "action checkout" (no node_modules),
// then `node dist/index.js` with INPUT_* (every action.yml input, defaults as the runner fills
// them), GITHUB_* files, RUNNER_TOOL_CACHE/RUNNER_TEMP and the results-service variables, against
// servers this test starts on 127.0.0.1: npm registry mirror (onnxruntime-node is provisioned),
// datastore server, fake hub, artifact results service + Azurite, GitHub REST fake.
// Asserts on results: outputs file, job summary, the artifact downloaded back and its checkpoint
// loaded and run; a SIGTERM mid-training leaves an uploaded checkpoint that resumes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareDemo } from '../../src/demo/prepare.js';
import { parseFlags } from '../../src/config/parse.js';
import { lineLogger } from '../../src/util/logger.js';
import { runTraining } from '../../src/train/run.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import {
  buildActionCheckout,
  demoZipFiles,
  downloadArtifact,
  startStepServices,
  walkRel,
  warmToolCache,
  type StepServices,
} from '../helpers/action-runner.js';
import type { ArtifactService } from '../helpers/artifact-service.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import type { FakeHub } from '../helpers/fake-hub.js';
import { startHubApiFake, type HubApiFake } from '../helpers/hub-api-fake.js';
import type { GitHubFake } from '../helpers/github-fake.js';
import { makeZip } from '../helpers/zip.js';
import { parse } from 'csv-parse/sync';
import { packClosure, startNpmRegistry, type LocalRegistry } from '../helpers/npm-registry.js';
import { inputEnv, runNodeStep, runnerFiles, type StepResult } from '../helpers/runner-env.js';
import { absolutePathsIn, renderInBrowser } from '../helpers/report-browser.js';
import { chartProblems, numberProblems, pathProblems, worstContrast } from '../helpers/report-checks.js';
import { FEEDS, providerLibraries, providerNupkg, startNugetServer } from '../helpers/nuget-source.js';
import { fakeNvidiaSmi } from '../helpers/fake-nvidia-smi.js';

const repo = new URL('../..', import.meta.url).pathname;
const TOKEN = 'ghs_e2eSecretToken0123456789';
const HF_TOKEN = 'hf_e2eCiBotWriteToken0123456789';

/** An output that must be a number: '' or 'NaN' fail here (Number('') is 0, which passes >= 0). */
function numeric(output: string | undefined): number {
  expect(output).toMatch(/^-?\d+(\.\d+)?(e-?\d+)?$/);
  return Number(output);
}
const MODEL = 'textclf-test/tiny-bert';

let root: string, actionDir: string, toolCache: string;
/** The workflow run the push-triggered steps belong to (the REST fake knows it, as GitHub would). */
let RUN = 0;
let services: StepServices,
  service: ArtifactService,
  registry: LocalRegistry,
  datastore: TestServer,
  hub: FakeHub,
  /** The Hub a run pushes to (push_to_hub): it serves the base model too, as huggingface.co does. */
  hubApi: HubApiFake,
  github: GitHubFake;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'textclf-action-e2e-'));
  // The runner checks out the action repository: action.yml, package.json, dist/ (no node_modules).
  actionDir = buildActionCheckout(join(root, 'action'));
  toolCache = join(root, 'toolcache');

  const demo = await prepareDemo(join(root, 'demo'), 42);
  datastore = await startDatastoreServer({
    '/imdb-demo.zip': { body: makeZip(demoZipFiles(demo.datastore!)), contentType: 'application/zip' },
  });
  registry = await startNpmRegistry(packClosure(join(repo, 'node_modules', 'onnxruntime-node')));
  services = await startStepServices(MODEL, demo.model_name_or_path!);
  services.github.addToken(TOKEN); // the workflow's GITHUB_TOKEN: github-actions[bot]
  ({ hub, service, github } = services);
  hubApi = await startHubApiFake([{ name: 'ci-bot', token: HF_TOKEN, orgs: ['acme'] }]);
  hubApi.addRepo(MODEL, {
    files: Object.fromEntries(
      readdirSync(demo.model_name_or_path!).map((f) => [f, readFileSync(join(demo.model_name_or_path!, f))]),
    ),
  });
  RUN = github.addRun({
    workflow_id: 900,
    event: 'push',
    status: 'in_progress',
    conclusion: null,
    head_sha: 'c'.repeat(40),
    created_at: new Date().toISOString(),
  }).id;
}, 180_000);

afterAll(async () => {
  await Promise.all([registry?.close(), datastore?.close(), services?.close(), hubApi?.close()]);
  rmSync(root, { recursive: true, force: true });
});

// Every REST call the action made was valid against GitHub's OpenAPI description.
afterEach(() => {
  expect(github.violations).toEqual([]);
});

type ActionRun = StepResult;

interface RunOpts {
  cancelWhen?: RegExp;
  env?: Record<string, string>;
  event?: { name: string; payload: unknown };
  runId?: number;
  attempt?: string;
  cancelDelayMs?: number;
}

async function runAction(name: string, withInputs: Record<string, string>, opts: RunOpts = {}): Promise<ActionRun> {
  const files = runnerFiles(
    join(root, name),
    opts.event?.payload ?? {
      ref: 'refs/heads/main',
      after: 'c'.repeat(40),
      repository: { full_name: `${github.owner}/${github.repo}` },
    },
  );
  return runNodeStep(
    join(actionDir, 'dist', 'index.js'),
    files,
    {
      GITHUB_EVENT_NAME: opts.event?.name ?? 'push',
      GITHUB_REPOSITORY: `${github.owner}/${github.repo}`,
      GITHUB_RUN_ID: String(opts.runId ?? RUN),
      // Re-runs of the same workflow run: each step here is another attempt, so artifact names differ.
      GITHUB_RUN_ATTEMPT:
        opts.attempt ??
        ({ cancel: '2', 'gpu-strict': '3', 'gpu-fallback': '4' } as Record<string, string>)[name] ??
        '1',
      GITHUB_SHA: 'c'.repeat(40),
      GITHUB_REF: 'refs/heads/main',
      GITHUB_WORKFLOW: 'train',
      GITHUB_JOB: 'train',
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
          max_length: '32',
          batch_size: '32',
          learning_rate: '0.001',
          warmup_steps: '4',
          seed: '42',
          threads: '1',
          npm_registry: registry.url,
          retention_days: '3',
          save_checkpoints: 'best',
          ...withInputs,
        },
        TOKEN,
      ),
      ...opts.env,
    },
    { cancelWhen: opts.cancelWhen, cancelDelayMs: opts.cancelDelayMs },
  );
}

/** What the runs below showed people (job summaries, the PR comment), for the browser check at the end. */
const shown: { name: string; markdown: string; metrics: MetricsFile }[] = [];
const metricsOf = (r: ActionRun) =>
  JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;

/** The inputs of a push to the Hub this file starts (the base model comes from it too). */
const hubInputs = (repo: string) => ({
  hub_url: hubApi.url,
  hub_token: HF_TOKEN,
  hub_model_id: repo,
  hub_strategy: 'end',
});

/** Files under `dir` whose bytes contain `secret`. */
function filesContaining(dir: string, secret: string): string[] {
  return walkRel(dir).filter((f) => readFileSync(join(dir, f)).includes(Buffer.from(secret)));
}

function download(id: number, name: string): Promise<string> {
  return downloadArtifact(service, id, join(root, `download-${name}`));
}

test('Must show: a tiny-model run of node dist/index.js trains, reports, uploads (<= 3 min on CPU)', async () => {
  const r = await runAction('train', { max_epochs: '2', limit_train_batches: '8' });
  if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout.slice(-4000)}`);
  expect(r.seconds).toBeLessThanOrEqual(180);

  // onnxruntime-node came from the local registry into the tool cache (no node_modules next to the action).
  expect(registry.requests).toContain('/onnxruntime-node/-/onnxruntime-node-1.30.0.tgz');
  expect(
    existsSync(
      join(toolCache, 'onnxruntime-node', '1.30.0', process.arch, 'node_modules', 'onnxruntime-node', 'package.json'),
    ),
  ).toBe(true);

  // Token: only ever printed inside the ::add-mask:: command that tells the runner to hide it.
  expect(
    r.stdout
      .split('\n')
      .filter((l) => l.includes(TOKEN))
      .every((l) => l.startsWith('::add-mask::')),
  ).toBe(true);
  const groups = [...r.stdout.matchAll(/^::group::(.*)$/gm)].map((m) => m[1]);
  expect(groups).toEqual([
    expect.stringMatching(/^Provisioning onnxruntime-node 1\.30\.0 from http:\/\/127\.0\.0\.1:\d+\/$/),
    'Datastore',
    'Model',
    'Tokenizing',
    'Epoch 1/2',
    'Epoch 2/2',
    'Test',
    `Upload artifact textclf-${RUN}-1`,
  ]);
  expect(r.stdout.match(/^::group::/gm)!.length).toBe(r.stdout.match(/^::endgroup::/gm)!.length);
  // Each phase's lines are inside its group (a group that opens and closes empty hides nothing and says nothing).
  for (const name of ['Datastore', 'Model', 'Test']) {
    const body = r.stdout.split(`::group::${name}\n`)[1]?.split('::endgroup::')[0] ?? '';
    expect([name, body.trim().length > 0]).toEqual([name, true]);
  }

  // Outputs.
  const o = r.outputs;
  const metrics = JSON.parse(readFileSync(join(o.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
  expect(numeric(o.accuracy)).toBeCloseTo(metrics.test!.accuracy, 10);
  expect(numeric(o.f1)).toBeCloseTo(metrics.test!.f1, 10);
  expect(numeric(o.loss)).toBeCloseTo(metrics.test!.loss, 10);
  expect(metrics.epochs).toHaveLength(2);
  const stored = service.artifacts.find((a) => String(a.id) === o.artifact_id)!;
  expect(stored.name).toBe(`textclf-${RUN}-1`);
  expect((Date.parse(stored.expiresAt!) - Date.now()) / 86_400_000).toBeCloseTo(3, 1); // retention_days: 3
  expect(o.artifact_url).toBe(
    `https://github.com/${github.owner}/${github.repo}/actions/runs/${RUN}/artifacts/${stored.id}`,
  );
  expect(existsSync(join(o.checkpoint_dir!, 'onnx', 'model.onnx'))).toBe(true);

  // Job summary = report.md: header, metrics, curves, confusion matrix, artifact link.
  expect(r.summary.trim()).toBe(readFileSync(o.report_path!, 'utf8').trim());
  expect(r.summary).toContain(`## Text classification: ${MODEL.replace(/_/g, '\\_')}`);
  expect(r.summary).toContain(`| Commit | ${'c'.repeat(40)} |`);
  expect(r.summary).toContain(`| test | ${(metrics.test!.accuracy * 100).toFixed(2)}% |`);
  expect(r.summary.match(/```mermaid\n%%\{init: .*\}%%\nxychart-beta/g)?.length).toBe(2);
  shown.push({ name: 'action-job-summary', markdown: r.summary, metrics });
  expect(r.summary).toContain('### Confusion matrix (test)');
  expect(r.summary).toContain(`- [textclf-${RUN}-1](${o.artifact_url})`);
  // No warning annotations: a new classifier head is what a fresh fine-tune expects, so HF's
  // "newly initialized" message is logged as information, not as an annotation on every run.
  expect(r.stdout.split('\n').filter((l) => l.startsWith('::warning'))).toEqual([]);
  expect(r.stdout).toContain('are newly initialized: [');

  // The artifact, downloaded back: run files, TensorBoard, one checkpoint that loads and runs.
  const dir = await download(stored.id, 'train');
  const files = walkRel(dir);
  for (const f of ['metrics.json', 'metrics.jsonl', 'predictions.csv', 'report.md']) expect(files).toContain(f);
  expect(files.some((f) => /^tensorboard\/train\/events\.out\.tfevents\./.test(f))).toBe(true);
  // save_checkpoints: best -> exactly the best validation epoch's checkpoint.
  const best = `checkpoints/epoch-${metrics.bestEpoch}`;
  expect([
    ...new Set(files.filter((f) => f.startsWith('checkpoints/')).map((f) => f.split('/').slice(0, 2).join('/'))),
  ]).toEqual([best]);
  expect(files).toContain(`${best}/onnx/model.onnx`);
  const script = `
    import { pipeline, env } from '@huggingface/transformers';
    env.allowRemoteModels = false;
    const clf = await pipeline('text-classification', process.argv[1], { dtype: 'fp32' });
    const out = await clf(['a wonderful, moving film', 'a dull and boring mess']);
    console.log(JSON.stringify(out));`;
  const preds = JSON.parse(
    execFileSync(process.execPath, ['--input-type=module', '-e', script, join(dir, best)], {
      cwd: repo,
      encoding: 'utf8',
    }),
  ) as { label: string; score: number }[];
  expect(preds).toHaveLength(2);
  for (const p of preds) {
    expect(metrics.labels).toContain(p.label);
    expect(p.score).toBeGreaterThan(0);
  }
}, 240_000);

test('Must show: SIGINT + SIGTERM mid-epoch (a runner cancel) leaves an uploaded checkpoint that resumes', async () => {
  const r = await runAction(
    'cancel',
    { max_epochs: '200', save_checkpoints: 'last' },
    { cancelWhen: /training [\d,]+ parameters on/ },
  );
  expect(r.code).not.toBe(0);
  expect(r.stdout).toMatch(/SIGINT: stopping after the current step/);
  expect(r.stdout).toMatch(/::error title=textclf::training was cancelled at step \d+/);
  const id = Number(r.outputs.artifact_id);
  expect(service.artifacts.find((a) => a.id === id)?.name).toBe(`textclf-${RUN}-2`);
  expect(r.stdout).toMatch(/SIGTERM again: still saving and uploading the checkpoint/);
  // However many runs this file made, onnxruntime-node was fetched once; later runs use the tool cache.
  expect(registry.requests.filter((p) => p.endsWith('onnxruntime-node-1.30.0.tgz'))).toHaveLength(1);

  const dir = await download(id, 'cancel');
  const ckpt = join(dir, 'checkpoints', 'interrupted');
  const state = JSON.parse(readFileSync(join(ckpt, 'trainer_state.json'), 'utf8')) as { step: number; epoch: number };
  expect(state.step).toBeGreaterThan(0);
  expect(typeof (state as { stepInEpoch?: number }).stepInEpoch).toBe('number');
  const uploaded = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as MetricsFile;
  expect(uploaded.run.cancelled).toBe(true);
  shown.push({ name: 'action-job-summary-cancelled', markdown: r.summary, metrics: uploaded });

  // Resume from the downloaded checkpoint: training continues from its step and finishes.
  const lines: string[] = [];
  const flags = parseFlags(
    {
      datastore: join(root, 'demo', 'data'),
      resume_from: ckpt,
      model_name_or_path: MODEL,
      max_length: '32',
      batch_size: '32',
      max_epochs: String(state.epoch + 2),
      learning_rate: '0.001',
      output_dir: join(root, 'resumed'),
      threads: '1',
    },
    'cli',
  );
  const resumed = await runTraining(flags, { log: lineLogger((l) => lines.push(l)) });
  expect(lines.some((l) => l.includes(`resumed from ${ckpt}`))).toBe(true);
  expect(resumed.metrics.run.totalSteps).toBeGreaterThan(state.step);
  expect(resumed.metrics.run.cancelled).toBeUndefined();
}, 240_000);

test('an artifact upload that fails after training: the summary says what failed and where the results are; the job fails', async () => {
  service.failNext('CreateArtifact', 3, 403); // every attempt refused (a 4xx is not retried inside @actions/artifact)
  const r = await runAction('upload-fails', { max_epochs: '1', limit_train_batches: '2' }, { attempt: '5' });
  expect(r.code).toBe(1);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(/uploading artifact 'textclf-\d+-5' failed after 3 attempts/);
  // The results are not lost: the summary is the report, with the failure and the folder named.
  expect(r.summary).toContain('> [!WARNING]');
  expect(r.summary).toMatch(/The artifact upload failed: .*Training finished and every result is on the runner in /);
  expect(r.summary).toContain('| Status | finished |');
  expect(r.summary).toMatch(/\| test \| \d+\.\d+% \|/);
  expect(r.outputs.artifact_id).toBe('');
  expect(Number.isFinite(numeric(r.outputs.accuracy))).toBe(true);
  expect(existsSync(join(r.outputs.checkpoint_dir!, 'model.safetensors'))).toBe(true);
  expect(readFileSync(r.outputs.report_path!, 'utf8').trim()).toBe(r.summary.trim());
  shown.push({ name: 'action-job-summary-upload-failed', markdown: r.summary, metrics: metricsOf(r) });
}, 120_000);

test('push_to_hub on a push to the default branch: a push that fails mid-way keeps every result, says so in the summary, and fails the job after it', async () => {
  hubApi.fail({ method: 'POST', path: /^\/api\/models\/acme\/flaky\/commit\//, status: 503 });
  const r = await runAction(
    'hub-fails',
    { max_epochs: '1', limit_train_batches: '2', ...hubInputs('acme/flaky'), push_to_hub: 'true' },
    {
      attempt: '6',
      env: { HF_ENDPOINT: hubApi.url },
      event: {
        name: 'push',
        payload: {
          ref: 'refs/heads/main',
          after: 'c'.repeat(40),
          repository: { full_name: github.fullName, default_branch: 'main' },
        },
      },
    },
  );
  expect(r.code).toBe(1);
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors).toHaveLength(1);
  expect(errors[0]).toMatch(
    /^::error title=textclf%3A input push_to_hub::the push to the Hugging Face Hub \(acme\/flaky\) failed: .*HTTP 503.*Training finished; every result is in the artifact textclf-\d+-6/,
  );
  // nothing landed, everything is kept: the artifact, the model with its card, the report saying what failed
  expect([...hubApi.repos.get('acme/flaky')!.files.keys()]).toEqual(['.gitattributes']);
  expect(r.outputs.artifact_id).not.toBe('');
  expect(r.outputs.hub_commit_url).toBe('');
  for (const f of ['model.safetensors', 'onnx/model.onnx', 'README.md'])
    expect(existsSync(join(r.outputs.checkpoint_dir!, f))).toBe(true);
  expect(r.summary).toMatch(
    /> \[!WARNING\]\n> The push to the Hugging Face Hub \(acme\/flaky\) failed: .*Training finished and every result is in /,
  );
  expect(r.summary).toMatch(/\| test \| \d+\.\d+% \|/);
}, 120_000);

test('a bad input fails the step with an annotation naming the input and the allowed values', async () => {
  const r = await runAction('bad-input', { max_epochs: 'three' });
  expect(r.code).toBe(1);
  // Annotation properties are escaped by the workflow-command protocol (':' -> %3A).
  const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
  expect(errors).toEqual([
    "::error title=textclf%3A input max_epochs::--max_epochs: 'three' is not valid; expected an integer >= 1 and <= 1000",
  ]);
  expect(r.outputs).toEqual({});
}, 60_000);

describe('a runner without npm registry access (npm_registry at a closed port)', () => {
  const CLOSED_REGISTRY = 'http://127.0.0.1:9/'; // nothing listens on the discard port: connections are refused

  test('Must show: with a seeded tool cache (the layout textclf provision writes) it trains on the CPU and uploads', async () => {
    const seeded = join(root, 'toolcache-seeded');
    warmToolCache(seeded);
    const r = await runAction(
      'offline-seeded',
      // resume: never: the cancelled attempt earlier in this file would otherwise be continued
      { max_epochs: '1', limit_train_batches: '2', npm_registry: CLOSED_REGISTRY, resume: 'never' },
      { attempt: '11', env: { RUNNER_TOOL_CACHE: seeded } },
    );
    if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout.slice(-3000)}`);
    const pkg = join(seeded, 'onnxruntime-node', '1.30.0', process.arch, 'node_modules', 'onnxruntime-node');
    expect(r.stdout).toContain(`onnxruntime-node 1.30.0: using the tool cache (${pkg})`);
    expect(r.stdout).not.toContain(CLOSED_REGISTRY); // never needed
    expect(r.summary).toContain('| Device | cpu |');
    const m = JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
    expect(m.run.totalSteps).toBe(2);
    expect(Number(r.outputs.artifact_id)).toBeGreaterThan(0);
  }, 60_000);

  test('Must show: with an empty tool cache it fails in < 30 s naming the registry and textclf provision', async () => {
    const r = await runAction(
      'offline-empty',
      { max_epochs: '1', npm_registry: CLOSED_REGISTRY },
      { attempt: '12', env: { RUNNER_TOOL_CACHE: join(root, 'toolcache-empty') } },
    );
    expect(r.code).toBe(1);
    expect(r.seconds).toBeLessThan(30);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`npm registry ${CLOSED_REGISTRY} is unreachable while fetching onnxruntime-node (`);
    expect(errors[0]).toContain('ECONNREFUSED');
    expect(errors[0]).toContain('run `textclf provision --dir DIR` where the registry is reachable');
  }, 60_000);
});

test('device: cuda on a V100 runner without CUDA libraries: provisions the CUDA 12 build, then fails with the fix, or (no Vulkan driver either) trains on CPU with allow_cpu_fallback', async () => {
  // ORT's CUDA 12 feed on 127.0.0.1 (cuda_provider_url), and nvidia-smi answering as a V100 on R535.
  const nuget = await startNugetServer({
    [FEEDS.cuda12]: { packages: [providerNupkg('1.30.0', providerLibraries(12))] },
  });
  const smi = fakeNvidiaSmi(join(root, 'smi-v100'), ['Tesla V100-SXM2-16GB, 7.0, 535.104.05, 16384 MiB']);
  try {
    const env = { PATH: `${smi}:${process.env.PATH}` };
    const inputs = { gpus: '1', device: 'cuda', cuda_provider_url: nuget.index(FEEDS.cuda12) };
    const strict = await runAction('gpu-strict', { ...inputs, max_epochs: '1', limit_train_batches: '2' }, { env });
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain(
      'CUDA provider: Tesla V100-SXM2-16GB (compute capability 7.0, driver 535.104.05) needs the CUDA 12 build',
    );
    expect(strict.stdout).toContain(
      'verified the CUDA 12 provider: CUDA 12, cuDNN 9; kernels for sm_60, sm_70, sm_75, sm_80, sm_86, sm_89, sm_90a, sm_120a',
    );
    const errors = strict.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error title=textclf%3A input device::device cuda:0 cannot run on this machine: .*WebGPU's only adapter is a software one .*--device cpu trains faster\. Or set allow_cpu_fallback: true/,
    );
    const entry = join(toolCache, 'onnxruntime-node-cuda12', '1.30.0', 'x64', 'node_modules', 'onnxruntime-node');
    const bin = join(entry, 'bin', 'napi-v6', 'linux', 'x64');
    expect(existsSync(join(bin, 'libonnxruntime_providers_cuda.so'))).toBe(process.arch === 'x64');

    nuget.requests.length = 0;
    const fallback = await runAction(
      'gpu-fallback',
      { ...inputs, allow_cpu_fallback: 'true', max_epochs: '1', limit_train_batches: '2' },
      // no Vulkan driver: no WebGPU adapter to fall back to before the CPU
      { env: { ...env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' } },
    );
    if (fallback.code !== 0) throw new Error(`action failed (${fallback.code}):\n${fallback.stdout.slice(-3000)}`);
    expect(nuget.requests).toEqual([]); // the cached entry served
    expect(fallback.stdout).toContain(
      `onnxruntime-node 1.30.0 with the CUDA 12 provider: using the tool cache (${entry}; Microsoft.ML.OnnxRuntime.Gpu.Linux from ${nuget.index(FEEDS.cuda12)})`,
    );
    expect(fallback.stdout).toMatch(
      /^::warning::device cuda:0: CUDA cannot run \(.*\); training on the CPU because allow_cpu_fallback is true$/m,
    );
    expect(fallback.summary).toContain('| Device | cpu |');
    const fm = JSON.parse(
      readFileSync(join(fallback.outputs.report_path!, '..', 'metrics.json'), 'utf8'),
    ) as MetricsFile;
    expect(numeric(fallback.outputs.accuracy)).toBeCloseTo(fm.test!.accuracy, 10);
    // The report data names the build, why, where it came from and where it is cached.
    expect(fm.run.cudaProvider).toMatchObject({
      build: '12',
      version: '1.30.0',
      source: `Microsoft.ML.OnnxRuntime.Gpu.Linux from ${nuget.index(FEEDS.cuda12)}`,
      cachedAt: entry,
    });
    expect(fm.run.cudaProvider!.reason).toMatch(
      /^Tesla V100-SXM2-16GB \(compute capability 7\.0, driver 535\.104\.05\) needs the CUDA 12 build/,
    );
  } finally {
    await nuget.close();
  }
}, 180_000);

test("issue_comment: a writer's /train max_epochs=1 trains one epoch, reacts, and posts the sticky PR comment with the artifact", async () => {
  const PR = 31;
  github.permissions.set('writer', 'write');
  github.pulls.set(PR, {
    number: PR,
    head_sha: '9'.repeat(40),
    head_ref: 'better-model',
    head_repo: github.fullName,
    base_ref: 'main',
    user: github.user('writer'),
  });
  const current = github.addRun({
    workflow_id: 901,
    event: 'issue_comment',
    status: 'in_progress',
    conclusion: null,
    created_at: new Date().toISOString(),
  });
  const body = '/train max_epochs=1 limit_train_batches=3';
  const c = github.addComment(PR, body, github.user('writer'));
  // A busy repository: the sticky comment meets GitHub's secondary rate limit once, waits, retries.
  github.injectSecondaryRateLimit('issues/create-comment', 1);
  const payload = {
    action: 'created',
    comment: { id: c.id, body, user: { login: 'writer', type: 'User' } },
    issue: { number: PR, pull_request: { url: 'x' } },
    repository: { full_name: github.fullName, default_branch: 'main' },
    sender: { login: 'writer', type: 'User' },
  };
  const r = await runAction(
    'comment',
    // push_to_hub always: a /train on the repository's own pull request pushes too (a fork's never does)
    { max_epochs: '5', ...hubInputs('acme/imdb-clf'), push_to_hub: 'always' },
    { event: { name: 'issue_comment', payload }, runId: current.id, env: { HF_ENDPOINT: hubApi.url } },
  );
  if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout.slice(-3000)}`);
  const metrics = JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
  expect(metrics.epochs.map((e) => e.epoch)).toEqual([1]);
  expect(github.reactionsOn(c.id)).toEqual(['eyes', 'rocket']);
  const sticky = github.commentsOn(PR).filter((x) => x.id !== c.id);
  expect(sticky).toHaveLength(1);
  expect(r.stdout).toContain(
    "::warning::GitHub's secondary rate limit on POST /repos/{owner}/{repo}/issues/{issue_number}/comments: retrying in 1 s (retry 1 of 2)",
  );
  expect(sticky[0]!.body).toContain('Trained commit `9999999` · **1 epoch');
  expect(sticky[0]!.body).toContain(r.outputs.artifact_url!);
  // The pushed commit, linked in the PR comment and the job summary, and set as an output
  const pushed = hubApi.repos.get('acme/imdb-clf')!;
  const commit = pushed.commits.at(-1)!;
  expect(commit.title).toBe('End of training');
  expect([...pushed.files.keys()]).toEqual(
    expect.arrayContaining(['README.md', 'model.safetensors', 'onnx/model.onnx']),
  );
  const url = `${hubApi.url}acme/imdb-clf/commit/${commit.oid}`;
  expect(r.outputs.hub_commit_url).toBe(url);
  expect(sticky[0]!.body).toContain(`(${url})`);
  expect(r.summary).toContain(`- [Hugging Face Hub: acme/imdb-clf @ ${commit.oid.slice(0, 7)}](${url})`);
  // the Hub token: printed only inside the ::add-mask:: command, in no file the run wrote
  const withToken = r.stdout.split('\n').filter((l) => l.includes(HF_TOKEN));
  expect(withToken.length).toBeGreaterThan(0);
  expect(withToken.every((l) => l === `::add-mask::${HF_TOKEN}`)).toBe(true);
  expect(filesContaining(join(r.outputs.report_path!, '..'), HF_TOKEN)).toEqual([]);
  shown.push({ name: 'action-pr-comment', markdown: sticky[0]!.body, metrics });
}, 120_000);

describe('re-run after a cancel, then predict and evaluate with the artifact (issue 15)', () => {
  let RERUN = 0;
  let trained: MetricsFile;
  const inputs = { max_epochs: '3', limit_train_batches: '40', save_checkpoints: 'last' };

  test("Must show: a re-run action job continues from the cancelled attempt's interrupted checkpoint (resume: auto)", async () => {
    RERUN = github.addRun({
      workflow_id: 902,
      event: 'push',
      status: 'in_progress',
      conclusion: null,
      head_sha: 'c'.repeat(40),
      created_at: new Date().toISOString(),
    }).id;
    // attempt 1: cancelled by the runner once the first epoch is done
    const first = await runAction('rerun-1', inputs, {
      runId: RERUN,
      attempt: '1',
      cancelWhen: /^::group::Epoch 2\/3$/m,
      cancelDelayMs: 0, // an epoch here takes about a second
    });
    expect(first.code).not.toBe(0);
    expect(first.stdout).toMatch(/::error title=textclf::training was cancelled at step \d+/);
    const cancelled = service.artifacts.find((a) => String(a.id) === first.outputs.artifact_id)!;
    expect(cancelled.name).toBe(`textclf-${RERUN}-1`);

    // attempt 2, on a fresh workspace: finds attempt 1's artifact, resumes its interrupted checkpoint
    const second = await runAction('rerun-2', inputs, { runId: RERUN, attempt: '2' });
    if (second.code !== 0) throw new Error(`action failed (${second.code}):\n${second.stdout.slice(-4000)}`);
    expect(second.stdout).toMatch(
      new RegExp(
        `::notice::resume: auto: continuing from attempt 1's checkpoint \\(artifact textclf-${RERUN}-1\\): .*textclf-resume-${RERUN}-1/checkpoints/interrupted`,
      ),
    );
    trained = JSON.parse(readFileSync(join(second.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
    // the runner's cancel lands in epoch 2 (or at its end): the checkpoint is past epoch 1, before the end
    expect([1, 2]).toContain(trained.resumedFrom!.epoch);
    expect(trained.resumedFrom!.step).toBeGreaterThan(40);
    expect(trained.resumedFrom!.step).toBeLessThan(120);
    expect(second.outputs.resumed_from).toBe(trained.resumedFrom!.checkpoint);
    expect(trained.epochs.map((e) => [e.epoch, e.step])).toEqual([
      [1, 40],
      [2, 80],
      [3, 120],
    ]);
    expect(trained.run.totalSteps).toBe(120);
    // the job summary (= report.md) lists every epoch, the first one from the cancelled attempt
    for (const e of [1, 2, 3])
      expect(second.summary).toMatch(new RegExp(`^\\| (\\*\\*)?${e}(\\*\\*)?( \\(resumed\\))? \\| ${e * 40} \\|`, 'm'));
    expect(second.summary).toContain('Resumed from');
    // the uploaded metrics stream has every step once
    const dir = await download(Number(second.outputs.artifact_id), 'rerun-2');
    const steps = readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'step')
      .map((e) => e.step);
    expect(steps).toEqual(Array.from({ length: 120 }, (_, i) => i + 1));
  }, 300_000);

  // The wiring through dist (artifact download, modes, outputs); test/cli/scoring.test.ts shows the
  // same exactness on a model that learned.
  test("mode predict with artifact:NAME: the predictions reproduce the run's test accuracy; mode evaluate gates", async () => {
    expect(trained).toBeDefined();
    const model = `artifact:textclf-${RERUN}-2`;
    const p = await runAction(
      'predict',
      { mode: 'predict', model, input: 'test.csv', batch_size: '32' },
      { runId: RERUN, attempt: '2' },
    );
    if (p.code !== 0) throw new Error(`action failed (${p.code}):\n${p.stdout.slice(-4000)}`);
    expect(p.outputs.rows).toBe('300');
    const rows = parse(readFileSync(p.outputs.predictions_path!), { columns: true }) as Record<string, string>[];
    const truth = parse(readFileSync(join(root, 'demo', 'data', 'test.csv')), { columns: true }) as Record<
      string,
      string
    >[];
    const correct = rows.filter((r, i) => r.predicted_label === truth[i].sentiment).length;
    expect(correct / rows.length).toBe(trained.test!.accuracy);
    expect(service.artifacts.find((a) => String(a.id) === p.outputs.artifact_id)?.name).toBe(
      `textclf-predictions-${RERUN}-attempt-2`,
    );
    expect(p.summary).toContain('| predicted label | rows |');

    const e = await runAction(
      'evaluate',
      { mode: 'evaluate', model: `${model}/checkpoints/final`, input: 'test.csv', min_accuracy: '0.999' },
      { runId: RERUN, attempt: '2' },
    );
    expect(e.code).toBe(1);
    expect(Number(e.outputs.accuracy)).toBe(trained.test!.accuracy);
    // ('%' is escaped as %25 by the workflow-command protocol)
    expect(e.stdout).toMatch(
      /^::error title=textclf%3A QualityGateError::min_accuracy: accuracy \d+\.\d\d%25 is below 99\.90%25/m,
    );
    expect(e.summary).toContain(`| input | ${(trained.test!.accuracy * 100).toFixed(2)}% |`);
  }, 240_000);
});

// After the runs above (tests in a file run in order): what they showed people, in a browser.
test('Must show (issue 24): the job summaries (finished, cancelled, upload failed) and the PR comment render readably in light and dark, with no local path and metrics.json’s numbers', async () => {
  expect(shown.map((d) => d.name)).toEqual([
    'action-job-summary',
    'action-job-summary-cancelled',
    'action-job-summary-upload-failed',
    'action-pr-comment',
  ]);
  for (const d of shown) expect([d.name, absolutePathsIn(d.markdown, [root])]).toEqual([d.name, []]);
  const docs = await renderInBrowser(shown, { screenshots: ['action-job-summary', 'action-pr-comment'] });
  expect(docs.flatMap(chartProblems)).toEqual([]);
  expect(docs.flatMap((d) => pathProblems(d, [root]))).toEqual([]);
  expect(docs.flatMap((d) => numberProblems(d, shown.find((x) => x.name === d.name)!.metrics))).toEqual([]);
  // loss and accuracy charts of the 2-epoch run; the 1-epoch runs draw no one-point curves (numberProblems checks)
  expect(docs.filter((d) => d.name === 'action-job-summary').map((d) => d.charts.length)).toEqual([2, 2]);
  // the action's bootstrap counts as provisioning in the finished run's Time
  expect(shown[0]!.metrics.run.phases?.provisioning).toBeGreaterThan(0);
  expect(docs[0]!.text).toMatch(/provisioning \(onnxruntime-node, before the run\)\s+\d+\.\d s/);
  const worst = worstContrast(docs);
  process.stdout.write(
    `action documents: ${worst.lines} lines, worst contrast ${worst.onLight.toFixed(2)}:1 on #ffffff, ${worst.onDark.toFixed(2)}:1 on #0d1117; ${docs.flatMap((d) => d.screenshot ?? []).join(', ')}\n`,
  );
}, 120_000);
