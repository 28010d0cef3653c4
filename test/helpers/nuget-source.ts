// A NuGet v3 server on 127.0.0.1 hosting several feeds by path (as Azure Artifacts hosts feeds of
// one organisation): per feed a service index, the flat container (PackageBaseAddress/3.0.0:
// versions and .nupkg files), gzip-encoded registrations whose catalog entries point at catalog
// leaves that carry packageHash (nuget.org's layout), and 404 for anything else. Faults on demand:
// a corrupt body (same length, other bytes), a body cut off after half its declared length, no
// registrations at all (a plain mirror). The packages are real zips holding ELF provider fixtures.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { ARCH_LISTS, buildElf, providerFatbins, type FatbinEntrySpec } from '../runtime/elf-fixture.js';
import { makeZip } from './zip.js';

export const GPU_PACKAGE = 'Microsoft.ML.OnnxRuntime.Gpu.Linux';
const NATIVE = 'runtimes/linux-x64/native';

export interface FeedPackage {
  id: string;
  version: string;
  nupkg: Buffer;
}

export interface Feed {
  packages: FeedPackage[];
  /** Registrations + catalog with packageHash (default true). */
  hashes?: boolean;
  /** Versions served with every byte of the body flipped (length unchanged). */
  corrupt?: string[];
  /** Versions whose body stops after half of the declared Content-Length. */
  truncate?: string[];
}

export interface NugetServer {
  url: string;
  /** `${url}/${feed}/v3/index.json` */
  index(feed: string): string;
  requests: string[];
  feeds: Record<string, Feed>;
  close(): Promise<void>;
}

/** The libraries of one provider build: ELF files linking CUDA `major`, fat binaries for `archs`. */
export function providerLibraries(
  major: 12 | 13,
  archs: FatbinEntrySpec[] = major === 12 ? ARCH_LISTS.cuda12 : ARCH_LISTS.cuda13,
) {
  return {
    'libonnxruntime_providers_shared.so': buildElf({
      needed: ['libc.so.6'],
      soname: 'libonnxruntime_providers_shared.so',
    }),
    'libonnxruntime_providers_cuda.so': buildElf({
      needed: [
        `libcublasLt.so.${major}`,
        `libcublas.so.${major}`,
        'libcurand.so.10',
        `libcufft.so.${major - 1}`,
        `libcudart.so.${major}`,
        'libcuda.so.1',
        'libstdc++.so.6',
        'libc.so.6',
      ],
      soname: 'libonnxruntime_providers_cuda.so',
      fatbins: providerFatbins(archs),
    }),
    'libonnxruntime_providers_tensorrt.so': buildElf({ needed: ['libnvinfer.so.10', 'libc.so.6'] }),
  };
}

/** A .nupkg as NuGet lays it out: nuspec, content types, runtimes/linux-x64/native/*.so. */
export function providerNupkg(version: string, libs: Record<string, Buffer>, id = GPU_PACKAGE): FeedPackage {
  const nuspec = `<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata><id>${id}</id><version>${version}</version><authors>Microsoft</authors><description>test build</description></metadata>
</package>
`;
  const nupkg = makeZip({
    '_rels/.rels': '<Relationships/>',
    [`${id}.nuspec`]: nuspec,
    ...Object.fromEntries(Object.entries(libs).map(([n, b]) => [`${NATIVE}/${n}`, b])),
    '[Content_Types].xml': '<Types/>',
  });
  return { id, version, nupkg };
}

export const sha512 = (b: Buffer) => createHash('sha512').update(b).digest('base64');

export async function startNugetServer(feeds: Record<string, Feed>): Promise<NugetServer> {
  const requests: string[] = [];
  let base = '';
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? '/').split('?')[0]!);
    requests.push(path);
    const json = (body: unknown, gzip = false) => {
      const raw = Buffer.from(JSON.stringify(body));
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(gzip ? gzipSync(raw) : raw);
    };
    const notFound = () => res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not found"}');
    const feedName = Object.keys(feeds).find((f) => path.startsWith(`/${f}/`));
    if (!feedName) return notFound();
    const feed = feeds[feedName]!;
    const root = `${base}/${feedName}`;
    const rest = path.slice(feedName.length + 1);
    const byId = (lid: string) => feed.packages.filter((p) => p.id.toLowerCase() === lid);
    if (rest === '/v3/index.json')
      return json({
        version: '3.0.0',
        resources: [
          { '@id': `${root}/v3-flatcontainer/`, '@type': 'PackageBaseAddress/3.0.0' },
          ...(feed.hashes === false
            ? []
            : [{ '@id': `${root}/v3/registration-gz/`, '@type': 'RegistrationsBaseUrl/3.6.0' }]),
          { '@id': `${root}/query`, '@type': 'SearchQueryService' },
        ],
      });
    let m = /^\/v3-flatcontainer\/([^/]+)\/index\.json$/.exec(rest);
    if (m) {
      const pkgs = byId(m[1]!);
      return pkgs.length ? json({ versions: pkgs.map((p) => p.version) }) : notFound();
    }
    m = /^\/v3-flatcontainer\/([^/]+)\/([^/]+)\/([^/]+\.nupkg)$/.exec(rest);
    if (m && m[3] === `${m[1]}.${m[2]}.nupkg`) {
      const p = byId(m[1]!).find((x) => x.version === m![2]);
      if (!p) return notFound();
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': p.nupkg.length });
      if (feed.corrupt?.includes(p.version)) return res.end(Buffer.from(p.nupkg.map((b) => b ^ 0xff)));
      if (feed.truncate?.includes(p.version)) {
        // The connection drops mid-body, once the first half has gone out.
        return void res.write(p.nupkg.subarray(0, p.nupkg.length >> 1), () => res.destroy());
      }
      return res.end(p.nupkg);
    }
    if (feed.hashes !== false) {
      m = /^\/v3\/registration-gz\/([^/]+)\/index\.json$/.exec(rest);
      if (m) {
        const pkgs = byId(m[1]!);
        if (!pkgs.length) return notFound();
        const lid = m[1]!;
        return json(
          {
            count: 1,
            items: [
              {
                '@id': `${root}/v3/registration-gz/${lid}/index.json#page`,
                lower: pkgs[0]!.version,
                upper: pkgs[pkgs.length - 1]!.version,
                count: pkgs.length,
                items: pkgs.map((p) => ({
                  '@id': `${root}/v3/registration-gz/${lid}/${p.version}.json`,
                  catalogEntry: {
                    '@id': `${root}/v3/catalog/${lid}.${p.version}.json`,
                    id: p.id,
                    version: p.version,
                    listed: true,
                    packageContent: `${root}/v3-flatcontainer/${lid}/${p.version}/${lid}.${p.version}.nupkg`,
                  },
                  packageContent: `${root}/v3-flatcontainer/${lid}/${p.version}/${lid}.${p.version}.nupkg`,
                })),
              },
            ],
          },
          true,
        );
      }
      m = /^\/v3\/catalog\/(.+?)\.(\d+\.\d+\.\d+[^/]*)\.json$/.exec(rest);
      if (m) {
        const p = byId(m[1]!).find((x) => x.version === m![2]);
        if (!p) return notFound();
        return json({
          '@type': ['PackageDetails', 'catalog:Permalink'],
          id: p.id,
          version: p.version,
          packageHash: sha512(p.nupkg),
          packageHashAlgorithm: 'SHA512',
          packageSize: p.nupkg.length,
        });
      }
    }
    notFound();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: base,
    index: (feed) => `${base}/${feed}/v3/index.json`,
    requests,
    feeds,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Feed paths as on Azure Artifacts: <org>/<project>/_packaging/<feed>/nuget. */
export const FEEDS = {
  nuget: 'nuget',
  nightly: 'PublicPackages/_packaging/ORT-Nightly/nuget',
  cuda12: 'PublicPackages/_packaging/onnxruntime-cuda-12/nuget',
};
