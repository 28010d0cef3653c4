// jest globalTeardown: the one line, after jest's summary, that says the WebGPU suites did not run
// here (or, under CI=true, why they failed) and how to enable them.
const ENABLE =
  "install Mesa's lavapipe (Debian/Ubuntu, as root: node scripts/install-test-deps.mjs) or use a GPU with a Vulkan driver";

export default async function webgpuGlobalTeardown() {
  const [verdict, ...rest] = (process.env.TEXTCLF_TEST_WEBGPU ?? '').split(': ');
  const why = rest.join(': ');
  if (verdict === 'skip')
    process.stderr.write(
      `\n!!! WebGPU suites SKIPPED: ${why}. To run them, ${ENABLE}. (Under CI=true they fail instead.)\n`,
    );
  else if (verdict === 'fail')
    process.stderr.write(`\n!!! WebGPU suites FAILED: CI=true and ${why}. To fix it, ${ENABLE}.\n`);
}
