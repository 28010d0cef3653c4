// Resolution order and provisioning of onnxruntime-node against a local registry mirror serving
// `npm pack` tarballs of the installed packages.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lineLogger } from '../../src/util/logger.js';
import { RegistryError } from '../../src/runtime/npm-fetch.js';
import { ORT_VERSION } from '../../src/runtime/ort-version.js';
import { loadOrt, resolveOrt, TOOL_CPU } from '../../src/runtime/provision.js';
import { packInstalled, startNpmRegistry, type LocalRegistry } from '../helpers/npm-registry.js';

const repo = new URL('../..', import.meta.url).pathname;
const ortDir = join(repo, 'node_modules', 'onnxruntime-node');
const lines: string[] = [];
const log = lineLogger((l) => lines.push(l));

/** Loads onnxruntime-node from `dir` in a fresh node process and runs a one-op model (Add). */
function runAddIn(dir: string): number[] {
  const script = `
    const ort = require(${JSON.stringify(dir)});
    // ModelProto{ir_version=7, opset 13, graph: Add(a,b)->c, float[2]}
    const ir = Buffer.from('${addModelBase64()}', 'base64');
    ort.InferenceSession.create(ir).then(async (s) => {
      const t = (v) => new ort.Tensor('float32', Float32Array.from(v), [2]);
      const out = await s.run({ a: t([1, 2]), b: t([10, 20]) });
      console.log(JSON.stringify(Array.from(out.c.data)));
    });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

function addModelBase64(): string {
  // Hand-encoded protobuf of the smallest Add model (see comment above).
  const typeProto = [0x0a, 0x08, 0x08, 0x01, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x02]; // tensor_type{elem_type=1, shape{dim{dim_value=2}}}
  const value = (name: string) => {
    const b = [0x0a, name.length, ...Buffer.from(name), 0x12, typeProto.length, ...typeProto];
    return b;
  };
  const node = [0x0a, 1, 0x61, 0x0a, 1, 0x62, 0x12, 1, 0x63, 0x22, 3, ...Buffer.from('Add')];
  const field = (tag: number, bytes: number[]) => [tag, bytes.length, ...bytes];
  const graph = [
    ...field(0x0a, node),
    ...field(0x12, [...Buffer.from('g')]),
    ...field(0x5a, value('a')),
    ...field(0x5a, value('b')),
    ...field(0x62, value('c')),
  ];
  const model = [0x08, 0x07, ...field(0x3a, graph), ...field(0x42, [0x10, 13])];
  return Buffer.from(model).toString('base64');
}

describe('onnxruntime-node runtime', () => {
  const saved = { ...process.env };
  let work: string;
  beforeEach(() => {
    work = mkdtempSync(join(tmpdir(), 'ort-rt-'));
    process.env.RUNNER_TOOL_CACHE = join(work, 'toolcache');
    process.env.RUNNER_TEMP = join(work, 'temp');
    lines.length = 0;
  });
  afterEach(() => {
    process.env = { ...saved };
    rmSync(work, { recursive: true, force: true });
  });

  test('the pinned version is the installed one', () => {
    expect(JSON.parse(readFileSync(join(ortDir, 'package.json'), 'utf8')).version).toBe(ORT_VERSION);
  });

  test("uses the action's own node_modules first and loads it by path", async () => {
    const rt = await resolveOrt({ log, actionDir: repo, registry: 'http://127.0.0.1:9/' });
    // Resolved as `require` resolves it: through symlinks (a worktree's node_modules may be one).
    expect(rt).toEqual({ dir: realpathSync(ortDir), version: ORT_VERSION, source: 'action', cuda: false });
    const ort = loadOrt(rt);
    const s = await ort.InferenceSession.create(Buffer.from(addModelBase64(), 'base64'));
    const out = await s.run({
      a: new ort.Tensor('float32', Float32Array.from([1, 2]), [2]),
      b: new ort.Tensor('float32', Float32Array.from([3, 4]), [2]),
    });
    expect(Array.from(out.c!.data as Float32Array)).toEqual([4, 6]);
  });

  describe('with a local registry mirror', () => {
    let registry: LocalRegistry;
    const packs = () => [packInstalled(ortDir), packInstalled(join(repo, 'node_modules', 'onnxruntime-common'))];
    afterEach(async () => {
      await registry?.close();
    });

    test('provisions into the tool cache from tarballs, then finds it there without the registry', async () => {
      registry = await startNpmRegistry(packs());
      const empty = join(work, 'action'); // an action checkout without node_modules
      const rt = await resolveOrt({ log, actionDir: empty, registry: registry.url });
      expect(rt.source).toBe('provisioned');
      expect(rt.dir).toBe(
        join(process.env.RUNNER_TOOL_CACHE!, TOOL_CPU, ORT_VERSION, process.arch, 'node_modules', 'onnxruntime-node'),
      );
      expect(registry.requests).toEqual([
        '/onnxruntime-node',
        '/onnxruntime-node/-/onnxruntime-node-1.30.0.tgz',
        '/onnxruntime-common',
        '/onnxruntime-common/-/onnxruntime-common-1.30.0.tgz',
      ]);
      expect(runAddIn(rt.dir)).toEqual([11, 22]);

      registry.requests.length = 0;
      const again = await resolveOrt({ log, actionDir: empty, registry: registry.url });
      expect(again).toEqual({ ...rt, source: 'tool-cache' });
      expect(registry.requests).toEqual([]);
    }, 90_000);

    test('a tarball that fails its integrity check is refused with the URL and hashes', async () => {
      registry = await startNpmRegistry(packs(), { corrupt: 'onnxruntime-common' });
      const err = await resolveOrt({ log, actionDir: join(work, 'action'), registry: registry.url }).catch((e) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toMatch(
        /integrity check failed for onnxruntime-common@1\.30\.0 from http:\/\/127\.0\.0\.1:\d+\/onnxruntime-common\/-\/onnxruntime-common-1\.30\.0\.tgz: expected sha512-/,
      );
    }, 90_000);

    test('a registry without the package names the registry and the fix', async () => {
      registry = await startNpmRegistry([]);
      const err = await resolveOrt({ log, actionDir: join(work, 'action'), registry: registry.url }).catch((e) => e);
      expect(err).toBeInstanceOf(RegistryError);
      expect(err.message).toContain(`${registry.url}onnxruntime-node answered HTTP 404`);
      expect(err.message).toContain('npm_registry input');
    });
  });
});
