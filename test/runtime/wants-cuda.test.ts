// Which action runs provision the CUDA provider (hundreds of MB from NuGet): only those that may use it.
import { wantsCudaProvider } from '../../src/runtime/provision.js';

test('the CUDA provider is provisioned for device cuda[:N], and for auto (the default) with gpus > 0', () => {
  const cases: [number, string | undefined, boolean][] = [
    [0, undefined, false],
    [1, undefined, true],
    [1, '', true],
    [0, 'auto', false],
    [2, 'auto', true],
    [0, 'cuda', true],
    [0, 'CUDA:1', true],
    [1, 'webgpu', false],
    [1, 'cpu', false],
    [1, 'tpu', false], // not a device: the flag check reports it, nothing is downloaded for it
  ];
  for (const [gpus, device, want] of cases)
    expect([gpus, device, wantsCudaProvider({ gpus, device })]).toEqual([gpus, device, want]);
});
