// Device selection: CPU works; a CUDA request on a machine without the CUDA provider fails with a
// CudaUnavailableError that names the missing library and how to get it (not a crash).
import {
  cudaError,
  CudaUnavailableError,
  DeviceError,
  findMissingCudaLibs,
  ortBinaryDir,
  parseDevice,
} from '../../src/runtime/device.js';
import { Runner } from '../../src/engine/runner.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Mlp } from '../helpers/mlp.js';

const model = new Mlp([2, 3, 2]);

describe('devices', () => {
  test('parseDevice', () => {
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDevice('CUDA:3')).toEqual({ kind: 'cuda', deviceId: 3 });
    expect(() => parseDevice('tpu')).toThrow(DeviceError);
    expect(() => parseDevice('cuda:x')).toThrow(/use 'cpu', 'cuda' or 'cuda:<id>'/);
  });

  test('CUDA requested without the CUDA provider: clear missing-library error', async () => {
    const bin = ortBinaryDir()!;
    // This machine has no GPU and onnxruntime-node was installed with the CUDA binaries skipped.
    expect(existsSync(path.join(bin, 'libonnxruntime_providers_cuda.so'))).toBe(false);
    const err = await Runner.create(model, {
      params: model.init(),
      optimizer: { kind: 'adamw' },
      device: 'cuda:1',
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CudaUnavailableError);
    const e = err as CudaUnavailableError;
    expect(e.missing).toContain('libonnxruntime_providers_cuda.so');
    expect(e.message).toMatch(
      /^cuda:1 was requested but ONNX Runtime's CUDA provider could not load: missing .*libonnxruntime_providers_cuda\.so/,
    );
    expect(e.message).toContain('--onnxruntime-node-install=cuda12');
    expect(e.message).toMatch(/CUDA 12 and cuDNN 9/);
    expect(e.ortMessage).toMatch(/Failed to load shared library/);
  });

  test("library names in ORT's message are reported first", () => {
    const missing = findMissingCudaLibs(
      'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory',
    );
    expect(missing[0]).toBe('libcublasLt.so.12');
  });

  test('a GPU id that does not exist is named as such', () => {
    const e = cudaError({ kind: 'cuda', deviceId: 7 }, 'CUDA failure 101: invalid device ordinal ; GPU=7');
    expect(e.message).toMatch(/^cuda:7 does not exist on this machine/);
  });

  test('cpu device with a thread count trains', async () => {
    const r = await Runner.create(model, {
      params: model.init(),
      optimizer: { kind: 'sgd' },
      device: 'cpu',
      threads: 2,
    });
    expect(r.deviceName).toBe('cpu');
    const b = {
      x: { data: Float32Array.of(1, 2, 3, 4), dims: [2, 2] },
      labels: { data: BigInt64Array.of(0n, 1n), dims: [2] },
    };
    expect((await r.step([b], [0.1])).losses[0]).toBeGreaterThan(0);
    await r.release();
  });
});
