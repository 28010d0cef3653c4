// Azurite (the Azure Storage emulator) as the blob store behind the fake artifact service.
// Blob-only, in memory, on an OS-chosen port read back from its log; always stop() in finally
// (it outlives crashed tests otherwise).
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import {
  BlobSASPermissions,
  BlobServiceClient,
  generateBlobSASQueryParameters,
  StorageSharedKeyCredential,
} from '@azure/storage-blob';

/** Azurite's documented development account. */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface Azurite {
  blobEndpoint: string;
  service: BlobServiceClient;
  /** A SAS URL for one blob: 'cw' to upload, 'r' to download. */
  sasUrl(container: string, blob: string, permissions: 'cw' | 'r', minutes?: number): string;
  stop(): Promise<void>;
}

export async function startAzurite(): Promise<Azurite> {
  const pkg = dirname(createRequire(import.meta.url).resolve('azurite/package.json'));
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(pkg, 'dist', 'src', 'blob', 'main.js'),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--extentMemoryLimit',
      '512',
      '--disableTelemetry',
      '--silent',
      '--skipApiVersionCheck',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Azurite did not start in 30 s: ${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/(?:listens on|listening at) http:\/\/127\.0\.0\.1:(\d+)/);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Azurite exited (${code}): ${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  const blobEndpoint = `http://127.0.0.1:${port}/${DEV_ACCOUNT}`;
  const cred = new StorageSharedKeyCredential(DEV_ACCOUNT, DEV_KEY);
  const service = new BlobServiceClient(blobEndpoint, cred);
  return {
    blobEndpoint,
    service,
    sasUrl(container, blob, permissions, minutes = 60) {
      const sas = generateBlobSASQueryParameters(
        {
          containerName: container,
          blobName: blob,
          permissions: BlobSASPermissions.parse(permissions),
          startsOn: new Date(Date.now() - 60_000),
          expiresOn: new Date(Date.now() + minutes * 60_000),
        },
        cred,
      ).toString();
      return `${blobEndpoint}/${container}/${blob.split('/').map(encodeURIComponent).join('/')}?${sas}`;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
