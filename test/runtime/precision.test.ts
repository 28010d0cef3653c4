// Which device trains in which precision, and the errors that name the device and the fix.
import { checkMixedPrecision, computeTypeOf, PrecisionError, precisionFlagOf } from '../../src/runtime/precision.js';

test('--precision values map to compute types and back', () => {
  expect(computeTypeOf('32')).toBeUndefined();
  expect(computeTypeOf('16-mixed')).toBe('float16');
  expect(computeTypeOf('bf16-mixed')).toBe('bfloat16');
  expect(() => computeTypeOf('16-true')).toThrow(PrecisionError);
  for (const p of ['32', '16-mixed', 'bf16-mixed'] as const) expect(precisionFlagOf(computeTypeOf(p))).toBe(p);
});

test('float16: CUDA and WebGPU with shader-f16; the CPU only when asked; bfloat16: CUDA only', () => {
  const cuda = { kind: 'cuda', deviceId: 0 } as const;
  expect(() => checkMixedPrecision(cuda, 'float16')).not.toThrow();
  expect(() => checkMixedPrecision(cuda, 'bfloat16')).not.toThrow();
  expect(() => checkMixedPrecision({ kind: 'webgpu' }, 'float16', { webgpuShaderF16: true })).not.toThrow();
  // An adapter that was not queried (no `webgpu` package): ONNX Runtime decides.
  expect(() => checkMixedPrecision({ kind: 'webgpu' }, 'float16')).not.toThrow();
  expect(() => checkMixedPrecision({ kind: 'webgpu' }, 'float16', { webgpuShaderF16: false })).toThrow(
    "--precision 16-mixed needs the WebGPU adapter's shader-f16 feature, which this adapter lacks; use --precision 32 on this GPU",
  );
  expect(() => checkMixedPrecision({ kind: 'webgpu' }, 'bfloat16', { webgpuShaderF16: true })).toThrow(
    /bf16-mixed is not supported on webgpu: WebGPU has no bfloat16 type; use --precision 16-mixed there/,
  );
  expect(() => checkMixedPrecision({ kind: 'cpu' }, 'float16')).toThrow(
    /16-mixed is not supported on the CPU device: .* use --precision 32 on the CPU, or train on a GPU/,
  );
  expect(() => checkMixedPrecision({ kind: 'cpu' }, 'float16', { allowCpu: true })).not.toThrow();
  expect(() => checkMixedPrecision({ kind: 'cpu' }, 'bfloat16', { allowCpu: true })).toThrow(PrecisionError);
  expect(() => checkMixedPrecision({ kind: 'cpu' }, undefined)).not.toThrow();
  try {
    checkMixedPrecision({ kind: 'cpu' }, 'float16');
  } catch (e) {
    expect((e as PrecisionError).flag).toBe('precision'); // the action titles its annotation with the input
  }
});
