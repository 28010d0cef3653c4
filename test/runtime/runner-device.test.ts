// Devices at session level: CPU works; a CUDA session on a machine without the CUDA provider fails
// with a CudaUnavailableError that names the missing library and how to get it (not a crash); ORT's
// own CUDA failure strings map to named causes.
import {
  classifyCudaFailure,
  cudaError,
  CudaUnavailableError,
  DeviceError,
  DeviceUnavailableError,
  executionProviders,
  findMissingCudaLibs,
  ortBinaryDir,
  parseDevice,
  parseDeviceRequest,
} from '../../src/runtime/device.js';
import { writeElf } from './elf-fixture.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { Runner } from '../../src/engine/runner.js';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { Mlp } from '../helpers/mlp.js';

const model = new Mlp([2, 3, 2]);

describe('devices', () => {
  test('parseDevice / parseDeviceRequest', () => {
    expect(parseDevice('cpu')).toEqual({ kind: 'cpu' });
    expect(parseDevice('cuda')).toEqual({ kind: 'cuda', deviceId: 0 });
    expect(parseDevice('CUDA:3')).toEqual({ kind: 'cuda', deviceId: 3 });
    expect(parseDevice('webgpu')).toEqual({ kind: 'webgpu' });
    expect(parseDeviceRequest(' Auto ')).toEqual({ kind: 'auto' });
    expect(() => parseDevice('auto')).toThrow(/must be resolved first/);
    expect(() => parseDevice('tpu')).toThrow(DeviceError);
    expect(() => parseDevice('cuda:x')).toThrow(/use 'auto', 'cpu', 'webgpu', 'cuda' or 'cuda:<id>'/);
    expect(executionProviders({ kind: 'webgpu' })).toEqual(['webgpu', 'cpu']);
    expect(new DeviceError('x').flag).toBe('device');
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
    expect(err).toBeInstanceOf(DeviceUnavailableError);
    const e = err as CudaUnavailableError;
    expect(e.missing).toEqual(['libonnxruntime_providers_shared.so', 'libonnxruntime_providers_cuda.so']);
    expect(e.code).toBe('library-missing');
    expect(e.message).toBe(
      `cuda:1: the CUDA provider could not load: missing libonnxruntime_providers_shared.so, libonnxruntime_providers_cuda.so (the provider libraries belong in ${bin}). ` +
        `ONNX Runtime said: "OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library". ` +
        'What to do: the GitHub Action provisions the build the GPU needs when gpus > 0 or device is cuda; from the CLI run `npx textclf provision --dir toolcache` (CUDA 12 build for compute capability below 7.5 or drivers older than 580.65.06, else CUDA 13; --cuda_build 12|13 to choose) and copy the two provider libraries it names into node_modules/onnxruntime-node/bin/napi-v6/linux/x64/',
    );
  });

  test('a provider that is present: the missing library comes from its DT_NEEDED, not from the message', () => {
    const bin = mkdtempSync(path.join(tmpdir(), 'cuda-bin-'));
    try {
      writeElf(path.join(bin, 'libonnxruntime_providers_shared.so'), {});
      // Its dependency sits next to it but the provider has no RUNPATH: the loader will not look there.
      writeElf(path.join(bin, 'libcudart.so.12'), {});
      writeElf(path.join(bin, 'libonnxruntime_providers_cuda.so'), {
        needed: ['libcudart.so.12', 'libcudnn_absent.so.9'],
      });
      const e = cudaError(
        { kind: 'cuda', deviceId: 0 },
        'OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library',
        bin,
      );
      expect(e.missing).toEqual(['libcudart.so.12', 'libcudnn_absent.so.9']);
      expect(e.message).toMatch(
        /^cuda:0: the CUDA provider could not load: missing libcudart\.so\.12, libcudnn_absent\.so\.9 /,
      );
      expect(e.message).toContain('/usr/local/cuda/lib64 is not searched by default');
      // Named in native text (when a caller has it): first.
      expect(
        findMissingCudaLibs('libcublasLt.so.12: cannot open shared object file: No such file or directory', bin)[0],
      ).toBe('libcublasLt.so.12');
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });

  test("ORT's CUDA failure strings map to named causes", () => {
    const at =
      ' ; GPU=0 ; hostname=runner-7 ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=163 ; expr=cudaGetLastError(); ';
    expect(classifyCudaFailure(`CUDA failure 209: no kernel image is available for execution on the device${at}`)).toBe(
      'gpu-arch-unsupported',
    );
    expect(classifyCudaFailure(`CUDA failure 2: out of memory${at}`)).toBe('out-of-memory');
    expect(
      classifyCudaFailure(
        "Non-zero status code returned while running MatMul node. Name:'MatMul_0' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:359 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 2147483648",
      ),
    ).toBe('out-of-memory');
    expect(
      classifyCudaFailure(`CUDA failure 35: CUDA driver version is insufficient for CUDA runtime version${at}`),
    ).toBe('driver-too-old');
    expect(classifyCudaFailure(`CUDA failure 100: no CUDA-capable device is detected${at}`)).toBe('no-driver');
    expect(classifyCudaFailure('OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library')).toBe(
      'library-missing',
    );
    const e = cudaError({ kind: 'cuda', deviceId: 7 }, `CUDA failure 101: invalid device ordinal${at}`);
    expect(e.message).toMatch(/^cuda:7: cuda:7 does not exist on this machine/);
    expect(e.code).toBe('no-such-gpu');
    const k = cudaError(
      { kind: 'cuda', deviceId: 0 },
      `CUDA failure 209: no kernel image is available for execution on the device${at}`,
    );
    expect(k.message).toContain('What to do: --device webgpu');
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
