// Upload through @actions/artifact to the fake results service + Azurite, then download back.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { DefaultArtifactClient } from '@actions/artifact';
import { lineLogger } from '../../../src/util/logger.js';
import {
  artifactName,
  ArtifactUploadError,
  collectFiles,
  selectCheckpoints,
  uploadArtifact,
} from '../../../src/github/artifacts/upload.js';
import { sampleMetrics } from '../../report/fixture.js';
import { startArtifactService, type ArtifactService } from '../../helpers/artifact-service.js';
import { startAzurite, type Azurite } from '../../helpers/azurite.js';

function walkRel(root: string, dir = root): string[] {
  return readdirSync(dir)
    .flatMap((e: string) => {
      const p = join(dir, e);
      return statSync(p).isDirectory() ? walkRel(root, p) : [relative(root, p)];
    })
    .sort();
}

describe('artifacts', () => {
  let azurite: Azurite;
  let service: ArtifactService;
  let work: string;
  const saved = { ...process.env };
  const lines: string[] = [];
  const log = lineLogger((l) => lines.push(l));

  beforeAll(async () => {
    azurite = await startAzurite();
    service = await startArtifactService(azurite);
  }, 60_000);
  afterAll(async () => {
    await service?.close();
    await azurite?.stop();
  });
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'artifacts-'));
    Object.assign(process.env, {
      ACTIONS_RUNTIME_TOKEN: service.runtimeToken,
      ACTIONS_RESULTS_URL: service.url,
      GITHUB_REPOSITORY: 'octo/textclf',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '2',
    });
    delete process.env.GITHUB_SERVER_URL;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(work, { recursive: true, force: true });
  });

  function outputDir(): string {
    const out = join(work, 'run');
    const put = (p: string, data: string | Uint8Array) => {
      mkdirSync(join(out, p, '..'), { recursive: true });
      writeFileSync(join(out, p), data);
    };
    put('metrics.json', JSON.stringify(sampleMetrics()));
    put('metrics.jsonl', '{"type":"step"}\n');
    put('predictions.csv', 'row,label,prediction\n1,positive,positive\n');
    put('tensorboard/train/events.out.tfevents.1.host', Uint8Array.from([1, 2, 3, 250]));
    for (const e of [1, 2, 3]) {
      put(
        `checkpoints/epoch-${e}/model.safetensors`,
        Uint8Array.from({ length: 4096 }, (_, i) => (i * e) & 0xff),
      );
      put(`checkpoints/epoch-${e}/config.json`, `{"epoch":${e}}`);
    }
    put('unrelated.tmp', 'not uploaded');
    return out;
  }

  test('names are unique per run attempt', () => {
    expect(artifactName(undefined)).toBe('textclf-4242-2');
    expect(artifactName('imdb')).toBe('imdb-attempt-2');
    expect(artifactName('imdb', { GITHUB_RUN_ATTEMPT: '1' })).toBe('imdb');
  });

  test('uploads the best checkpoint and run files; downloading gives the same bytes', async () => {
    const out = outputDir();
    const files = collectFiles(out, sampleMetrics(), 'best');
    const r = await uploadArtifact({ name: artifactName(undefined), rootDir: out, files, retentionDays: 7, log });
    expect(r.url).toBe(`https://github.com/octo/textclf/actions/runs/4242/artifacts/${r.id}`);
    const stored = service.artifacts.find((a) => a.id === r.id)!;
    expect(stored.name).toBe('textclf-4242-2');
    const days = (Date.parse(stored.expiresAt!) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThan(7.1);

    const down = join(work, 'download');
    await new DefaultArtifactClient().downloadArtifact(r.id, { path: down });
    expect(walkRel(down)).toEqual([
      'checkpoints/epoch-2/config.json',
      'checkpoints/epoch-2/model.safetensors',
      'metrics.json',
      'metrics.jsonl',
      'predictions.csv',
      'tensorboard/train/events.out.tfevents.1.host',
    ]);
    for (const f of walkRel(down))
      expect(Buffer.compare(readFileSync(join(down, f)), readFileSync(join(out, f)))).toBe(0);
  }, 60_000);

  test("'last' keeps the final state (else the last epoch), 'all' keeps every epoch", () => {
    const withFinal = sampleMetrics();
    withFinal.checkpoints.push({ epoch: 'final', path: 'checkpoints/final' });
    expect(selectCheckpoints(withFinal, 'last')).toEqual(['checkpoints/final']);
    expect(selectCheckpoints(withFinal, 'best')).toEqual(['checkpoints/epoch-2']);
    expect(selectCheckpoints({ ...withFinal, run: { ...withFinal.run, cancelled: true } }, 'best')).toEqual([
      'checkpoints/epoch-2',
      'checkpoints/final',
    ]);
    expect(selectCheckpoints(withFinal, 'all')).toHaveLength(4);
    const out = outputDir();
    const ckpts = (p: 'all' | 'last') =>
      collectFiles(out, sampleMetrics(), p)
        .map((f) => relative(out, f))
        .filter((f) => f.startsWith('checkpoints/') && f.endsWith('config.json'));
    expect(ckpts('last')).toEqual(['checkpoints/epoch-3/config.json']);
    expect(ckpts('all')).toEqual([1, 2, 3].map((e) => `checkpoints/epoch-${e}/config.json`));
  });

  test('an upload that keeps failing names the local path after the retries', async () => {
    const out = outputDir();
    service.failNext('CreateArtifact', 3, 400);
    const err = await uploadArtifact({
      name: 'failing',
      rootDir: out,
      files: collectFiles(out, sampleMetrics(), 'last'),
      log,
      attempts: 3,
      backoffMs: 10,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactUploadError);
    expect(err.message).toContain(`failed after 3 attempts`);
    expect(err.message).toContain(`remain on the runner at ${out}`);
    expect(lines.filter((l) => l.includes('artifact upload attempt')).length).toBe(2);
    expect(service.artifacts.some((a) => a.name === 'failing')).toBe(false);
  }, 60_000);

  test('a name clash fails at once with the fix and the local path', async () => {
    const out = outputDir();
    const files = collectFiles(out, sampleMetrics(), 'last');
    await uploadArtifact({ name: 'same', rootDir: out, files, log, backoffMs: 10 });
    lines.length = 0;
    const err = await uploadArtifact({ name: 'same', rootDir: out, files, log, backoffMs: 10 }).catch((e) => e);
    expect(err).toBeInstanceOf(ArtifactUploadError);
    expect(err.message).toContain("an artifact named 'same' already exists in this workflow run; set artifact_name");
    expect(err.message).toContain(`remain on the runner at ${out}`);
    expect(lines.filter((l) => l.includes('artifact upload attempt'))).toEqual([]);
  }, 60_000);

  test('a transient failure is retried and the upload succeeds', async () => {
    const out = outputDir();
    service.failNext('CreateArtifact', 1, 400);
    const r = await uploadArtifact({
      name: 'flaky',
      rootDir: out,
      files: collectFiles(out, sampleMetrics(), 'last'),
      log,
      attempts: 3,
      backoffMs: 10,
    });
    expect(service.artifacts.find((a) => a.id === r.id)?.finalized).toBe(true);
  }, 60_000);
});
