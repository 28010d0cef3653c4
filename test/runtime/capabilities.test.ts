// One capability record per device (src/runtime/capabilities.ts): what the engine, models and
// trainer ask instead of a device's name, and the WebGPU buffer limit taken from the adapter.
import {
  capabilitiesOf,
  capabilitiesOfPrepared,
  graphCapsOf,
  WEBGPU_DEFAULT_LIMITS,
} from '../../src/runtime/capabilities.js';
import type { PreparedDevice } from '../../src/runtime/prepare.js';
import type { WebgpuAdapter } from '../../src/runtime/webgpu.js';

const adapter = (limits: Record<string, number>, shaderF16 = true): WebgpuAdapter => ({
  vendor: 'mesa',
  architecture: '',
  device: '',
  description: 'llvmpipe',
  isFallbackAdapter: true,
  shaderF16,
  features: [],
  limits,
  powerPreference: ['high-performance'],
});

test('cpu, cuda, webgpu: graphs, resident state, layout, pad multiple, half types', () => {
  expect(capabilitiesOf({ kind: 'cpu' })).toEqual({
    graphs: { legalize: 'any', float64: true, scan: true },
    residentState: false,
    layout: 'per-param',
    float16: false,
    bfloat16: false,
  });
  expect(capabilitiesOf({ kind: 'cuda', deviceId: 1 })).toEqual({
    graphs: { legalize: 'any', float64: true, scan: true },
    residentState: false,
    layout: 'flat',
    halfPadMultiple: 8,
    float16: true,
    bfloat16: true,
  });
  const w = capabilitiesOf({ kind: 'webgpu' });
  expect(w).toMatchObject({ residentState: true, layout: 'flat', bfloat16: false, float16: undefined });
  expect(w.halfPadMultiple).toBeUndefined();
  expect(w.graphs).toMatchObject({ legalize: 'webgpu', float64: false, scan: false });
});

test("webgpu's buffer limit: the smaller of the adapter's binding and buffer sizes, named; WebGPU's default when unknown", () => {
  expect(graphCapsOf({ kind: 'webgpu' })).toMatchObject({
    maxBufferBytes: WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize,
    limitSource: expect.stringContaining('default'),
  });
  const lavapipe = { maxStorageBufferBindingSize: 134217728, maxBufferSize: 4294967295 };
  expect(graphCapsOf({ kind: 'webgpu' }, { webgpuAdapter: adapter(lavapipe) })).toMatchObject({
    maxBufferBytes: 134217728,
    limitSource: 'the maxStorageBufferBindingSize of llvmpipe',
  });
  const small = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 30 };
  expect(graphCapsOf({ kind: 'webgpu' }, { webgpuAdapter: adapter(small) })).toMatchObject({
    maxBufferBytes: 2 ** 30,
    limitSource: 'the maxBufferSize of llvmpipe',
  });
  expect(capabilitiesOf({ kind: 'webgpu' }, { webgpuAdapter: adapter(lavapipe, false) }).float16).toBe(false);
  for (const d of [{ kind: 'cpu' } as const, { kind: 'cuda', deviceId: 0 } as const])
    expect(graphCapsOf(d, { webgpuAdapter: adapter(lavapipe) }).maxBufferBytes).toBeUndefined();
});

test("a decided device: the adapter its decision saw, and ORT's own float16 answer over the adapter listing", () => {
  const prepared = (ok: boolean, ortF16?: boolean): PreparedDevice => ({
    device: { kind: 'webgpu' },
    reason: '',
    warnings: [],
    facts: {
      cpu: { cores: 2, threads: 2 },
      webgpu: {
        verdict: ok
          ? { ok: true, adapter: adapter({ maxStorageBufferBindingSize: 2 ** 30, maxBufferSize: 2 ** 32 }) }
          : { ok: false, problems: [] },
        adapters: { adapters: [] },
        ort: { ok, ms: 1, shaderF16: ortF16, dawn: [] },
        shaderF16: ortF16,
      },
    },
  });
  expect(capabilitiesOfPrepared(prepared(true)).graphs.maxBufferBytes).toBe(2 ** 30);
  expect(capabilitiesOfPrepared(prepared(false)).graphs.maxBufferBytes).toBe(
    WEBGPU_DEFAULT_LIMITS.maxStorageBufferBindingSize,
  );
  // The adapter listing (the `webgpu` package) hides shader-f16 on NVIDIA; ORT sets Dawn's toggle.
  const listed = capabilitiesOfPrepared(prepared(true)).float16;
  expect(capabilitiesOfPrepared(prepared(true, !listed)).float16).toBe(!listed);
});
