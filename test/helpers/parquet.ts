// Parquet files for tests, written by hyparquet-writer (snappy built in). ZSTD: Node's own zstd
// encoder where it has one (22.15+), else a zstd frame of raw (stored) blocks — a valid frame
// that every zstd decoder must read (RFC 8878 §3.1.1.2.2), so the reader's zstd path is exercised.
import zlib from 'node:zlib';
import { ParquetWriter, fileWriter, schemaFromColumnData } from 'hyparquet-writer';
import type { ColumnSource } from 'hyparquet-writer';

type Codec = 'SNAPPY' | 'ZSTD' | 'GZIP' | 'UNCOMPRESSED';

const MAX_BLOCK = 128 * 1024;

export function zstdCompress(input: Uint8Array): Uint8Array {
  const native = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Buffer }).zstdCompressSync;
  if (native) return new Uint8Array(native(input));
  const blocks = Math.max(1, Math.ceil(input.length / MAX_BLOCK));
  const out = new Uint8Array(4 + 1 + 8 + blocks * 3 + input.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, 0xfd2fb528, true); // magic
  out[4] = 0xe0; // 8-byte Frame_Content_Size, Single_Segment, no checksum, no dictionary
  view.setBigUint64(5, BigInt(input.length), true);
  let at = 13;
  for (let b = 0; b < blocks; b++) {
    const chunk = input.subarray(b * MAX_BLOCK, Math.min(input.length, (b + 1) * MAX_BLOCK));
    const header = (chunk.length << 3) | (0 << 1) | (b === blocks - 1 ? 1 : 0); // Raw_Block
    out[at] = header & 0xff;
    out[at + 1] = (header >> 8) & 0xff;
    out[at + 2] = (header >> 16) & 0xff;
    out.set(chunk, at + 3);
    at += 3 + chunk.length;
  }
  return out;
}

export interface ParquetOptions {
  codec?: Codec;
  rowGroupSize?: number | number[];
}

/** Writes `columns` (same length each) to `file`. */
export function writeParquet(file: string, columns: ColumnSource[], o: ParquetOptions = {}): void {
  writeParquetChunks(file, [columns], o);
}

/** Writes several batches of rows (same columns each) to one file: nothing is held but one batch. */
export function writeParquetChunks(file: string, batches: Iterable<ColumnSource[]>, o: ParquetOptions = {}): void {
  let writer: ParquetWriter | undefined;
  for (const columns of batches) {
    writer ??= new ParquetWriter({
      writer: fileWriter(file),
      schema: schemaFromColumnData({ columnData: columns }),
      codec: o.codec ?? 'SNAPPY',
      compressors: { ZSTD: zstdCompress, GZIP: (b) => new Uint8Array(zlib.gzipSync(b)) },
    });
    writer.write({ columnData: columns, rowGroupSize: o.rowGroupSize });
  }
  writer!.finish();
}
