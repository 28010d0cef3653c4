// The safetensors format (https://huggingface.co/docs/safetensors): u64 little-endian header length,
// a JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then one contiguous byte buffer.
// We read F32, F16 and BF16 (widened to float32) and I64; we write F32 and I64.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { replaceFileAtomic } from '../util/atomic-write.js';
import { numElements } from '../util/shape.js';
import { ModelError } from './errors.js';

export type SafeTensor =
  { dtype: 'float32'; shape: number[]; data: Float32Array } | { dtype: 'int64'; shape: number[]; data: BigInt64Array };

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8 };
/** Headers larger than this are corrupt files, not models (the reference implementation caps at 100 MB). */
const MAX_HEADER = 100_000_000;

/** IEEE half -> float (subnormals, inf and NaN included). */
function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export function readSafetensors(path: string): SafetensorsFile {
  const name = basename(path);
  const bad = (what: string) =>
    new ModelError(
      path,
      `${name}: not a valid safetensors file: ${what}. Re-download or re-export it (safetensors.torch.save_file / save_pretrained(safe_serialization=True)).`,
    );
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (e) {
    throw new ModelError(path, `${name}: cannot read ${path}: ${(e as Error).message}`);
  }
  if (buf.length < 8) throw bad(`it has ${buf.length} bytes, fewer than the 8-byte header length`);
  const n = buf.readBigUInt64LE(0);
  if (n > BigInt(Math.min(MAX_HEADER, buf.length - 8)))
    throw bad(`the header length ${n} exceeds the file size ${buf.length}`);
  const headerLen = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(buf.toString('utf8', 8, 8 + headerLen));
  } catch (e) {
    throw bad(`the header is not JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== 'object' || Array.isArray(header)) throw bad('the header is not a JSON object');
  const body = buf.subarray(8 + headerLen);
  // Aligned tensors can be views of the file buffer (no second copy of a 440 MB checkpoint) when
  // the buffer is ours alone (not a slice of Node's shared pool).
  const ownsMemory = buf.byteOffset === 0 && buf.buffer.byteLength === buf.length;
  const tensors = new Map<string, SafeTensor>();
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [key, meta] of Object.entries(header as Record<string, unknown>)) {
    if (key === '__metadata__') {
      if (!meta || typeof meta !== 'object' || Object.values(meta).some((v) => typeof v !== 'string'))
        throw bad('__metadata__ must map strings to strings');
      metadata = meta as Record<string, string>;
      continue;
    }
    const m = meta as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!m || typeof m !== 'object') throw bad(`entry '${key}' is not an object`);
    if (typeof m.dtype !== 'string' || !(m.dtype in BYTES)) {
      throw new ModelError(
        path,
        `${name}: tensor '${key}' has dtype ${JSON.stringify(m.dtype)}; supported are ${Object.keys(BYTES).join(', ')}. Convert the weights to float32 (model.float().save_pretrained(...)).`,
      );
    }
    if (!Array.isArray(m.shape) || !m.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      throw bad(`tensor '${key}' has an invalid shape ${JSON.stringify(m.shape)}`);
    const off = m.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((d) => Number.isSafeInteger(d) && d >= 0) ||
      off[0] > off[1]
    ) {
      throw bad(`tensor '${key}' has invalid data_offsets ${JSON.stringify(off)}`);
    }
    const [a, b] = off as [number, number];
    if (b > body.length)
      throw bad(
        `tensor '${key}' ends at byte ${b} but the data section has ${body.length} bytes (truncated download?)`,
      );
    const shape = m.shape as number[];
    const count = shape.reduce((p, q) => p * q, 1);
    const width = BYTES[m.dtype];
    if (b - a !== count * width)
      throw bad(`tensor '${key}' [${shape}] ${m.dtype} needs ${count * width} bytes but data_offsets span ${b - a}`);
    spans.push([a, b, key]);
    tensors.set(key, decode(m.dtype, shape, body.subarray(a, b), ownsMemory));
  }
  // The format requires the tensors to tile the data section exactly (no holes, no overlaps).
  spans.sort((x, y) => x[0] - y[0]);
  let end = 0;
  for (const [a, b, key] of spans) {
    if (a !== end)
      throw bad(a < end ? `tensor '${key}' overlaps the previous tensor` : `there is a gap before tensor '${key}'`);
    end = b;
  }
  if (end !== body.length)
    throw bad(`the data section has ${body.length - end} trailing bytes not covered by any tensor`);
  return { tensors, metadata };
}

function decode(dtype: string, shape: number[], bytes: Buffer, mayView: boolean): SafeTensor {
  const width = BYTES[dtype];
  if (mayView && bytes.byteOffset % (dtype === 'I64' ? 8 : 4) === 0) {
    if (dtype === 'F32')
      return { dtype: 'float32', shape, data: new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / width) };
    if (dtype === 'I64')
      return { dtype: 'int64', shape, data: new BigInt64Array(bytes.buffer, bytes.byteOffset, bytes.length / width) };
  }
  // Otherwise copy into fresh, aligned memory (the format does not promise alignment).
  const raw = new Uint8Array(bytes.length);
  raw.set(bytes);
  if (dtype === 'F32') return { dtype: 'float32', shape, data: new Float32Array(raw.buffer) };
  if (dtype === 'I64') return { dtype: 'int64', shape, data: new BigInt64Array(raw.buffer) };
  const half = new Uint16Array(raw.buffer);
  const out = new Float32Array(half.length);
  if (dtype === 'F16') for (let i = 0; i < half.length; i++) out[i] = halfToFloat(half[i]);
  else {
    const w = new Uint32Array(out.buffer);
    for (let i = 0; i < half.length; i++) w[i] = half[i] << 16;
  } // BF16
  return { dtype: 'float32', shape, data: out };
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length;) done += writeSync(fd, bytes, done, bytes.length - done);
}

/** Writes tensors (sorted by name, like the reference writer) to `path` via a temp file + rename. */
export function writeSafetensors(
  path: string,
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): void {
  const entries = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))].sort(([a], [b]) =>
    a < b ? -1 : a > b ? 1 : 0,
  );
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let off = 0;
  for (const [key, t] of entries) {
    if (numElements(t.shape) !== t.data.length)
      throw new ModelError(
        path,
        `${basename(path)}: tensor '${key}' has shape [${t.shape}] but ${t.data.length} values`,
      );
    const size = t.data.byteLength;
    header[key] = { dtype: t.dtype === 'float32' ? 'F32' : 'I64', shape: t.shape, data_offsets: [off, off + size] };
    off += size;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // keeps tensor data 8-byte aligned
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  replaceFileAtomic(path, (tmp) => {
    const fd = openSync(tmp, 'w');
    try {
      writeAll(fd, head);
      writeAll(fd, Buffer.from(json, 'utf8'));
      for (const [, t] of entries) writeAll(fd, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
    } finally {
      closeSync(fd);
    }
  });
}
