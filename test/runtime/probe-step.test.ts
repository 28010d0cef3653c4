// The probe a training run makes on its GPU before reading data: one real training step of a tiny
// model whose graphs hold the ops that fail first (checked here in every graph kind), run for real
// on the CPU; its failures as typed problems with the fix, from ORT's own error strings (formats
// of cuda_call.cc's CudaCall, cudnn_loader.cc, session_state.cc), and from wrong results.
import { buildStepGraph, type MixedPrecision } from '../../src/engine/step-graph.js';
import { initParams, ProbeModel, probeTrainingStep, referenceLoss, wrongResult } from '../../src/engine/probe-step.js';
import { Graph } from '../../src/onnx/graph.js';
import { OPSET } from '../../src/onnx/serialize.js';
import { checkCudaPlacement } from '../../src/runtime/cuda-kernel-check.js';
import { classifyCudaFailure } from '../../src/runtime/device.js';
import { probeProblem } from '../../src/runtime/probe.js';
import { dawnLines } from '../../src/runtime/webgpu-probe.js';

const ops = (g: Graph): string[] =>
  g.nodes.flatMap((n) => [n.opType, ...Object.values(n.attrs).flatMap((a) => (a instanceof Graph ? ops(a) : []))]);

describe('the training-step probe', () => {
  test.each([
    ['float32', undefined],
    ['float16', 'float16'],
    ['bfloat16', 'bfloat16'],
  ] as const)(
    'its %s step graph runs LayerNorm, Softmax, ReduceSum, Gemm, ScatterND, Where and Scan, each with a CUDA kernel',
    (_kind, compute) => {
      const precision: MixedPrecision | undefined = compute ? { compute } : undefined;
      // As the Runner builds it for CUDA (and the CPU): the flat layout, K steps in a Scan.
      const g = buildStepGraph(new ProbeModel(), {
        optimizer: { kind: 'adamw', eps: 1e-8, weightDecay: 0.01 },
        maxGradNorm: 1,
        layout: 'flat',
        precision,
      }).graph;
      const seen = new Set(ops(g));
      for (const op of [
        'LayerNormalization',
        'Softmax',
        'ReduceSum',
        'Gemm',
        'ScatterND',
        'Where',
        'Scan',
        'MatMul',
        'Gather',
      ])
        expect([op, seen.has(op)]).toEqual([op, true]);
      // The probe tests the device, not our kernel table: every float node has a CUDA kernel.
      expect(checkCudaPlacement([{ name: 'probe', graph: g }], { opset: OPSET }).missing).toEqual([]);
    },
  );

  test('on the CPU: float32 and float16 steps pass, the first loss is the float64 reference', async () => {
    const t0 = Date.now();
    const r = await probeTrainingStep({ kind: 'cpu' }, { compute: 'float16' });
    expect(r).toMatchObject({ ok: true, kind: 'float16' });
    expect(Date.now() - t0).toBeLessThan(10_000); // it runs before every GPU training run
    // The reference is a real loss, not a trivial one.
    expect(referenceLoss(initParams())).toBeGreaterThan(0.1);
  });

  test('wrong or non-finite results fail the probe, with what was wrong', () => {
    const want = referenceLoss(initParams());
    const good = { losses: [want * (1 + 5e-5), want * 0.9], gradNorms: [1.5, 1.4] };
    expect(wrongResult('float32', good, want)).toBeUndefined();
    expect(wrongResult('float32', { ...good, losses: [want * 1.001, want] }, want)).toBe(
      `the float32 training step's loss is ${want * 1.001}, but this model's loss is ${want.toPrecision(7)}`,
    );
    // float16 rounding is allowed for; bfloat16's more so.
    expect(wrongResult('float16', { ...good, losses: [want * 1.005, want] }, want)).toBeUndefined();
    expect(wrongResult('float16', { ...good, losses: [want * 1.03, want] }, want)).toMatch(
      /^the float16 training step's loss/,
    );
    expect(wrongResult('bfloat16', { ...good, losses: [want * 1.03, want] }, want)).toBeUndefined();
    expect(wrongResult('float32', { ...good, gradNorms: [NaN, 1] }, want)).toBe(
      `the float32 training step gave non-finite results: losses ${good.losses.join(', ')}, gradient norms NaN, 1`,
    );
    expect(wrongResult('float16', { ...good, skipped: [true, false], lossScales: [256, 128] }, want)).toBe(
      'the float16 training step found non-finite gradients (loss scale 256, 128)',
    );
    expect(wrongResult('float32', { ...good, losses: [good.losses[0], good.losses[0]] }, want)).toMatch(
      /did not update the parameters/,
    );
    const p = probeProblem(
      { kind: 'cuda', deviceId: 0 },
      { ortMessage: wrongResult('float32', { ...good, losses: [7, 6] }, want)!, code: 'wrong-result' },
    );
    expect(p).toEqual({
      code: 'wrong-result',
      device: 'cuda',
      message: `a training step ran on cuda:0 but its results are wrong: the float32 training step's loss is 7, but this model's loss is ${want.toPrecision(7)}`,
      fix: '--device cpu, and report the GPU, its driver and this message',
    });
  });
});

/** ORT's CUDA errors as onnxruntime-node reports them: run failures wrap CudaCall's "<LIB> failure N: ...". */
const run = (node: string, msg: string) =>
  `Non-zero status code returned while running ${node} node. Name:'${node}_0' Status Message: ${msg}`;
const call = (lib: string, code: number, text: string, expr: string) =>
  `${lib} failure ${code}: ${text} ; GPU=0 ; hostname=runner ; file=/onnxruntime_src/onnxruntime/core/providers/cuda/cuda_execution_provider.cc ; line=54 ; expr=${expr}; `;

describe("CUDA failures of the probe, from ORT's words to a typed problem and its fix", () => {
  const cuda = { kind: 'cuda', deviceId: 0 } as const;
  test.each([
    {
      what: 'cuDNN not installed (ORT >= 1.28 opens it on first use)',
      ort: run(
        'LayerNormalization',
        call(
          'CUDNN',
          1001,
          'cuDNN is not available. Install cuDNN, update the system library search path, or set enable_cudnn=0 to force native CUDA paths where available.',
          'cudnnCreate(&cudnn_handle_)',
        ),
      ),
      code: 'library-missing',
      message:
        /^cuDNN could not be loaded when the training step first needed it \(ONNX Runtime said: "Non-zero status/,
      fix: /^install cuDNN 9 for the provider's CUDA major \(NVIDIA's apt repository: libcudnn9-cuda-<major>;/,
    },
    {
      what: 'cuBLAS that cannot start',
      ort: run('Gemm', call('CUBLAS', 3, 'CUBLAS_STATUS_NOT_INITIALIZED', 'cublasCreate(&cublas_handle_)')),
      code: 'cublas-failed',
      message: /^cuBLAS failed in the training step \(ONNX Runtime said: /,
      fix: /^check that libcublas and libcublasLt are of the same CUDA version/,
    },
    {
      what: 'cuBLAS out of memory',
      ort: run('MatMul', call('CUBLAS', 3, 'CUBLAS_STATUS_ALLOC_FAILED', 'cublasLtMatmul(...)')),
      code: 'out-of-memory',
      message: /^the GPU is out of memory before training starts/,
      fix: /^free the GPU/,
    },
    {
      what: "the arena's allocation failure",
      ort: run('Scan', 'Failed to allocate memory for requested buffer of size 17179869184'),
      code: 'out-of-memory',
      message: /^the GPU is out of memory/,
      fix: /nvidia-smi lists its processes/,
    },
    {
      what: 'a GPU the provider has no kernels for',
      ort: call('CUDA', 209, 'no kernel image is available for execution on the device', 'cudaGetLastError()'),
      code: 'gpu-arch-unsupported',
      message: /^the first CUDA kernel launch failed: the provider has no kernels for this GPU/,
      fix: /^--device webgpu, or a runner whose GPU the provider supports/,
    },
    {
      what: 'a driver older than the CUDA runtime',
      ort: call(
        'CUDA',
        35,
        'CUDA driver version is insufficient for CUDA runtime version',
        'cudaSetDevice(info_.device_id)',
      ),
      code: 'driver-too-old',
      message: /^the NVIDIA driver is too old/,
      fix: /^update the NVIDIA driver/,
    },
    {
      what: 'a library the provider links',
      ort: 'Failed to load library libonnxruntime_providers_cuda.so with error: libcublasLt.so.12: cannot open shared object file: No such file or directory',
      code: 'library-missing',
      message: /^the CUDA provider could not load a library/,
      fix: /^run textclf doctor: it names the library and where the loader looked/,
    },
  ])('$what', ({ ort, code, message, fix }) => {
    expect(classifyCudaFailure(ort)).toBe(code);
    const p = probeProblem(cuda, ort);
    expect(p.code).toBe(code);
    expect(p.message).toMatch(message);
    expect(p.fix).toMatch(fix);
  });

  test('a node without a CUDA kernel in the float16 graph: named, and --precision 32 first', () => {
    const ort = "Could not find an implementation for ScatterND(16) node with name 'ScatterND_2'";
    const p = probeProblem(cuda, { ortMessage: ort, kind: 'float16' });
    expect(p).toEqual({
      code: 'kernel-missing',
      device: 'cuda',
      message: `the CUDA provider has no kernel for a node of the training step (the float16 mixed-precision graph) (ONNX Runtime said: "${ort}")`,
      fix: '--precision 32, --device webgpu or --device cpu; and report the error with textclf doctor --json',
    });
  });
});

test("Dawn's and the Vulkan loader's stderr, as the WebGPU probe reads it: in words, noise dropped", () => {
  // What the child prints on this machine with VK_ICD_FILENAMES at a missing file, and on lavapipe.
  const stderr = [
    'Warning: maxDynamicUniformBuffersPerPipelineLayout artificially reduced from 1000000 to 16 to fit dynamic offset allocation limit.',
    'Warning: loader_get_json: Failed to open JSON file /nonexistent/icd.json',
    'Warning: vkCreateInstance: Found no drivers!',
    'Warning: vkCreateInstance failed with VK_ERROR_INCOMPATIBLE_DRIVER',
    '    at CheckVkSuccessImpl (/build/Release/_deps/dawn-src/src/dawn/native/vulkan/VulkanError.cpp:106)',
    '',
    'Warning: libvulkan_intel.so: cannot open shared object file: No such file or directory',
  ].join('\n');
  expect(dawnLines(stderr)).toEqual([
    'the Vulkan loader could not open the driver manifest /nonexistent/icd.json',
    'the Vulkan loader found no driver (ICD)',
    'the Vulkan loader could not load libvulkan_intel.so',
  ]);
});
