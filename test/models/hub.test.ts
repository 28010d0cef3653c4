// Model resolution: local dirs, hub ids through a fake hub on 127.0.0.1 (cache layout shared with
// @huggingface/transformers, zero requests once cached), and the errors users can hit.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelError } from '../../src/models/errors.js';
import { hubHost, resolveModel } from '../../src/models/hub.js';
import { startFakeHub, type FakeHub } from '../helpers/fake-hub.js';
import { writeTinyModel } from './tiny-model.js';

let root: string;
let hub: FakeHub;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'bert-hub-'));
  writeTinyModel(join(root, 'models', 'tiny'));
  writeTinyModel(join(root, 'models', 'vocab-only'), { files: ['config.json', 'model.safetensors', 'vocab.txt'] });
  writeTinyModel(join(root, 'models', 'bin-only'), { files: ['config.json', 'tokenizer.json'] });
  writeFileSync(join(root, 'models', 'bin-only', 'pytorch_model.bin'), 'not really a pickle');
  hub = await startFakeHub({
    'test-org/tiny-bert': join(root, 'models', 'tiny'),
    'vocab-only': join(root, 'models', 'vocab-only'),
    'test-org/bin-only': join(root, 'models', 'bin-only'),
  });
});
afterAll(async () => {
  await hub.close();
  rmSync(root, { recursive: true, force: true });
});

describe('hub ids', () => {
  test('downloads config, weights and tokenizer into <cacheDir>/<id>/, then a second load makes zero requests', async () => {
    const cacheDir = join(root, 'cache1');
    const files = await resolveModel('test-org/tiny-bert', { hubUrl: hub.url, cacheDir });
    expect(files.source).toBe('hub');
    expect(files.dir).toBe(join(cacheDir, 'test-org/tiny-bert'));
    expect(files.config).toBe(join(cacheDir, 'test-org/tiny-bert', 'config.json'));
    expect(files.weights).toBe(join(cacheDir, 'test-org/tiny-bert', 'model.safetensors'));
    expect(files.tokenizerJson).toBe(join(cacheDir, 'test-org/tiny-bert', 'tokenizer.json'));
    for (const f of [files.config, files.weights, files.tokenizerJson!]) expect(existsSync(f)).toBe(true);
    // no temp files left behind
    expect(readdirSync(files.dir).filter((f) => f.includes('.part-'))).toEqual([]);
    const paths = hub.requests.map((r) => r.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/test-org/tiny-bert/resolve/main/config.json',
        '/test-org/tiny-bert/resolve/main/model.safetensors',
        '/test-org/tiny-bert/resolve/main/tokenizer.json',
      ]),
    );
    const before = hub.requests.length;
    const again = await resolveModel('test-org/tiny-bert', { hubUrl: hub.url, cacheDir });
    expect(again).toEqual(files);
    expect(hub.requests.length).toBe(before);
  });

  test('falls back to vocab.txt when the repo has no tokenizer.json', async () => {
    const files = await resolveModel('vocab-only', { hubUrl: hub.url, cacheDir: join(root, 'cache2') });
    expect(files.tokenizerJson).toBeUndefined();
    expect(files.vocabTxt).toBe(join(root, 'cache2', 'vocab-only', 'vocab.txt'));
    expect(hub.requests.some((r) => r.path === '/vocab-only/resolve/main/tokenizer.json' && r.status === 404)).toBe(
      true,
    );
  });

  test('a repo with only pytorch_model.bin fails with a message asking for safetensors and how to convert', async () => {
    const p = resolveModel('test-org/bin-only', { hubUrl: hub.url, cacheDir: join(root, 'cache3') });
    await expect(p).rejects.toThrow(ModelError);
    await expect(p).rejects.toThrow(/has pytorch_model\.bin but no model\.safetensors.*safe_serialization=True/);
  });

  test('an unknown id names the host and the fix', async () => {
    await expect(resolveModel('nobody/nothing', { hubUrl: hub.url, cacheDir: join(root, 'cache4') })).rejects.toThrow(
      new RegExp(
        `hub model 'nobody/nothing' at ${hub.url.replace(/[.]/g, '\\.')}: config.json not found.*hub_url / HF_ENDPOINT`,
      ),
    );
  });

  test('the host comes from hub_url, else HF_ENDPOINT, else huggingface.co', () => {
    const saved = process.env.HF_ENDPOINT;
    try {
      delete process.env.HF_ENDPOINT;
      expect(hubHost()).toBe('https://huggingface.co/');
      process.env.HF_ENDPOINT = 'http://127.0.0.1:9/mirror';
      expect(hubHost()).toBe('http://127.0.0.1:9/mirror/');
      expect(hubHost('https://hub.example.com/')).toBe('https://hub.example.com/');
      expect(() => hubHost('ftp://x')).toThrow(/hub_url 'ftp:\/\/x' must be http/);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });

  test('HF_ENDPOINT is used for downloads when hub_url is not given', async () => {
    const saved = process.env.HF_ENDPOINT;
    process.env.HF_ENDPOINT = hub.url;
    try {
      const files = await resolveModel('test-org/tiny-bert', { cacheDir: join(root, 'cache5') });
      expect(existsSync(files.weights)).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.HF_ENDPOINT;
      else process.env.HF_ENDPOINT = saved;
    }
  });
});

describe('HF_TOKEN', () => {
  const TOKEN = 'hf_secretTokenForTheFakeHub0001';
  const withEnv = async (env: Record<string, string | undefined>, fn: () => Promise<void>) => {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    try {
      await fn();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  };
  const ours = (h: FakeHub) =>
    h.requests.filter((r) => /\/(model\.safetensors|tokenizer\.json|tokenizer_config\.json|vocab\.txt)$/.test(r.path));

  test('goes to the HF_ENDPOINT host, and not to the CDN host a file redirects to', async () => {
    const cdn = await startFakeHub({ 'test-org/tiny-bert': join(root, 'models', 'tiny') });
    const origin = await startFakeHub(
      { 'test-org/tiny-bert': join(root, 'models', 'tiny') },
      { redirects: { 'model.safetensors': cdn.url } },
    );
    try {
      await withEnv({ HF_ENDPOINT: origin.url, HF_TOKEN: TOKEN }, async () => {
        const files = await resolveModel('test-org/tiny-bert', { cacheDir: join(root, 'cache-token1') });
        expect(readFileSync(files.weights)).toEqual(readFileSync(join(root, 'models', 'tiny', 'model.safetensors')));
      });
      const atOrigin = ours(origin);
      expect(atOrigin.map((r) => [r.path.split('/').pop(), r.status])).toEqual(
        expect.arrayContaining([
          ['model.safetensors', 302],
          ['tokenizer.json', 200],
        ]),
      );
      expect(atOrigin.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
      const atCdn = cdn.requests;
      expect(atCdn.map((r) => [r.path, r.status])).toEqual([
        ['/test-org/tiny-bert/resolve/main/model.safetensors', 200],
      ]);
      expect(atCdn[0]!.authorization).toBeUndefined();
      expect(JSON.stringify(atCdn[0]!.headers)).not.toContain(TOKEN);
    } finally {
      await cdn.close();
      await origin.close();
    }
  });

  test('is not sent to a hub_url host (only huggingface.co and HF_ENDPOINT are trusted with it)', async () => {
    await withEnv({ HF_ENDPOINT: undefined, HF_TOKEN: TOKEN }, async () => {
      const before = hub.requests.length;
      await resolveModel('test-org/tiny-bert', { hubUrl: hub.url, cacheDir: join(root, 'cache-token2') });
      const seen = hub.requests.slice(before);
      expect(seen.length).toBeGreaterThanOrEqual(3);
      expect(seen.filter((r) => r.authorization !== undefined)).toEqual([]);
    });
  });
});

describe('local directories', () => {
  test('a complete dir is used in place', async () => {
    const dir = join(root, 'models', 'tiny');
    const files = await resolveModel(dir, { cacheDir: join(root, 'unused') });
    expect(files).toMatchObject({
      source: 'local',
      dir,
      weights: join(dir, 'model.safetensors'),
      tokenizerJson: join(dir, 'tokenizer.json'),
    });
  });

  test('missing weights, pytorch_model.bin only, missing tokenizer, or a path that does not exist: clear errors', async () => {
    const o = { cacheDir: join(root, 'unused') };
    await expect(resolveModel(join(root, 'models', 'bin-only'), o)).rejects.toThrow(
      /bin-only has pytorch_model\.bin but no model\.safetensors/,
    );
    const noTok = join(root, 'models', 'no-tok');
    writeTinyModel(noTok, { files: ['config.json', 'model.safetensors'] });
    await expect(resolveModel(noTok, o)).rejects.toThrow(/has neither tokenizer\.json nor vocab\.txt/);
    const empty = join(root, 'models', 'empty');
    mkdirSync(empty);
    await expect(resolveModel(empty, o)).rejects.toThrow(/empty has no config\.json/);
    await expect(resolveModel('./does/not/exist', o)).rejects.toThrow(
      /'\.\/does\/not\/exist' is not a directory; pass a model directory/,
    );
  });
});
