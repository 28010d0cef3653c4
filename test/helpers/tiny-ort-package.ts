// Small stand-ins for onnxruntime-node / onnxruntime-common npm tarballs, for provisioning tests
// that need the package's layout, not its 110 MB of binaries: package.json, a placeholder native
// binding for two platforms, and the real install metadata (script/install-metadata*.js of the
// installed onnxruntime-node) with its NuGet feed addresses pointed at a local server. Tarballs are
// written in-process (tar-stream + gzip) in npm's layout (`package/...`).
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import type { PackedPackage } from './npm-registry.js';

const REPO = new URL('../..', import.meta.url).pathname;
const ORT_DIR = join(REPO, 'node_modules', 'onnxruntime-node');

/** The installed package's install metadata, as text and as data. */
export function installedMetadata(): {
  text: string;
  versionsText: string;
  feeds: { nuget: { index: string }; nuget_nightly: { index: string } };
} {
  const file = join(ORT_DIR, 'script', 'install-metadata.js');
  const data = createRequire(file)(file) as { feeds: { nuget: { index: string }; nuget_nightly: { index: string } } };
  return {
    text: readFileSync(file, 'utf8'),
    versionsText: readFileSync(join(ORT_DIR, 'script', 'install-metadata-versions.js'), 'utf8'),
    feeds: data.feeds,
  };
}

async function tgz(files: Record<string, string | Buffer>): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => pack.on('end', () => r()));
  for (const [name, data] of Object.entries(files))
    await new Promise<void>((r, f) =>
      pack.entry({ name: `package/${name}`, mode: 0o644 }, data, (e) => (e ? f(e) : r())),
    );
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

function packed(
  dir: string,
  name: string,
  version: string,
  deps: Record<string, string>,
  bytes: Buffer,
): PackedPackage {
  const tarball = join(dir, `${name}-${version}.tgz`);
  writeFileSync(tarball, bytes);
  return {
    name,
    version,
    dependencies: deps,
    tarball,
    integrity: 'sha512-' + createHash('sha512').update(bytes).digest('base64'),
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
}

/**
 * onnxruntime-node `version` (+ onnxruntime-common) whose install metadata names
 * `feeds.nuget` = `nugetIndex` and `feeds.nuget_nightly` = `nightlyIndex` instead of ORT's hosts.
 */
export async function tinyOrtPackages(
  dir: string,
  version: string,
  feeds: { nugetIndex: string; nightlyIndex: string },
): Promise<PackedPackage[]> {
  const meta = installedMetadata();
  const metadata = meta.text
    .replace(meta.feeds.nuget.index, feeds.nugetIndex)
    .replace(meta.feeds.nuget_nightly.index, feeds.nightlyIndex);
  if (!metadata.includes(feeds.nugetIndex) || !metadata.includes(feeds.nightlyIndex))
    throw new Error('the install metadata does not carry the feed addresses as expected');
  const deps = { 'onnxruntime-common': version, 'adm-zip': '^0.6.0', 'global-agent': '^4.1.3' };
  const ort = await tgz({
    'package.json': JSON.stringify({ name: 'onnxruntime-node', version, main: 'dist/index.js', dependencies: deps }),
    'dist/index.js': 'module.exports = { tiny: true };\n',
    'bin/napi-v6/linux/x64/onnxruntime_binding.node': Buffer.from('binding for linux/x64'),
    'bin/napi-v6/linux/x64/libonnxruntime.so.1': Buffer.from('core library for linux/x64'),
    'bin/napi-v6/darwin/arm64/onnxruntime_binding.node': Buffer.from('binding for darwin/arm64'),
    'script/install-metadata.js': metadata,
    'script/install-metadata-versions.js': meta.versionsText.replace(/version: '[^']+'/, `version: '${version}'`),
  });
  const common = await tgz({
    'package.json': JSON.stringify({ name: 'onnxruntime-common', version, main: 'index.js' }),
    'index.js': 'module.exports = {};\n',
  });
  return [packed(dir, 'onnxruntime-node', version, deps, ort), packed(dir, 'onnxruntime-common', version, {}, common)];
}
