// Redirects of hub downloads: HF_TOKEN never crosses a redirect, even to a host it may otherwise
// go to, and an https download is never continued over http.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveModel } from '../../src/models/hub.js';
import { startFakeHub } from '../helpers/fake-hub.js';
import { writeTinyModel } from './tiny-model.js';

const TOKEN = 'hf_secretTokenForTheRedirectTest01';
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'hub-redirects-'));
  writeTinyModel(join(root, 'tiny'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

test('a redirect from a hub_url host to the HF_ENDPOINT host (a trusted origin) does not carry HF_TOKEN there', async () => {
  const trusted = await startFakeHub({ 'test-org/tiny-bert': join(root, 'tiny') });
  const mirror = await startFakeHub(
    { 'test-org/tiny-bert': join(root, 'tiny') },
    { redirects: { 'model.safetensors': trusted.url } },
  );
  const saved = { HF_ENDPOINT: process.env.HF_ENDPOINT, HF_TOKEN: process.env.HF_TOKEN };
  process.env.HF_ENDPOINT = trusted.url;
  process.env.HF_TOKEN = TOKEN;
  try {
    const files = await resolveModel('test-org/tiny-bert', { hubUrl: mirror.url, cacheDir: join(root, 'cache1') });
    expect(readFileSync(files.weights)).toEqual(readFileSync(join(root, 'tiny', 'model.safetensors')));
    expect(trusted.requests.map((r) => [r.path, r.status])).toEqual([
      ['/test-org/tiny-bert/resolve/main/model.safetensors', 200],
    ]);
    expect(trusted.requests[0]!.authorization).toBeUndefined();
    expect(mirror.requests.filter((r) => r.authorization !== undefined)).toEqual([]);
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await trusted.close();
    await mirror.close();
  }
});

test('an https hub that redirects to http: refused, naming the redirect, and the http host is never asked', async () => {
  // A throwaway certificate for 127.0.0.1, trusted by the child process through NODE_EXTRA_CA_CERTS.
  const certs = join(root, 'tls');
  mkdirSync(certs);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'key.pem',
      '-out',
      'cert.pem',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { cwd: certs, stdio: 'ignore' },
  );
  const plain = await startFakeHub({ 'test-org/tiny-bert': join(root, 'tiny') });
  const seen: string[] = [];
  const https: Server = createServer(
    { key: readFileSync(join(certs, 'key.pem')), cert: readFileSync(join(certs, 'cert.pem')) },
    (req, res) => {
      seen.push(req.url ?? '');
      // config.json comes through @huggingface/transformers' own fetch (it follows any redirect):
      // served here, so that the download that meets the redirect is our hub client's.
      if (req.url?.endsWith('/config.json')) res.end(readFileSync(join(root, 'tiny', 'config.json')));
      else res.writeHead(302, { location: `${plain.url.replace(/\/$/, '')}${req.url}` }).end();
    },
  );
  await new Promise<void>((ok) => https.listen(0, '127.0.0.1', ok));
  const httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}/`;
  try {
    const script = `import { resolveModel } from ${JSON.stringify(new URL('../../src/models/hub.ts', import.meta.url).pathname)};
      try { await resolveModel('test-org/tiny-bert', { hubUrl: process.argv[1], cacheDir: process.argv[2] }); console.log('loaded'); }
      catch (e) { console.log(e.message); }`;
    // Not spawnSync: this process's event loop serves the https side.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script, httpsUrl, join(root, 'cache2')],
      {
        env: { ...process.env, NODE_OPTIONS: '', NODE_EXTRA_CA_CERTS: join(certs, 'cert.pem'), HF_TOKEN: '' },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    await new Promise((ok) => child.on('close', ok));
    expect(out.trim()).toMatch(
      /^downloading https:\/\/127\.0\.0\.1:\d+\/test-org\/tiny-bert\/resolve\/main\/\S+ failed: redirected from https to http, which is refused\./,
    );
    expect(seen.length).toBeGreaterThan(0);
    expect(plain.requests).toEqual([]);
  } finally {
    https.closeAllConnections();
    await new Promise((ok) => https.close(ok));
    await plain.close();
  }
});
