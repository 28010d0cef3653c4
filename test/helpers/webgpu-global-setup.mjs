// jest globalSetup: asks once, before any test file runs, whether ONNX Runtime's WebGPU EP finds an
// adapter on this machine (src/runtime/probe.ts in a child process, so that Dawn's one adapter
// choice per process and its stderr stay out of jest's), and tells the WebGPU suites through
// TEXTCLF_TEST_WEBGPU (read by test/helpers/webgpu.ts): "run"; "skip: <why>" where there is no
// adapter; "fail: <why>" where there is none under CI=true (the suites run and fail).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROBE = fileURLToPath(new URL('../../src/runtime/probe.ts', import.meta.url));
const SCRIPT = `const { probeDevice } = await import(process.argv[1]);
process.stdout.write(JSON.stringify(await probeDevice({ kind: 'webgpu' })));`;

/** undefined when the WebGPU EP ran the probe graph, else why not. */
function probe() {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', SCRIPT, PROBE],
      { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } },
      (err, stdout, stderr) => {
        try {
          const r = JSON.parse(stdout);
          // ORT says "<source location> ... was false. Failed to get a WebGPU adapter: No supported adapters".
          const said = r.ok
            ? ''
            : r.ortMessage
                .trim()
                .split('\n')
                .pop()
                .replace(/^.* was false\. /, '');
          resolve(r.ok ? undefined : `ONNX Runtime's WebGPU EP found no adapter ("${said}")`);
        } catch {
          const why = err?.killed ? 'no answer within 60 s' : (stderr || String(err)).trim().split('\n').pop();
          resolve(`the WebGPU probe failed (${why})`);
        }
      },
    );
  });
}

export default async function webgpuGlobalSetup() {
  if (process.env.TEXTCLF_TEST_WEBGPU) return; // set by the caller (or an earlier run in watch mode)
  const why = await probe();
  const ci = /^(true|1)$/i.test(process.env.CI ?? '');
  process.env.TEXTCLF_TEST_WEBGPU = why === undefined ? 'run' : `${ci ? 'fail' : 'skip'}: ${why}`;
}
