// The runner's entry (dist/index.js). onnxruntime-node is native and not in the bundle, so this
// small bootstrap finds or provisions it (src/runtime/provision.ts; with the CUDA provider when
// `device` is cuda, or auto with gpus > 0) before loading the main bundle, which imports it by name:
// - the action has its own node_modules: import ./main.js as is;
// - otherwise: stage main.js in RUNNER_TEMP next to a node_modules whose onnxruntime-node and
//   onnxruntime-common are symlinks into the tool cache. Node resolves bare imports (ESM and
//   createRequire alike) from the importing file's directory, so every importer of the package
//   (ours and @huggingface/transformers') gets the provisioned copy without patching code.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as core from '@actions/core';
import { parseValue } from '../config/parse.js';
import { flagSpec } from '../config/schema.js';
import type { CudaBuildRequest } from '../runtime/cuda-build.js';
import { defaultRegistry } from '../runtime/npm-fetch.js';
import { cudaRequestFor, resolveOrt, wantsCudaProvider, type OrtRuntime } from '../runtime/provision.js';
import { maskToken } from './inputs.js';
import { actionsLogger } from './logger.js';

const here = dirname(fileURLToPath(import.meta.url));

async function bootstrap(): Promise<void> {
  const started = performance.now();
  const log = actionsLogger();
  maskToken(); // before anything can log: provisioning runs before main
  const gpusInput = Number(core.getInput('gpus') || '0');
  const gpus = Number.isFinite(gpusInput) ? gpusInput : 0;
  const device = core.getInput('device') || 'auto';
  const cuda = wantsCudaProvider({ gpus, device });
  const registry = core.getInput('npm_registry') || defaultRegistry();
  const cudaRequest = cuda
    ? await cudaRequestFor({
        device,
        gpus,
        build: parseValue(flagSpec('cuda_build')!, core.getInput('cuda_build') || 'auto') as CudaBuildRequest,
        providerUrl: core.getInput('cuda_provider_url') || undefined,
        providerDir: core.getInput('cuda_provider_dir') || undefined,
      })
    : undefined;
  const resolve = (withCuda: boolean) =>
    resolveOrt({
      log,
      actionDir: join(here, '..'),
      registry,
      registryToken: process.env.NPM_TOKEN,
      cuda: withCuda ? cudaRequest : undefined,
    });
  let rt: OrtRuntime;
  try {
    rt = await resolve(cuda);
  } catch (e) {
    // Without the CUDA provider the run can still use WebGPU or the CPU: `auto` decides that by
    // itself later; an explicit cuda device only with allow_cpu_fallback.
    const auto = !/^\s*(cuda|gpu)/i.test(device);
    if (cuda && (auto || /^(true|1|yes|on)$/i.test(core.getInput('allow_cpu_fallback')))) {
      log.warning(
        `${(e as Error).message}; continuing without the CUDA provider because ${auto ? 'device is auto' : 'allow_cpu_fallback is true'}`,
      );
      rt = await resolve(false);
    } else {
      throw e;
    }
  }
  const main = rt.source === 'action' ? join(here, 'main.js') : stageMain(rt);
  const mod = (await import(pathToFileURL(main).href)) as {
    run(o: { ort: OrtRuntime; provisioningSeconds: number }): Promise<void>;
  };
  // the report's Time section counts this bootstrap as provisioning
  await mod.run({ ort: rt, provisioningSeconds: (performance.now() - started) / 1000 });
}

/** Copies the main bundle into RUNNER_TEMP beside node_modules symlinks to the resolved runtime. */
function stageMain(rt: OrtRuntime): string {
  const root = process.env.RUNNER_TEMP || join(here, '..', '.runtime');
  mkdirSync(root, { recursive: true });
  const stage = mkdtempSync(join(root, 'textclf-action-'));
  const nm = join(stage, 'node_modules');
  mkdirSync(nm);
  // The staged copy sits outside the action's package.json, so say again that .js is ESM.
  writeFileSync(join(stage, 'package.json'), '{"type":"module"}\n');
  const kind = process.platform === 'win32' ? 'junction' : 'dir'; // junctions need no admin rights
  symlinkSync(rt.dir, join(nm, 'onnxruntime-node'), kind);
  // onnxruntime-common's "exports" hide package.json: find its folder on the lookup path instead.
  const lookup = createRequire(join(rt.dir, 'package.json')).resolve.paths('onnxruntime-common') ?? [];
  const common = lookup.map((d) => join(d, 'onnxruntime-common')).find((d) => existsSync(join(d, 'package.json')));
  if (!common) throw new Error(`onnxruntime-common is missing next to ${rt.dir}`);
  symlinkSync(common, join(nm, 'onnxruntime-common'), kind);
  for (const f of readdirSync(here))
    if (f !== 'index.js' && f !== 'cli.js' && /\.(m?js|cjs|map)$/.test(f)) copyFileSync(join(here, f), join(stage, f));
  return join(stage, 'main.js');
}

bootstrap().catch((e) => {
  core.setFailed((e as Error).message ?? String(e));
});
