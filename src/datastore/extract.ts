// Extracts an archive with the tool cache's extractors (unzip / tar, run without a shell), after
// refusing unsafe entries, then re-checks the extracted tree: nothing but folders and regular
// files may come out, whatever the extractor did.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { listTarEntries, listZipEntries, unsafeEntryReason, type ArchiveEntry } from './archive-entries.js';
import { DatastoreError } from './errors.js';
import type { ArchiveFormat } from './format.js';

const REBUILD = 'rebuild the archive with relative paths (one top folder is fine), plain files and no links';

export async function extractArchive(file: string, format: ArchiveFormat, dest: string, source: string): Promise<void> {
  let entries: ArchiveEntry[];
  try {
    entries = format === 'zip' ? await listZipEntries(file) : await listTarEntries(file, format === 'tar.gz');
  } catch (err) {
    throw new DatastoreError(source, `${source} is not a readable ${format} archive (${(err as Error).message}). ` +
      'The download may be truncated or the file is not really a ' + format + ': check the URL, or re-create the archive.');
  }
  for (const e of entries) {
    const reason = unsafeEntryReason(e);
    if (reason) {
      throw new DatastoreError(source, `Refusing to extract ${source}: entry '${e.name}' ${reason}. Fix: ${REBUILD}.`);
    }
  }
  if (!entries.some((e) => e.kind === 'file')) {
    throw new DatastoreError(source, `${source} is an empty ${format} archive (no files). Fix: point datastore at an archive that contains your CSV/TSV/JSONL files.`);
  }
  try {
    if (format === 'zip') await tc.extractZip(file, dest);
    else await tc.extractTar(file, dest, format === 'tar.gz' ? 'xz' : 'x');
  } catch (err) {
    throw new DatastoreError(source, `Extracting ${source} failed (${(err as Error).message}). ` +
      'The archive is probably corrupt: check the URL, or re-create the archive.');
  }
  await assertPlainTree(dest, dest, source);
}

async function assertPlainTree(root: string, dir: string, source: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) await assertPlainTree(root, path, source);
    else if (!st.isFile()) {
      throw new DatastoreError(source, `Refusing ${source}: extraction produced '${path.slice(root.length + 1)}', ` +
        `which is not a regular file. Fix: ${REBUILD}.`);
    }
  }
}
