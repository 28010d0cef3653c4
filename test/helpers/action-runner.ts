// Shared pieces for tests that run the action bundle as the runner does (`node dist/index.js`):
// an "action checkout" (action.yml, package.json, dist/; no node_modules), a warm tool cache,
// downloads from the fake results service, the bridge that makes an uploaded artifact visible
// through the REST fake under its workflow run, as GitHub's one backend does for both APIs, and
// the services every step talks to.
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { startArtifactService, type ArtifactService } from './artifact-service.js';
import { startAzurite, type Azurite } from './azurite.js';
import { startFakeHub, type FakeHub } from './fake-hub.js';
import { GitHubFake } from './github-fake.js';

export const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/** Builds dist/ from the current sources into `actionDir` with action.yml and package.json beside it. */
export function buildActionCheckout(actionDir: string): string {
  mkdirSync(actionDir, { recursive: true });
  execFileSync(process.execPath, [join(REPO_ROOT, 'scripts', 'build.mjs'), '--outdir', join(actionDir, 'dist')], {
    stdio: 'inherit',
  });
  copyFileSync(join(actionDir, 'dist', 'action.yml'), join(actionDir, 'action.yml'));
  copyFileSync(join(REPO_ROOT, 'package.json'), join(actionDir, 'package.json'));
  return actionDir;
}

/**
 * A self-hosted runner whose tool cache already holds onnxruntime-node (what an earlier job's
 * provisioning leaves, in @actions/tool-cache's layout: <tool>/<version>/<arch> + `.complete`).
 * The packages are symlinked from this checkout's node_modules instead of copied (290 MB).
 */
export function warmToolCache(toolCache: string, version = '1.30.0', arch = process.arch): string {
  const root = join(toolCache, 'onnxruntime-node', version, arch);
  const nm = join(root, 'node_modules');
  mkdirSync(nm, { recursive: true });
  for (const pkg of ['onnxruntime-node', 'onnxruntime-common']) {
    const link = join(nm, pkg);
    if (!existsSync(link) && !isLink(link)) symlinkSync(join(REPO_ROOT, 'node_modules', pkg), link, 'dir');
  }
  writeFileSync(`${root}.complete`, '');
  return root;
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Every file under `dir`, relative, sorted. */
export function walkRel(dir: string, base = dir): string[] {
  return readdirSync(dir)
    .flatMap((e) =>
      statSync(join(dir, e)).isDirectory() ? walkRel(join(dir, e), base) : [relative(base, join(dir, e))],
    )
    .sort();
}

/** Downloads artifact `id` from the fake results service (the way a later job of the same run would). */
export async function downloadArtifact(service: ArtifactService, id: number, dir: string): Promise<string> {
  const saved = { ...process.env };
  try {
    Object.assign(process.env, { ACTIONS_RUNTIME_TOKEN: service.runtimeToken, ACTIONS_RESULTS_URL: service.url });
    delete process.env.GITHUB_SERVER_URL;
    await new DefaultArtifactClient().downloadArtifact(id, { path: dir });
  } finally {
    process.env = saved;
  }
  return dir;
}

/**
 * On GitHub an artifact uploaded through the results service is listed and downloaded through the
 * REST API under its workflow run. Here the two are separate fakes: copy every finalized upload
 * not yet published into the REST fake under `runId`, with the uploaded bytes. Returns the names.
 */
export async function publishUploads(
  service: ArtifactService,
  github: GitHubFake,
  runId: number,
  scratch: string,
  published: Set<number>,
): Promise<string[]> {
  const names: string[] = [];
  for (const a of service.artifacts.filter((x) => x.finalized && !published.has(x.id))) {
    const dir = await quietly(() => downloadArtifact(service, a.id, join(scratch, `published-${a.id}`)));
    const files = Object.fromEntries(walkRel(dir).map((f) => [f, readFileSync(join(dir, f))]));
    github.addArtifact(runId, a.name, files);
    published.add(a.id);
    names.push(a.name);
  }
  return names;
}

/** @actions/core prints ::debug:: lines for every download; the bridge is plumbing, not the subject. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof write;
  try {
    return await f();
  } finally {
    process.stdout.write = write;
  }
}

/** The demo datastore folder as the entries of `imdb-demo.zip` (one top folder, like imdb.zip). */
export function demoZipFiles(datastoreDir: string): Record<string, Buffer> {
  return Object.fromEntries(
    readdirSync(datastoreDir).map((f) => [`imdb-demo/${f}`, readFileSync(join(datastoreDir, f))]),
  );
}

export interface StepServices {
  hub: FakeHub;
  azurite: Azurite;
  service: ArtifactService;
  github: GitHubFake;
  close(): Promise<void>;
}

/**
 * What every `node dist/index.js` step talks to besides the datastore: the fake hub serving the
 * demo model as `model`, the results service on Azurite, and the OpenAPI-validated REST fake.
 * `close` stops them all (Azurite last: it outlives crashed tests otherwise), as does a failed start.
 */
export async function startStepServices(model: string, modelDir: string): Promise<StepServices> {
  const s: Partial<StepServices> = {};
  const close = async () => {
    await Promise.all([s.service?.close(), s.hub?.close(), s.github?.close()]);
    await s.azurite?.stop();
  };
  try {
    s.hub = await startFakeHub({ [model]: modelDir });
    s.azurite = await startAzurite();
    s.service = await startArtifactService(s.azurite);
    s.github = await GitHubFake.start();
  } catch (e) {
    await close(); // what did start must not outlive the failed setup
    throw e;
  }
  return { ...(s as Required<Omit<StepServices, 'close'>>), close };
}
