// WebGPU facts. Two sources, because onnxruntime-node exposes no adapter information:
// - the adapter itself (vendor, architecture, description, shader-f16, limits) from Dawn's Node
//   bindings (the `webgpu` package, optional), read in a child process so that a driver crash or
//   hang, and Dawn's warnings on stderr, stay out of ours;
// - whether ONNX Runtime's own WebGPU EP starts and runs here: a one-node session (probe.ts).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

export interface WebgpuAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software or otherwise "fallback" adapter (lavapipe/llvmpipe, SwiftShader). */
  isFallbackAdapter: boolean;
  shaderF16: boolean;
  features: string[];
  limits: Record<string, number>;
  /** Which power preferences returned this adapter. */
  powerPreference: string[];
}

export type AdapterQuery = { adapters: WebgpuAdapter[]; error?: string } | { adapters?: undefined; error: string };

/** Limits that matter for training (buffer sizes bound the largest tensor). */
export const LIMIT_KEYS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
];

// Runs in the child: one Dawn instance, an adapter per power preference, JSON on stdout.
const CHILD = `
const { create } = await import(process.argv[1]);
const gpu = create([]);
const out = [];
for (const powerPreference of ['high-performance', 'low-power']) {
  const a = await gpu.requestAdapter({ powerPreference });
  if (!a) continue;
  const i = a.info;
  const limits = {};
  for (const k of JSON.parse(process.argv[2])) if (typeof a.limits[k] === 'number') limits[k] = a.limits[k];
  const features = [...a.features].sort();
  const ad = { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description,
    isFallbackAdapter: !!i.isFallbackAdapter, shaderF16: features.includes('shader-f16'), features, limits,
    powerPreference: [powerPreference] };
  const same = out.find((o) => o.vendor === ad.vendor && o.device === ad.device && o.description === ad.description);
  if (same) same.powerPreference.push(powerPreference); else out.push(ad);
}
process.stdout.write(JSON.stringify(out));
process.exit(0);
`;

/** Where the `webgpu` package's entry is, or undefined when it is not installed. */
export function webgpuModule(): string | undefined {
  try {
    return createRequire(import.meta.url).resolve('webgpu');
  } catch {
    return undefined;
  }
}

/** The WebGPU adapters Dawn finds on this machine (none is a valid answer: `adapters: []`). */
export function queryWebgpuAdapters(
  opts: { timeoutMs?: number; module?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<AdapterQuery> {
  const mod = opts.module ?? webgpuModule();
  if (!mod)
    return Promise.resolve({
      error:
        'adapter details need the optional `webgpu` package (Dawn for Node), which is not installed; ONNX Runtime can still use WebGPU',
    });
  const timeout = opts.timeoutMs ?? 20_000;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD, pathToFileURL(mod).href, JSON.stringify(LIMIT_KEYS)],
      { timeout, encoding: 'utf8', env: opts.env ?? process.env, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as Error & { killed?: boolean };
          const lines = (stderr || e.message)
            .split('\n')
            .map((l) => l.trim())
            .filter((l) => l && !l.startsWith('Warning:') && !l.startsWith('at ') && !l.startsWith('Node.js v'));
          const detail = lines.filter((l) => /^\w*Error\b/.test(l)).pop() ?? lines.pop();
          resolve({
            error: e.killed
              ? `Dawn did not list adapters within ${timeout / 1000} s`
              : `Dawn could not list adapters: ${detail ?? 'no output'}`,
          });
          return;
        }
        try {
          resolve({ adapters: JSON.parse(stdout) as WebgpuAdapter[] });
        } catch {
          resolve({ error: `Dawn's adapter list was not JSON: ${stdout.slice(0, 200)}` });
        }
      },
    );
  });
}

/** "mesa llvmpipe: Mesa 25.0.7 (software, fallback adapter, shader-f16)" */
export function describeAdapter(a: WebgpuAdapter): string {
  const tags = [
    a.architecture,
    a.isFallbackAdapter ? 'fallback adapter' : '',
    a.shaderF16 ? 'shader-f16' : 'no shader-f16',
  ]
    .filter(Boolean)
    .join(', ');
  return `${a.vendor ? `${a.vendor} ` : ''}${a.description || a.device} (${tags})`;
}
