// Archive fixtures built in memory, including the malicious kinds (../, absolute, links) that
// ordinary tools refuse to create. Zip: deflated entries with Unix modes in the central
// directory; tar: tar-stream.
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

export interface FixtureEntry {
  name: string;
  data?: string | Buffer;
  /** Target of a symbolic link entry. */
  symlink?: string;
  /** Target of a hard link entry (tar only). */
  hardlink?: string;
}

export function makeZip(entries: FixtureEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const data = Buffer.from(e.symlink ?? e.data ?? '');
    const packed = deflateRawSync(data);
    const isDir = e.name.endsWith('/');
    const mode = e.symlink ? 0o120777 : isDir ? 0o040755 : 0o100644;
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix: external attributes carry the mode
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

export async function makeTarGz(entries: FixtureEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
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
  const csv = (rows: [string, string][]) => 'review,sentiment\n' + rows.map(([r, s]) => `"${r.replace(/"/g, '""')}",${s}`).join('\n') + '\n';
  return [
    { name: 'imdb/' },
    { name: 'imdb/train.csv', data: csv([['A "great" film, truly.', 'positive'], ['Dull.', 'negative'], ['Loved it', 'positive']]) },
    { name: 'imdb/valid.csv', data: csv([['Fine', 'positive'], ['Bad', 'negative']]) },
    { name: 'imdb/test.csv', data: csv([['Superb', 'positive'], ['Awful', 'negative']]) },
  ];
}
