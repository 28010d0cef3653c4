// Archive fixtures built in memory, including the malicious kinds (../, absolute, links) that
// ordinary tools refuse to create. Zip: test/helpers/zip.ts; tar: tar-stream.
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import type { ZipEntry } from '../helpers/zip.js';

/** An archive entry (tar entries may also be hard links). */
export interface FixtureEntry extends ZipEntry {
  /** Target of a hard link entry (tar only). */
  hardlink?: string;
}

export async function makeTarGz(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve, reject) => {
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    if (e.symlink) pack.entry({ name: e.name, type: 'symlink', linkname: e.symlink });
    else if (e.hardlink) pack.entry({ name: e.name, type: 'link', linkname: e.hardlink });
    else if (e.name.endsWith('/')) pack.entry({ name: e.name, type: 'directory' });
    else pack.entry({ name: e.name }, Buffer.from(e.data ?? ''));
  }
  pack.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks));
}

/** The imdb.zip layout: one folder holding train/valid/test CSVs with review,sentiment. */
export function imdbFiles(): FixtureEntry[] {
  const csv = (rows: [string, string][]) =>
    'review,sentiment\n' + rows.map(([r, s]) => `"${r.replace(/"/g, '""')}",${s}`).join('\n') + '\n';
  return [
    { name: 'imdb/' },
    {
      name: 'imdb/train.csv',
      data: csv([
        ['A "great" film, truly.', 'positive'],
        ['Dull.', 'negative'],
        ['Loved it', 'positive'],
      ]),
    },
    {
      name: 'imdb/valid.csv',
      data: csv([
        ['Fine', 'positive'],
        ['Bad', 'negative'],
      ]),
    },
    {
      name: 'imdb/test.csv',
      data: csv([
        ['Superb', 'positive'],
        ['Awful', 'negative'],
      ]),
    },
  ];
}
