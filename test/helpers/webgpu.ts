// The WebGPU suites run where ONNX Runtime's WebGPU EP finds an adapter (jest's globalSetup probes
// once: webgpu-global-setup.mjs). Where it finds none they are skipped, counted by jest as skipped
// tests, and one line after jest's summary says why and how to enable them (webgpu-global-teardown);
// under CI=true they run, and fail, instead. Use describeWebgpu / testWebgpu for describe / test.
const state = process.env.TEXTCLF_TEST_WEBGPU ?? 'run';

/** Why the WebGPU suites are skipped here, or undefined when they run. */
export const webgpuSkipReason: string | undefined = state.startsWith('skip: ') ? state.slice(6) : undefined;

export const describeWebgpu: jest.Describe = webgpuSkipReason ? describe.skip : describe;
export const testWebgpu: jest.It = webgpuSkipReason ? test.skip : test;
