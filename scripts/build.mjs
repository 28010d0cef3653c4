// Builds the committed bundles and action.yml:
//   dist/index.js  the runner's entry: finds or provisions onnxruntime-node, then loads main.js
//   dist/main.js   the action (src/action/main.ts)
//   dist/cli.js    the `textclf` command (src/cli/index.ts)
// onnxruntime-node/-common stay external: native code, resolved at run time (see src/action/index.ts).
// `node scripts/build.mjs --outdir DIR` writes everything into DIR instead (the staleness test).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outArg = argv.indexOf('--outdir');
const outdir = outArg >= 0 ? resolve(argv[outArg + 1]) : join(root, 'dist');
const actionYmlPath = outArg >= 0 ? join(outdir, 'action.yml') : join(root, 'action.yml');

// ESM bundles that contain CommonJS code need require/__dirname/__filename of their own. The
// banner is text esbuild does not see, so its names must not be ones a bundled module may declare
// itself (@azure/storage-common declares a top-level `__filename`): CommonJS code's free
// __filename/__dirname are renamed to the banner's by `define`.
const banner = [
  "import { createRequire as __textclfCreateRequire } from 'node:module';",
  "import { fileURLToPath as __textclfFileURLToPath } from 'node:url';",
  "import { dirname as __textclfDirname } from 'node:path';",
  'const require = __textclfCreateRequire(import.meta.url);',
  'const __textclfFilename = __textclfFileURLToPath(import.meta.url);',
  'const __textclfDirnameOf = __textclfDirname(__textclfFilename);',
].join('\n');

// @huggingface/transformers imports sharp (native, images only) at the top level; textclf never
// processes images, so sharp becomes a stub that fails loudly if anything calls it.
const stubSharp = {
  name: 'stub-sharp',
  setup(b) {
    b.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'textclf-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'textclf-stub' }, () => ({
      contents:
        "export default function sharp() { throw new Error('textclf: image processing (sharp) is not part of the bundle'); }",
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['onnxruntime-node', 'onnxruntime-common'],
  plugins: [stubSharp],
  banner: { js: banner },
  define: { __filename: '__textclfFilename', __dirname: '__textclfDirnameOf' },
  legalComments: 'none',
  logLevel: 'warning',
  absWorkingDir: root,
  charset: 'utf8',
  // Module paths as they appear under node_modules, not their real paths: a checkout whose
  // node_modules is a symlink (worktrees sharing one install) bundles the same bytes as a clone.
  preserveSymlinks: true,
};

mkdirSync(outdir, { recursive: true });
await Promise.all([
  esbuild.build({ ...common, entryPoints: { index: 'src/action/index.ts', main: 'src/action/main.ts' }, outdir }),
  esbuild.build({ ...common, entryPoints: { cli: 'src/cli/index.ts' }, outdir }),
]);

// action.yml from the flag schema: bundle the generator, import it, write its output.
const tmp = mkdtempSync(join(tmpdir(), 'textclf-build-'));
try {
  const gen = join(tmp, 'metadata.mjs');
  await esbuild.build({
    ...common,
    plugins: [],
    banner: undefined,
    define: undefined,
    entryPoints: ['src/action/metadata.ts'],
    outfile: gen,
  });
  const { renderActionYml } = await import(pathToFileURL(gen).href);
  writeFileSync(actionYmlPath, renderActionYml());
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
