// Installs npm packages from registry tarballs without npm itself (the runner's bundled node has
// no npm): abbreviated packuments, semver resolution, integrity checks, node_modules layout.
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HttpClient } from '@actions/http-client';
import * as tc from '@actions/tool-cache';
import semver from 'semver';

export class RegistryError extends Error {
  override name = 'RegistryError';
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  dist: { tarball: string; integrity?: string; shasum?: string };
}

interface Packument {
  name: string;
  versions: Record<string, Manifest>;
  'dist-tags'?: Record<string, string>;
}

export interface RegistryOptions {
  registry: string;
  /** Bearer token for private mirrors (never logged). */
  token?: string;
  userAgent?: string;
}

export function defaultRegistry(env: NodeJS.ProcessEnv = process.env): string {
  return env.NPM_CONFIG_REGISTRY || env.npm_config_registry || 'https://registry.npmjs.org/';
}

/** The packument URL: scoped names keep '@' and encode '/' (as npm does). */
export function packumentUrl(registry: string, name: string): string {
  return registry.replace(/\/*$/, '/') + name.replace('/', '%2f');
}

/**
 * The Authorization header for a tarball: only where the registry itself lives (same origin), as
 * npm scopes tokens to their registry; a packument may point tarballs at any host.
 */
export function tarballAuth(registry: string, tarball: string, token: string | undefined): string | undefined {
  if (!token) return undefined;
  try {
    return new URL(tarball).origin === new URL(registry).origin ? `Bearer ${token}` : undefined;
  } catch {
    return undefined;
  }
}

export class NpmRegistry {
  private readonly http: HttpClient;
  private readonly packuments = new Map<string, Packument>();
  constructor(private readonly opts: RegistryOptions) {
    // No retries and a 30 s limit on silence: an unreachable registry fails in seconds, not minutes.
    this.http = new HttpClient(opts.userAgent ?? 'textclf-action', [], { socketTimeout: 30_000, allowRetries: false });
  }

  private headers(): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8' };
    if (this.opts.token) h.authorization = `Bearer ${this.opts.token}`;
    return h;
  }

  async packument(name: string): Promise<Packument> {
    const cached = this.packuments.get(name);
    if (cached) return cached;
    const url = packumentUrl(this.opts.registry, name);
    let res;
    try {
      res = await this.http.get(url, this.headers());
    } catch (e) {
      throw new RegistryError(
        `npm registry ${this.opts.registry} is unreachable while fetching ${name} (${(e as Error).message}); set the npm_registry input or NPM_CONFIG_REGISTRY to a reachable mirror`,
      );
    }
    const body = await res.readBody();
    if (res.message.statusCode !== 200) {
      throw new RegistryError(
        `npm registry ${url} answered HTTP ${res.message.statusCode} for package ${name}; check the npm_registry input or NPM_CONFIG_REGISTRY`,
      );
    }
    const doc = JSON.parse(body) as Packument;
    this.packuments.set(name, doc);
    return doc;
  }

  async resolve(name: string, range: string): Promise<Manifest> {
    const doc = await this.packument(name);
    const versions = Object.keys(doc.versions);
    const tagged = doc['dist-tags']?.[range];
    const v = tagged ?? semver.maxSatisfying(versions, range);
    if (!v || !doc.versions[v]) {
      throw new RegistryError(
        `npm registry ${this.opts.registry} has no version of ${name} matching ${range} (has ${versions.join(', ') || 'none'})`,
      );
    }
    return doc.versions[v]!;
  }

  /** Downloads, verifies and unpacks one package into `dir` (the package root). */
  async unpack(m: Manifest, dir: string): Promise<void> {
    // Beside the target (not RUNNER_TEMP, which `textclf provision` outside a runner lacks).
    const file = `${dir}.tgz`;
    await tc.downloadTool(m.dist.tarball, file, tarballAuth(this.opts.registry, m.dist.tarball, this.opts.token));
    try {
      await verifyIntegrity(file, m);
      mkdirSync(dir, { recursive: true });
      // npm tarballs hold one top-level folder ("package/" by convention, not always).
      await tc.extractTar(file, dir, ['xz', '--strip-components=1', '--no-same-owner']);
    } finally {
      rmSync(file, { force: true });
    }
    if (!existsSync(join(dir, 'package.json')))
      throw new RegistryError(`tarball ${m.dist.tarball} of ${m.name}@${m.version} has no package.json`);
  }

  /**
   * Installs `roots` and their dependency closure under `<prefix>/node_modules`, hoisting each
   * package to the top unless another version already sits there (then it nests under its
   * dependent, like npm). `skipDeps` lists packages whose dependencies are not needed.
   */
  async install(
    prefix: string,
    roots: Record<string, string>,
    opts: { skipDepsOf?: Record<string, string[]> } = {},
  ): Promise<string[]> {
    const top = join(prefix, 'node_modules');
    const placed = new Map<string, string>(); // dir -> version
    const queue: { name: string; range: string; parentDir?: string }[] = Object.entries(roots).map(([name, range]) => ({
      name,
      range,
    }));
    const installed: string[] = [];
    while (queue.length) {
      const { name, range, parentDir } = queue.shift()!;
      const topDir = join(top, name);
      const topVersion = placed.get(topDir);
      if (topVersion && semver.satisfies(topVersion, range)) continue;
      const dir = topVersion === undefined ? topDir : join(parentDir!, 'node_modules', name);
      if (placed.has(dir)) continue;
      const m = await this.resolve(name, range);
      await this.unpack(m, dir);
      placed.set(dir, m.version);
      installed.push(`${m.name}@${m.version}`);
      const skip = new Set(opts.skipDepsOf?.[name] ?? []);
      for (const [dep, r] of Object.entries(m.dependencies ?? {}))
        if (!skip.has(dep)) queue.push({ name: dep, range: r, parentDir: dir });
    }
    return installed;
  }
}

/** Checks the strongest hash the registry gave (sha512 integrity, else sha1 shasum). */
export async function verifyIntegrity(file: string, m: Manifest): Promise<void> {
  const sri = m.dist.integrity
    ?.split(/\s+/)
    .map((s) => s.match(/^(sha512|sha384|sha256|sha1)-(.+)$/))
    .find(Boolean);
  const [algo, expected, encoding] = sri
    ? [sri[1]!, sri[2]!, 'base64' as const]
    : m.dist.shasum
      ? ['sha1', m.dist.shasum.toLowerCase(), 'hex' as const]
      : [undefined, undefined, undefined];
  if (!algo)
    throw new RegistryError(
      `registry metadata for ${m.name}@${m.version} has no integrity or shasum; refusing an unverifiable tarball`,
    );
  const hash = createHash(algo);
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  const actual = hash.digest(encoding);
  if (actual !== expected) {
    throw new RegistryError(
      `integrity check failed for ${m.name}@${m.version} from ${m.dist.tarball}: expected ${algo}-${expected}, got ${algo}-${actual}`,
    );
  }
}

export function packageVersion(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version?: string }).version;
  } catch {
    return undefined;
  }
}
