// A fake of the Actions results service: the Twirp JSON endpoints @actions/artifact 6 calls, with
// blobs in Azurite behind SAS URLs, plus a runtime token whose `scp` claim carries the backend ids.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Azurite } from './azurite.js';

const PREFIX = '/twirp/github.actions.results.api.v1.ArtifactService/';
const CONTAINER = 'actions-results';

export interface StoredArtifact {
  id: number;
  runBackendId: string;
  jobBackendId: string;
  name: string;
  size: number;
  digest?: string;
  expiresAt?: string;
  createdAt: string;
  finalized: boolean;
  blob: string;
}

export interface ArtifactService {
  url: string;
  runBackendId: string;
  jobBackendId: string;
  /** ACTIONS_RUNTIME_TOKEN: an unsigned JWT (the client only decodes it). */
  runtimeToken: string;
  artifacts: StoredArtifact[];
  /** Makes the next `n` calls of `method` answer with a Twirp error of `status`. */
  failNext(method: string, n: number, status?: number): void;
  close(): Promise<void>;
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

export async function startArtifactService(azurite: Azurite): Promise<ArtifactService> {
  await azurite.service.getContainerClient(CONTAINER).createIfNotExists();
  const runBackendId = randomUUID(),
    jobBackendId = randomUUID();
  const artifacts: StoredArtifact[] = [];
  const failures = new Map<string, { n: number; status: number }>();
  let nextId = 1000;

  const handlers: Record<string, (b: Record<string, unknown>) => [number, unknown]> = {
    CreateArtifact(b) {
      const name = String(b.name);
      const existing = artifacts.find(
        (a) =>
          a.runBackendId === b.workflow_run_backend_id &&
          a.jobBackendId === b.workflow_job_run_backend_id &&
          a.name === name,
      );
      if (existing?.finalized)
        return [409, { code: 'already_exists', msg: `an artifact named ${name} already exists` }];
      const blob = `${b.workflow_run_backend_id}/${b.workflow_job_run_backend_id}/${name}.zip`;
      if (!existing) {
        artifacts.push({
          id: nextId++,
          runBackendId: String(b.workflow_run_backend_id),
          jobBackendId: String(b.workflow_job_run_backend_id),
          name,
          size: 0,
          createdAt: new Date().toISOString(),
          finalized: false,
          blob,
          expiresAt: b.expires_at as string | undefined,
        });
      }
      return [200, { ok: true, signed_upload_url: azurite.sasUrl(CONTAINER, blob, 'cw') }];
    },
    FinalizeArtifact(b) {
      const a = artifacts.find(
        (x) => x.runBackendId === b.workflow_run_backend_id && x.name === b.name && !x.finalized,
      );
      if (!a) return [404, { code: 'not_found', msg: `no pending artifact ${String(b.name)}` }];
      a.finalized = true;
      a.size = Number(b.size);
      a.digest = (b.hash as string | undefined) ?? undefined;
      return [200, { ok: true, artifact_id: String(a.id) }];
    },
    ListArtifacts(b) {
      const list = artifacts.filter(
        (a) =>
          a.finalized &&
          a.runBackendId === b.workflow_run_backend_id &&
          (b.name_filter === undefined || a.name === b.name_filter) &&
          (b.id_filter === undefined || String(a.id) === String(b.id_filter)),
      );
      return [
        200,
        {
          artifacts: list.map((a) => ({
            workflow_run_backend_id: a.runBackendId,
            workflow_job_run_backend_id: a.jobBackendId,
            database_id: String(a.id),
            name: a.name,
            size: String(a.size),
            created_at: a.createdAt,
            ...(a.digest ? { digest: a.digest } : {}),
          })),
        },
      ];
    },
    GetSignedArtifactURL(b) {
      const a = artifacts.find((x) => x.finalized && x.runBackendId === b.workflow_run_backend_id && x.name === b.name);
      if (!a) return [404, { code: 'not_found', msg: `no artifact ${String(b.name)}` }];
      return [200, { signed_url: azurite.sasUrl(CONTAINER, a.blob, 'r') }];
    },
    DeleteArtifact(b) {
      const i = artifacts.findIndex((x) => x.runBackendId === b.workflow_run_backend_id && x.name === b.name);
      if (i < 0) return [404, { code: 'not_found', msg: `no artifact ${String(b.name)}` }];
      const [a] = artifacts.splice(i, 1);
      return [200, { ok: true, artifact_id: String(a!.id) }];
    },
  };

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      const method = (req.url ?? '').startsWith(PREFIX) ? req.url!.slice(PREFIX.length) : '';
      const handler = handlers[method];
      if (req.method !== 'POST' || !handler)
        return send(404, { code: 'bad_route', msg: `no route ${req.method} ${req.url}` });
      if (req.headers.authorization !== `Bearer ${token}`)
        return send(401, { code: 'unauthenticated', msg: 'bad runtime token' });
      const f = failures.get(method);
      if (f && f.n > 0) {
        f.n--;
        return send(f.status, {
          code: f.status >= 500 ? 'internal' : 'failed_precondition',
          msg: `injected failure of ${method}`,
        });
      }
      try {
        const [status, body] = handler(JSON.parse(Buffer.concat(chunks).toString() || '{}'));
        send(status, body);
      } catch (e) {
        send(400, { code: 'malformed', msg: String(e) });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const token = `${b64url('{"alg":"none","typ":"JWT"}')}.${b64url(JSON.stringify({ scp: `Actions.GenericRead:1 Actions.Results:${runBackendId}:${jobBackendId}` }))}.sig`;
  return {
    url,
    runBackendId,
    jobBackendId,
    runtimeToken: token,
    artifacts,
    failNext(method, n, status = 400) {
      failures.set(method, { n, status });
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
