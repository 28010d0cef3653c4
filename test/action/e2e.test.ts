// The action as the runner runs it: build dist/ into a fresh "action checkout" (no node_modules),
// then `node dist/index.js` with INPUT_* (every action.yml input, defaults as the runner fills
// them), GITHUB_* files, RUNNER_TOOL_CACHE/RUNNER_TEMP and the results-service variables, against
// servers this test starts on 127.0.0.1: npm registry mirror (onnxruntime-node is provisioned),
// datastore server, fake hub, artifact results service + Azurite, GitHub REST fake.
// Asserts on results: outputs file, job summary, the artifact downloaded back and its checkpoint
// loaded and run; a SIGTERM mid-training leaves an uploaded checkpoint that resumes.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
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
  type StepServices,
} from '../helpers/action-runner.js';
import type { ArtifactService } from '../helpers/artifact-service.js';
import { startDatastoreServer, type TestServer } from '../helpers/datastore-server.js';
import type { FakeHub } from '../helpers/fake-hub.js';
import type { GitHubFake } from '../helpers/github-fake.js';
import { makeZip } from '../helpers/zip.js';
import { packClosure, startNpmRegistry, type LocalRegistry } from '../helpers/npm-registry.js';
import { inputEnv, runNodeStep, runnerFiles, type StepResult } from '../helpers/runner-env.js';
import { startNugetFake } from '../runtime/nuget-fake.js';

const repo = new URL('../..', import.meta.url).pathname;
const TOKEN = 'ghs_e2eSecretToken0123456789';

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
  await Promise.all([registry?.close(), datastore?.close(), services?.close()]);
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
        ({ cancel: '2', 'gpu-strict': '3', 'gpu-fallback': '4' } as Record<string, string>)[name] ?? '1',
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
    { cancelWhen: opts.cancelWhen },
  );
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
  expect(r.summary.match(/```mermaid\nxychart-beta/g)?.length).toBe(2);
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

test('device: cuda on a runner without a GPU: provisions the CUDA build, then fails with the fix, or (no Vulkan driver either) trains on CPU with allow_cpu_fallback', async () => {
  const nuget = await startNugetFake('1.30.0');
  try {
    const env = { GLOBAL_AGENT_HTTPS_PROXY: nuget.proxyUrl, NODE_EXTRA_CA_CERTS: nuget.caFile };
    const strict = await runAction(
      'gpu-strict',
      { gpus: '1', device: 'cuda', max_epochs: '1', limit_train_batches: '2' },
      { env },
    );
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain("running onnxruntime-node's install step for the CUDA 12 provider");
    const errors = strict.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^::error title=textclf%3A input device::device cuda:0 cannot run on this machine: nvidia-smi is not installed.*--device webgpu.*set allow_cpu_fallback: true/,
    );
    expect(
      existsSync(
        join(
          toolCache,
          'onnxruntime-node-cuda12',
          '1.30.0',
          process.arch,
          'node_modules',
          'onnxruntime-node',
          'bin',
          'napi-v6',
          'linux',
          'x64',
          'libonnxruntime_providers_cuda.so',
        ),
      ),
    ).toBe(process.arch === 'x64');

    const fallback = await runAction(
      'gpu-fallback',
      { gpus: '1', device: 'cuda', allow_cpu_fallback: 'true', max_epochs: '1', limit_train_batches: '2' },
      // no Vulkan driver: no WebGPU adapter to fall back to before the CPU
      { env: { ...env, VK_ICD_FILENAMES: '/nonexistent/icd.json', VK_DRIVER_FILES: '/nonexistent/icd.json' } },
    );
    if (fallback.code !== 0) throw new Error(`action failed (${fallback.code}):\n${fallback.stdout.slice(-3000)}`);
    expect(fallback.stdout).toContain('onnxruntime-node 1.30.0: using the tool cache');
    expect(fallback.stdout).toMatch(
      /^::warning::device cuda:0: CUDA cannot run \(nvidia-smi is not installed.*training on the CPU because allow_cpu_fallback is true$/m,
    );
    expect(fallback.summary).toContain('| Device | cpu |');
    const fm = JSON.parse(
      readFileSync(join(fallback.outputs.report_path!, '..', 'metrics.json'), 'utf8'),
    ) as MetricsFile;
    expect(numeric(fallback.outputs.accuracy)).toBeCloseTo(fm.test!.accuracy, 10);
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
  const payload = {
    action: 'created',
    comment: { id: c.id, body, user: { login: 'writer', type: 'User' } },
    issue: { number: PR, pull_request: { url: 'x' } },
    repository: { full_name: github.fullName, default_branch: 'main' },
    sender: { login: 'writer', type: 'User' },
  };
  const r = await runAction(
    'comment',
    { max_epochs: '5' },
    { event: { name: 'issue_comment', payload }, runId: current.id },
  );
  if (r.code !== 0) throw new Error(`action failed (${r.code}):\n${r.stdout.slice(-3000)}`);
  const metrics = JSON.parse(readFileSync(join(r.outputs.report_path!, '..', 'metrics.json'), 'utf8')) as MetricsFile;
  expect(metrics.epochs.map((e) => e.epoch)).toEqual([1]);
  expect(github.reactionsOn(c.id)).toEqual(['eyes', 'rocket']);
  const sticky = github.commentsOn(PR).filter((x) => x.id !== c.id);
  expect(sticky).toHaveLength(1);
  expect(sticky[0]!.body).toContain('Trained commit `9999999` · **1 epoch');
  expect(sticky[0]!.body).toContain(r.outputs.artifact_url!);
}, 120_000);
