// NuGet for onnxruntime-node's CUDA install step, without the internet: an HTTP proxy on
// 127.0.0.1 (the step honours GLOBAL_AGENT_HTTPS_PROXY) that terminates the CONNECT tunnel to
// api.nuget.org with a certificate from a throwaway CA (trusted via NODE_EXTRA_CA_CERTS) and
// serves the v3 index, the flat-container version list and a .nupkg with the provider libraries.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeZip } from '../helpers/zip.js';

export interface NugetFake {
  proxyUrl: string;
  caFile: string;
  /** Request paths the fake NuGet host answered. */
  requests: string[];
  /** Bytes of each library inside the .nupkg (name -> content). */
  libraries: Record<string, Buffer>;
  close(): Promise<void>;
}

const PKG = 'microsoft.ml.onnxruntime.gpu.linux';

function makeCerts(dir: string): { key: string; cert: string; ca: string } {
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=textclf test CA',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'host.key',
    '-out',
    'host.csr',
    '-subj',
    '/CN=api.nuget.org',
  ]);
  // global-agent 4 verifies the second and later tunnelled requests against 'localhost' instead
  // of the target host (servername is lost), so the test certificate names both.
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=DNS:api.nuget.org,DNS:localhost\n');
  run([
    'x509',
    '-req',
    '-in',
    'host.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'host.pem',
    '-days',
    '1',
    '-extfile',
    'ext.cnf',
  ]);
  return {
    key: readFileSync(join(dir, 'host.key'), 'utf8'),
    cert: readFileSync(join(dir, 'host.pem'), 'utf8'),
    ca: join(dir, 'ca.pem'),
  };
}

export async function startNugetFake(version: string): Promise<NugetFake> {
  const dir = mkdtempSync(join(tmpdir(), 'nuget-fake-'));
  const { key, cert, ca } = makeCerts(dir);
  const requests: string[] = [];
  const libraries: Record<string, Buffer> = {};
  for (const lib of [
    'libonnxruntime_providers_cuda.so',
    'libonnxruntime_providers_shared.so',
    'libonnxruntime_providers_tensorrt.so',
  ]) {
    libraries[lib] = Buffer.from(`fake ${lib} for ${version}\n`);
  }
  const nupkg = makeZip(
    Object.fromEntries(Object.entries(libraries).map(([n, b]) => [`runtimes/linux-x64/native/${n}`, b])),
  );
  const base = 'https://api.nuget.org/v3-flatcontainer/';

  const nuget = createHttpsServer({ key, cert }, (req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '/';
    requests.push(path);
    const json = (body: unknown) =>
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(body));
    if (path === '/v3/index.json')
      return json({ version: '3.0.0', resources: [{ '@id': base, '@type': 'PackageBaseAddress/3.0.0' }] });
    if (path === `/v3-flatcontainer/${PKG}/index.json`) return json({ versions: [version] });
    if (path === `/v3-flatcontainer/${PKG}/${version}/${PKG}.${version}.nupkg`)
      return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(nupkg);
    res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
  });

  const proxy = createHttpServer((_req, res) => res.writeHead(405).end());
  proxy.on('connect', (req: IncomingMessage, socket: Socket) => {
    if (req.url !== 'api.nuget.org:443') {
      socket.end('HTTP/1.1 403 Forbidden\r\n\r\n');
      return;
    }
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    nuget.emit('connection', socket);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    proxyUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    caFile: ca,
    requests,
    libraries,
    close: () =>
      new Promise((r) => {
        proxy.closeAllConnections();
        proxy.close(() => {
          rmSync(dir, { recursive: true, force: true });
          r();
        });
      }),
  };
}
