// Scheduled retraining helpers: source change detection from real HEAD responses, the previous
// scheduled model as comparison, and the gate-failure issue lifecycle on the GitHub fake.
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GitHubFake } from '../../helpers/github-fake.js';
import { useGitHubFake } from '../api-env.js';
import { metricsFile } from '../fixtures.js';
import { evaluateGates } from '../../../src/github/pr/gates.js';
import { finalMetrics } from '../../../src/github/pr/compare.js';
import * as stamps from '../../../src/datastore/source-stamp.js';
import type { SourceStamp } from '../../../src/datastore/source-stamp.js';

let fake: GitHubFake;
let sched: typeof import('../../../src/github/schedule.js');
let getOctokit: typeof import('@actions/github').getOctokit;
let source: Server;
let sourceUrl = '';
const served = {
  etag: '"v1"' as string | undefined,
  lastModified: 'Tue, 24 Nov 2026 10:00:00 GMT' as string | undefined,
  body: 'text,label\nok,1\n',
};

useGitHubFake(async (f) => {
  fake = f;
  sched = await import('../../../src/github/schedule.js');
  ({ getOctokit } = await import('@actions/github'));
  source = createServer((req, res) => {
    const h: Record<string, string> = {
      'content-type': 'text/csv',
      'content-length': String(Buffer.byteLength(served.body)),
    };
    if (served.etag) h.etag = served.etag;
    if (served.lastModified) h['last-modified'] = served.lastModified;
    if (req.headers['if-none-match'] && req.headers['if-none-match'] === served.etag) {
      res.writeHead(304, h);
      res.end();
      return;
    }
    res.writeHead(200, h);
    res.end(req.method === 'HEAD' ? undefined : served.body);
  });
  await new Promise<void>((r) => source.listen(0, '127.0.0.1', r));
  sourceUrl = `http://127.0.0.1:${(source.address() as AddressInfo).port}/imdb.csv`;
});
afterAll(async () => {
  await new Promise((r) => source.close(r));
});

const head = async () => {
  const r = await fetch(sourceUrl, { method: 'HEAD' });
  return { status: r.status, headers: r.headers };
};

test('re-download only when ETag / Last-Modified / length say the source changed', async () => {
  const first = await head();
  expect(stamps.decideRedownload(undefined, first)).toEqual({ redownload: true, reason: 'no cached copy' });
  const stamp: SourceStamp = stamps.stampFromHeaders(first.headers, { url: sourceUrl, sha256: 'ab'.repeat(32) });
  expect(stamp).toMatchObject({ etag: '"v1"', lastModified: served.lastModified, contentLength: 16 });
  expect(stamps.decideRedownload(stamp, await head())).toEqual({ redownload: false, reason: 'ETag unchanged' });

  served.etag = 'W/"v1"'; // a proxy weakening the tag is still the same entity
  expect(stamps.decideRedownload(stamp, await head()).redownload).toBe(false);
  served.etag = '"v2"';
  expect(stamps.decideRedownload(stamp, await head())).toEqual({
    redownload: true,
    reason: 'ETag changed ("v1" → "v2")',
  });

  served.etag = undefined; // only Last-Modified
  const noEtag = { ...stamp, etag: undefined };
  expect(stamps.decideRedownload(noEtag, await head())).toEqual({
    redownload: false,
    reason: 'Last-Modified unchanged',
  });
  served.lastModified = 'Wed, 25 Nov 2026 10:00:00 GMT';
  expect(stamps.decideRedownload(noEtag, await head()).reason).toBe(
    'Last-Modified is newer (Tue, 24 Nov 2026 10:00:00 GMT → Wed, 25 Nov 2026 10:00:00 GMT)',
  );

  served.lastModified = undefined; // no validators at all
  served.body = 'text,label\nok,1\nmore,0\n';
  expect(stamps.decideRedownload(noEtag, await head())).toEqual({
    redownload: true,
    reason: 'Content-Length changed (16 → 23)',
  });
  expect(stamps.decideRedownload({ contentLength: 23 }, await head())).toEqual({
    redownload: true,
    reason: 'the server sent no ETag or Last-Modified to compare',
  });
  expect(stamps.decideRedownload(stamp, { status: 405, headers: {} }).redownload).toBe(true);

  // A pinned sha256 decides alone.
  expect(stamps.decideRedownload(stamp, undefined, 'AB'.repeat(32))).toEqual({
    redownload: false,
    reason: 'cached copy matches datastore_sha256',
  });
  expect(stamps.decideRedownload(stamp, undefined, 'cd'.repeat(32)).redownload).toBe(true);
  expect(stamps.contentChanged(stamp, 'ab'.repeat(32))).toBe(false);
  expect(stamps.contentChanged(stamp, 'cd'.repeat(32))).toBe(true);
  served.etag = '"v1"';
  served.lastModified = 'Tue, 24 Nov 2026 10:00:00 GMT';
  served.body = 'text,label\nok,1\n';
});

test('conditional GET headers get a 304 for an unchanged source', async () => {
  const r = await fetch(sourceUrl, {
    headers: stamps.conditionalHeaders({ etag: '"v1"', lastModified: served.lastModified }),
  });
  expect(r.status).toBe(304);
  expect(stamps.decideRedownload({ etag: '"v1"' }, { status: r.status, headers: r.headers })).toEqual({
    redownload: false,
    reason: 'the server answered 304 Not Modified',
  });
  expect(stamps.conditionalHeaders(undefined)).toEqual({});
});

test('the stamp is written atomically next to the cache', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'stamp-'));
  try {
    expect(await stamps.readStamp(dir)).toBeUndefined();
    await stamps.writeStamp(dir, { etag: '"v1"', sha256: 'ab' });
    expect(await stamps.readStamp(dir)).toEqual({ etag: '"v1"', sha256: 'ab' });
    expect(await readdir(dir)).toEqual([stamps.STAMP_FILE]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('the previous scheduled model is the last successful schedule run, not a push', async () => {
  const WF = 31;
  const nightly = fake.addRun({ workflow_id: WF, event: 'schedule', created_at: '2026-11-24T03:00:00Z' });
  fake.addArtifact(nightly.id, `textclf-${nightly.id}-1`, { 'metrics.json': JSON.stringify(metricsFile([0.8, 0.82])) });
  fake.addRun({ workflow_id: WF, event: 'push', created_at: '2026-11-25T03:00:00Z' });
  const now = fake.addRun({
    workflow_id: WF,
    event: 'schedule',
    status: 'in_progress',
    conclusion: null,
    created_at: '2026-11-26T03:00:00Z',
  });
  const got = await sched.previousScheduledModel(
    getOctokit(fake.token, { baseUrl: fake.url }),
    { token: fake.token, repo: { owner: fake.owner, repo: fake.repo } },
    now.id,
  );
  expect(got.baseline?.run.id).toBe(nightly.id);
  expect(fake.requests.find((r) => r.operationId === 'actions/list-workflow-runs')!.path).toContain('event=schedule');
});

test('a failing gate opens one issue, later failures comment on it, passing closes it', async () => {
  const kit = getOctokit(fake.token, { baseUrl: fake.url });
  const repo = { owner: fake.owner, repo: fake.repo };
  const failures = evaluateGates(finalMetrics(metricsFile([0.7])), undefined, { minAccuracy: 0.8 });
  const first = await sched.reportGateFailure(kit, repo, 'nightly', failures, 'https://github.com/o/r/actions/runs/1');
  expect(first.created).toBe(true);
  const issue = fake.issues.find((i) => i.number === first.number)!;
  expect(issue.labels).toEqual([sched.GATE_LABEL]);
  expect(issue.body).toContain('min\\_accuracy: accuracy 70\\.00% is below 80\\.00% by 10\\.00 pp');
  const other = await sched.reportGateFailure(
    kit,
    repo,
    'other-workflow',
    failures,
    'https://github.com/o/r/actions/runs/2',
  );
  expect(other.created).toBe(true);
  const second = await sched.reportGateFailure(kit, repo, 'nightly', failures, 'https://github.com/o/r/actions/runs/3');
  expect(second).toEqual({ number: first.number, created: false });
  expect(fake.commentsOn(first.number)).toHaveLength(1);
  expect(fake.commentsOn(first.number)[0].body).toContain('(https://github.com/o/r/actions/runs/3)');
  expect(await sched.resolveGateIssue(kit, repo, 'nightly', 'https://github.com/o/r/actions/runs/4')).toBe(
    first.number,
  );
  expect(issue.state).toBe('closed');
  expect(fake.issues.find((i) => i.number === other.number)!.state).toBe('open');
  const third = await sched.reportGateFailure(kit, repo, 'nightly', failures, 'https://github.com/o/r/actions/runs/5');
  expect(third.created).toBe(true); // a new incident after the old issue was closed
});
