// Extracts an archive with the tool cache's extractors (unzip / tar, run without a shell), after
// refusing unsafe entries and archives too big for the cache's disk (extract-budget.ts), then
// re-checks the extracted tree: nothing but folders and regular files may come out, and no more
// bytes than the entries listed, whatever the extractor did.
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import * as tc from '@actions/tool-cache';
import { listTarEntries, listZipEntries, unsafeEntryReason, type ArchiveEntry } from './archive-entries.js';
import { DatastoreError } from './errors.js';
import { checkExpandedSize, checkExtractedSize, type ExtractLimits } from './extract-budget.js';
import type { ArchiveFormat } from './format.js';

const REBUILD = 'rebuild the archive with relative paths (one top folder is fine), plain files and no links';

export async function extractArchive(
  file: string,
  format: ArchiveFormat,
  dest: string,
  source: string,
  limits: ExtractLimits,
): Promise<void> {
  let entries: ArchiveEntry[];
  try {
    entries = format === 'zip' ? await listZipEntries(file) : await listTarEntries(file, format === 'tar.gz');
  } catch (err) {
    throw new DatastoreError(
      source,
      `${source} is not a readable ${format} archive (${(err as Error).message}). ` +
        'The download may be truncated or the file is not really a ' +
        format +
        ': check the URL, or re-create the archive.',
    );
  }
  for (const e of entries) {
    const reason = unsafeEntryReason(e);
    if (reason) {
      throw new DatastoreError(source, `Refusing to extract ${source}: entry '${e.name}' ${reason}. Fix: ${REBUILD}.`);
    }
  }
  if (!entries.some((e) => e.kind === 'file')) {
    throw new DatastoreError(
      source,
      `${source} is an empty ${format} archive (no files). Fix: point datastore at an archive that contains your CSV/TSV/JSONL files.`,
    );
  }
  const listed = entries.reduce((sum, e) => sum + (e.kind === 'file' ? e.size : 0), 0);
  await checkExpandedSize(listed, limits, source);
  try {
    if (format === 'zip') await tc.extractZip(file, dest);
    else await tc.extractTar(file, dest, format === 'tar.gz' ? 'xz' : 'x');
  } catch (err) {
    throw new DatastoreError(
      source,
      `Extracting ${source} failed (${(err as Error).message}). ` +
        'The archive is probably corrupt: check the URL, or re-create the archive.',
    );
  }
  checkExtractedSize(await plainTreeSize(dest, dest, source), listed, source);
}

/** Total size of the regular files under `dir`; anything else (links, devices) is refused. */
async function plainTreeSize(root: string, dir: string, source: string): Promise<number> {
  let total = 0;
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const st = await lstat(path);
    if (st.isDirectory()) total += await plainTreeSize(root, path, source);
    else if (st.isFile()) total += st.size;
    else {
      throw new DatastoreError(
        source,
        `Refusing ${source}: extraction produced '${path.slice(root.length + 1)}', ` +
          `which is not a regular file. Fix: ${REBUILD}.`,
      );
    }
  }
  return total;
}
