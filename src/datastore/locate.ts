// train_file / valid_file / test_file -> an absolute path inside the datastore. Accepts paths
// relative to the root, absolute paths under the tutorial's mount point /opt/datastore/, and
// files one folder down (imdb.zip holds imdb/train.csv), which is announced so the user can
// make the flag exact. A miss lists what the datastore holds.
import { existsSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { isAbsolute, join, normalize, relative, sep } from 'node:path';
import { DatastoreError } from './errors.js';
import { defaultLogger, type DatastoreLogger } from './logger.js';

/** Where the tutorial mounts datastores; paths under it mean "inside the datastore". */
export const MOUNT_POINT = '/opt/datastore/';

export async function locateFile(
  root: string,
  file: string,
  log: DatastoreLogger = defaultLogger(),
  flag = 'train_file',
): Promise<string> {
  const wanted = file.trim();
  if (!wanted)
    throw new DatastoreError(root, `${flag} is empty. Fix: name a file inside the datastore, e.g. train.csv.`);
  let rel: string;
  if (wanted.startsWith(MOUNT_POINT)) {
    rel = wanted.slice(MOUNT_POINT.length);
  } else if (isAbsolute(wanted)) {
    if (isFile(wanted)) return wanted;
    throw new DatastoreError(
      wanted,
      `${flag} ${wanted} does not exist. Fix: use a path relative to the datastore (e.g. train.csv).`,
    );
  } else {
    rel = wanted;
  }
  rel = normalize(rel);
  if (rel === '.' || rel.startsWith('..' + sep) || rel === '..') {
    throw new DatastoreError(
      wanted,
      `${flag} '${wanted}' points outside the datastore. Fix: use a path inside it, e.g. train.csv.`,
    );
  }
  const direct = join(root, rel);
  if (isFile(direct)) return direct;

  const below: string[] = [];
  for (const d of await readdir(root, { withFileTypes: true })) {
    if (d.isDirectory() && !d.name.startsWith('.') && isFile(join(root, d.name, rel))) below.push(join(d.name, rel));
  }
  if (below.length === 1) {
    log.notice(
      `${flag} '${wanted}' was found one folder down, at '${below[0]}' inside the datastore. ` +
        `Set ${flag}=${below[0]} to say so explicitly.`,
    );
    return join(root, below[0]!);
  }
  if (below.length > 1) {
    throw new DatastoreError(
      wanted,
      `${flag} '${wanted}' is ambiguous: the datastore has ${below.join(', ')}. Fix: set ${flag} to one of them.`,
    );
  }
  const contents = await listFiles(root, 2, 30);
  throw new DatastoreError(
    wanted,
    `${flag} '${wanted}' is not in the datastore (${root}). It contains: ` +
      `${contents.length ? contents.join(', ') : 'no files'}. Fix: set ${flag} to one of these paths.`,
  );
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

/** Files up to `depth` folders deep, relative to root, at most `limit` (then "..."). */
export async function listFiles(root: string, depth: number, limit: number): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string, level: number): Promise<void> => {
    const items = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const d of items) {
      if (out.length > limit) return;
      if (d.name.startsWith('.')) continue; // our cache record, and hidden files
      const path = join(dir, d.name);
      if (d.isDirectory()) {
        if (level < depth) await walk(path, level + 1);
        else out.push(relative(root, path) + '/');
      } else out.push(relative(root, path));
    }
  };
  await walk(root, 1);
  return out.length > limit ? [...out.slice(0, limit), '...'] : out;
}
