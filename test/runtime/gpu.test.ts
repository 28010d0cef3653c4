import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideGpus, GpuError, parseNvidiaSmi, queryGpus } from '../../src/runtime/gpu.js';

describe('gpu facts', () => {
  test('parses nvidia-smi CSV, names with commas included', () => {
    expect(parseNvidiaSmi('NVIDIA A10G, 23028, 535.104.05\nTesla T4, 15360, 535.104.05\n')).toEqual([
      { name: 'NVIDIA A10G', memoryMiB: 23028, driver: '535.104.05' },
      { name: 'Tesla T4', memoryMiB: 15360, driver: '535.104.05' },
    ]);
    expect(parseNvidiaSmi('Odd, Name, [N/A], 550.1')).toEqual([
      { name: 'Odd, Name', memoryMiB: undefined, driver: '550.1' },
    ]);
  });

  test('runs nvidia-smi with the query flags; missing binary means no facts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'smi-'));
    try {
      const fake = join(dir, 'nvidia-smi');
      // Prints one GPU only when called with exactly the flags the real tool needs.
      writeFileSync(
        fake,
        '#!/bin/sh\n[ "$1" = "--query-gpu=name,memory.total,driver_version" ] && [ "$2" = "--format=csv,noheader,nounits" ] && echo "NVIDIA L4, 23034, 550.54.15" && exit 0\nexit 9\n',
      );
      chmodSync(fake, 0o755);
      expect(await queryGpus(fake)).toEqual([{ name: 'NVIDIA L4', memoryMiB: 23034, driver: '550.54.15' }]);
      expect(await queryGpus(join(dir, 'absent'))).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('decideGpus', () => {
  const l4 = [{ name: 'NVIDIA L4', memoryMiB: 23034, driver: '550.54.15' }];
  const linux = 'linux/x64';

  test('CPU runs need nothing', () => {
    expect(decideGpus({ gpus: 0, allowCpuFallback: false, cudaProvider: false, facts: undefined })).toEqual({
      gpus: 0,
      facts: [],
    });
  });
  test('a GPU with the provider trains on CUDA and reports that GPU', () => {
    expect(decideGpus({ gpus: 1, allowCpuFallback: false, cudaProvider: true, facts: l4, platform: linux })).toEqual({
      gpus: 1,
      facts: l4,
    });
  });
  test('no driver fails with the fix, naming the flag', () => {
    const run = () =>
      decideGpus({ gpus: 1, allowCpuFallback: false, cudaProvider: true, facts: undefined, platform: linux });
    expect(run).toThrow(GpuError);
    expect(run).toThrow(/^gpus=1: nvidia-smi is not available.*set allow_cpu_fallback: true/);
  });
  test('missing provider or too few GPUs fail; with allow_cpu_fallback they warn and use CPU', () => {
    expect(() =>
      decideGpus({ gpus: 1, allowCpuFallback: false, cudaProvider: false, facts: l4, platform: linux }),
    ).toThrow(/CUDA provider libraries are not installed/);
    expect(() =>
      decideGpus({ gpus: 2, allowCpuFallback: false, cudaProvider: true, facts: l4, platform: linux }),
    ).toThrow(/2 GPUs were requested but nvidia-smi lists 1 \(NVIDIA L4\)/);
    const d = decideGpus({ gpus: 2, allowCpuFallback: true, cudaProvider: true, facts: l4, platform: linux });
    expect(d.gpus).toBe(0);
    expect(d.warning).toMatch(/training on CPU because allow_cpu_fallback is true/);
    expect(() =>
      decideGpus({ gpus: 1, allowCpuFallback: false, cudaProvider: true, facts: l4, platform: 'darwin/arm64' }),
    ).toThrow(/Linux x64 runners only/);
  });
});
