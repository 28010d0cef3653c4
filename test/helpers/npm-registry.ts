// A local npm registry mirror on 127.0.0.1: abbreviated packuments and tarballs made with
// `npm pack` from installed packages. Packs are cached in the OS temp dir (onnxruntime-node packs
// to ~110 MB in ~25 s), keyed by name, version and package.json mtime.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PackedPackage {
  name: string;
  version: string;
  dependencies: Record<string, string>;
  tarball: string;
  integrity: string;
  shasum: string;
}

export function packInstalled(pkgDir: string): PackedPackage {
  const pj = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    dependencies?: Record<string, string>;
  };
  const key = `${pj.name.replace('/', '__')}-${pj.version}-${Math.floor(statSync(join(pkgDir, 'package.json')).mtimeMs)}`;
  const cacheDir = join(tmpdir(), 'textclf-npm-packs');
  const tarball = join(cacheDir, `${key}.tgz`);
  if (!existsSync(tarball)) {
    const work = join(cacheDir, `${key}.${process.pid}.tmp`);
    mkdirSync(work, { recursive: true });
    const out = execFileSync('npm', ['pack', pkgDir, '--ignore-scripts', '--json', '--pack-destination', work], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [{ filename }] = JSON.parse(out) as { filename: string }[];
    renameSync(join(work, filename), tarball);
    rmSync(work, { recursive: true, force: true });
  }
  const bytes = readFileSync(tarball);
  return {
    name: pj.name,
    version: pj.version,
    dependencies: pj.dependencies ?? {},
    tarball,
    integrity: 'sha512-' + createHash('sha512').update(bytes).digest('base64'),
    shasum: createHash('sha1').update(bytes).digest('hex'),
  };
}

export interface LocalRegistry {
  url: string;
  /** Request paths in order (for "nothing fetched the second time" checks). */
  requests: string[];
  close(): Promise<void>;
}

export async function startNpmRegistry(
  packages: PackedPackage[],
  opts: { corrupt?: string } = {},
): Promise<LocalRegistry> {
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const tgz = path.match(/^\/(.+)\/-\/[^/]+-(\d[^/]*)\.tgz$/);
    if (tgz) {
      const p = packages.find((x) => x.name === tgz[1] && x.version === tgz[2]);
      if (!p) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': statSync(p.tarball).size });
      if (opts.corrupt === p.name) {
        res.end(Buffer.alloc(statSync(p.tarball).size, 1));
        return;
      }
      createReadStream(p.tarball).pipe(res);
      return;
    }
    const name = path.slice(1);
    const versions = packages.filter((p) => p.name === name);
    if (!versions.length) {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'Not found' }));
      return;
    }
    const doc = {
      name,
      'dist-tags': { latest: versions[versions.length - 1]!.version },
      versions: Object.fromEntries(
        versions.map((p) => [
          p.version,
          {
            name,
            version: p.version,
            dependencies: p.dependencies,
            dist: {
              tarball: `${base}/${name}/-/${name.split('/').pop()}-${p.version}.tgz`,
              integrity: p.integrity,
              shasum: p.shasum,
            },
          },
        ]),
      ),
    };
    res.writeHead(200, { 'content-type': 'application/vnd.npm.install-v1+json' }).end(JSON.stringify(doc));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: base + '/', requests, close: () => new Promise((r) => server.close(() => r())) };
}

/** Packs an installed package and its installed dependency closure (resolved the way node does). */
export function packClosure(rootDir: string, skip: string[] = []): PackedPackage[] {
  const seen = new Map<string, PackedPackage>();
  const visit = (dir: string) => {
    const p = packInstalled(dir);
    const id = `${p.name}@${p.version}`;
    if (seen.has(id)) return;
    seen.set(id, p);
    const req = createRequire(join(dir, 'package.json'));
    for (const dep of Object.keys(p.dependencies)) {
      if (skip.includes(dep)) continue;
      visit(findPackageDir(req.resolve.paths(dep) ?? [], dep));
    }
  };
  visit(rootDir);
  return [...seen.values()];
}

function findPackageDir(paths: string[], name: string): string {
  for (const base of paths) if (existsSync(join(base, name, 'package.json'))) return join(base, name);
  throw new Error(`cannot find installed package ${name}`);
}
