// Does ONNX Runtime's own WebGPU EP start here, and does it run float16? Asked in a child process:
// Dawn's and the Vulkan loader's native warnings go to that process's stderr, where they are read
// and put into words (or dropped when they mean nothing to a user) instead of reaching ours; a
// driver that hangs or crashes takes the child with it. Two one-node sessions with the CPU EP
// fallback disabled, so each node really ran on WebGPU: float32 (the EP works) and float16 (ORT
// enables shader-f16, with Dawn's vulkan_enable_f16_on_nvidia toggle, only when the adapter has it,
// and its WebGPU kernels refuse float16 without it), each checked against its known answer.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Graph } from '../onnx/graph.js';
import { toModelBytes } from '../onnx/serialize.js';

export interface WebgpuOrtProbe {
  /** A float32 session ran on the WebGPU EP and gave the known answer. */
  ok: boolean;
  ms: number;
  /** ORT's error when not ok. */
  ortMessage?: string;
  /** A float16 session ran on the WebGPU EP (undefined when the EP itself failed). */
  shaderF16?: boolean;
  /** ORT's error for the float16 session. */
  shaderF16Error?: string;
  /** Dawn's and the Vulkan loader's stderr lines, the ones that say something. */
  dawn: string[];
}

/** x·x for x = [[1,2],[3,4]]: [[7,10],[15,22]], exact in float16 too. */
function matmulGraph(dtype: 'float32' | 'float16'): Graph {
  const g = new Graph(`textclf_webgpu_${dtype}`);
  const x = g.input('x', dtype, [2, 2]);
  g.output(g.op('MatMul', [x, x]), 'y');
  return g;
}

// In the child: both sessions, JSON on stdout. float16 tensors are Uint16Array bit patterns.
const CHILD = `
const ort = await import(process.argv[1]);
const [f32, f16] = process.argv.slice(2).map((b) => Buffer.from(b, 'base64'));
const opts = { executionProviders: ['webgpu'], extra: { session: { disable_cpu_ep_fallback: '1' } } };
const half = (b) => { const e = (b >> 10) & 31, m = b & 1023; return (e ? (1 + m / 1024) * 2 ** (e - 15) : m * 2 ** -24) * (b >> 15 ? -1 : 1); };
const want = [7, 10, 15, 22];
async function one(model, dtype, data) {
  const s = await ort.InferenceSession.create(model, opts);
  try {
    const r = await s.run({ x: new ort.Tensor(dtype, data, [2, 2]) });
    const y = Array.from(r.y.data, (v) => (dtype === 'float16' && typeof v === 'number' && !(r.y.data instanceof Float32Array) ? half(v) : Number(v)));
    if (y.some((v, i) => v !== want[i])) throw new Error('wrong result ' + JSON.stringify(y) + ', expected ' + JSON.stringify(want));
  } finally {
    await s.release();
  }
}
const out = {};
const t0 = Date.now();
try {
  await one(f32, 'float32', Float32Array.of(1, 2, 3, 4));
  out.ok = true;
} catch (e) {
  out.ok = false;
  out.ortMessage = String(e && e.message || e);
}
out.ms = Date.now() - t0;
if (out.ok) {
  try {
    await one(f16, 'float16', Uint16Array.of(0x3c00, 0x4000, 0x4200, 0x4400));
    out.shaderF16 = true;
  } catch (e) {
    out.shaderF16 = false;
    out.shaderF16Error = String(e && e.message || e);
  }
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

/** Where onnxruntime-node's entry is (the child imports the same one). */
function ortModule(): string {
  return createRequire(import.meta.url).resolve('onnxruntime-node');
}

/**
 * Dawn's and the Vulkan loader's stderr, in words: limits Dawn lowers for itself are dropped,
 * stack lines too; what says why there is no adapter is kept, rephrased where it is terse.
 */
export function dawnLines(stderr: string): string[] {
  const out: string[] = [];
  for (const raw of stderr.split('\n')) {
    const l = raw.replace(/^Warning:\s*/, '').trim();
    if (!l || l.startsWith('at ') || /artificially reduced|VK_ERROR_INCOMPATIBLE_DRIVER|^Node\.js v/.test(l)) continue;
    let m: RegExpExecArray | null;
    if ((m = /loader_get_json: Failed to open JSON file (.+)$/.exec(l)))
      out.push(`the Vulkan loader could not open the driver manifest ${m[1]}`);
    else if (/vkCreateInstance: Found no drivers/.test(l)) out.push('the Vulkan loader found no driver (ICD)');
    else if ((m = /(\S+\.so[.\d]*): cannot open shared object file/.exec(l)))
      out.push(`the Vulkan loader could not load ${m[1]}`);
    else out.push(l);
  }
  return [...new Set(out)];
}

/** Runs both probes in a child process; never throws, never outlives `timeoutMs`. */
export function probeWebgpuOrt(
  o: { timeoutMs?: number; env?: NodeJS.ProcessEnv; module?: string } = {},
): Promise<WebgpuOrtProbe> {
  const timeout = o.timeoutMs ?? 60_000;
  const t0 = Date.now();
  const models = (['float32', 'float16'] as const).map((t) =>
    Buffer.from(toModelBytes(matmulGraph(t))).toString('base64'),
  );
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let mod: string;
    try {
      mod = o.module ?? ortModule();
    } catch (e) {
      resolve({ ok: false, ms: 0, ortMessage: `onnxruntime-node cannot be found: ${(e as Error).message}`, dawn: [] });
      return;
    }
    const child = spawn(
      process.execPath,
      ['--input-type=module', '-e', CHILD, pathToFileURL(mod).href, ...models],
      // NODE_OPTIONS of a test runner (vm modules, loaders) must not reach the child.
      { env: { ...(o.env ?? process.env), NODE_OPTIONS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', (e) =>
      resolve({
        ok: false,
        ms: Date.now() - t0,
        ortMessage: `the WebGPU probe could not start: ${e.message}`,
        dawn: [],
      }),
    );
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const dawn = dawnLines(stderr);
      try {
        const r = JSON.parse(stdout) as Omit<WebgpuOrtProbe, 'dawn'>;
        resolve({ ...r, dawn });
      } catch {
        const why =
          signal === 'SIGKILL'
            ? `ONNX Runtime's WebGPU EP did not answer within ${timeout / 1000} s`
            : `the WebGPU probe process ended with ${signal ?? `exit code ${code}`}`;
        resolve({ ok: false, ms: Date.now() - t0, ortMessage: [why, ...dawn.slice(-3)].join(': '), dawn });
      }
    });
  });
}
