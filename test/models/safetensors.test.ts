// safetensors: round trip, F16/BF16 widening, checks against files written by hand to the spec,
// and the errors a corrupt or unsupported file gives.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../../src/models/safetensors.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'st-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A file assembled byte by byte from a header object and a data section. */
function rawFile(name: string, header: unknown, data: Uint8Array, headerText?: string): string {
  const json = Buffer.from(headerText ?? JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  const p = join(dir, name);
  writeFileSync(p, Buffer.concat([len, json, data]));
  return p;
}

test('F32 and I64 round trip with metadata, 8-byte aligned header, sorted keys', () => {
  const p = join(dir, 'rt.safetensors');
  writeSafetensors(
    p,
    {
      'b.weight': { dtype: 'float32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-8, -7]) },
      'a.ids': { dtype: 'int64', shape: [3], data: BigInt64Array.from([1n, -2n, 2n ** 40n]) },
    },
    { format: 'pt' },
  );
  const bytes = readFileSync(p);
  const n = Number(bytes.readBigUInt64LE(0));
  expect((8 + n) % 8).toBe(0);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + n));
  expect(Object.keys(header)).toEqual(['__metadata__', 'a.ids', 'b.weight']);
  expect(header['a.ids']).toEqual({ dtype: 'I64', shape: [3], data_offsets: [0, 24] });
  expect(header['b.weight']).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [24, 48] });
  const f = readSafetensors(p);
  expect(f.metadata).toEqual({ format: 'pt' });
  expect(Array.from(f.tensors.get('b.weight')!.data as Float32Array)).toEqual(
    Array.from(Float32Array.from([1, -2, 3.5, 0, 1e-8, -7])),
  );
  expect(Array.from(f.tensors.get('a.ids')!.data as BigInt64Array)).toEqual([1n, -2n, 2n ** 40n]);
  expect(f.tensors.get('b.weight')!.shape).toEqual([2, 3]);
});

test('F16 (normal, subnormal, inf) and BF16 are widened to float32; unaligned data is fine', () => {
  // 1.0, -2.5, 65504 (max), 2^-24 (smallest subnormal), +inf
  const half = Uint16Array.from([0x3c00, 0xc100, 0x7bff, 0x0001, 0x7c00]);
  const bf = Uint16Array.from([0x3f80, 0xc020]); // 1.0, -2.5
  const data = new Uint8Array(half.byteLength + bf.byteLength);
  data.set(new Uint8Array(half.buffer), 0);
  data.set(new Uint8Array(bf.buffer), half.byteLength);
  const p = rawFile(
    'f16.safetensors',
    {
      h: { dtype: 'F16', shape: [5], data_offsets: [0, 10] },
      b: { dtype: 'BF16', shape: [2], data_offsets: [10, 14] },
    },
    data,
    '{"h":{"dtype":"F16","shape":[5],"data_offsets":[0,10]},"b":{"dtype":"BF16","shape":[2],"data_offsets":[10,14]}}  ',
  );
  const f = readSafetensors(p);
  expect(f.tensors.get('h')!.dtype).toBe('float32');
  expect(Array.from(f.tensors.get('h')!.data as Float32Array)).toEqual([
    1,
    -2.5,
    65504,
    Math.fround(2 ** -24),
    Infinity,
  ]);
  expect(Array.from(f.tensors.get('b')!.data as Float32Array)).toEqual([1, -2.5]);
});

test('corrupt and unsupported files fail with the file name and what is wrong', () => {
  const f32 = new Uint8Array(new Float32Array([1, 2]).buffer);
  const cases: [string, () => string, RegExp][] = [
    [
      'short',
      () => {
        const p = join(dir, 'short.safetensors');
        writeFileSync(p, Buffer.from([1, 2, 3]));
        return p;
      },
      /short\.safetensors: not a valid safetensors file: it has 3 bytes/,
    ],
    ['not json', () => rawFile('nj.safetensors', null, f32, '{"a": '), /nj\.safetensors: .*the header is not JSON/],
    [
      'dtype',
      () => rawFile('dt.safetensors', { x: { dtype: 'F64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)),
      /dt\.safetensors: tensor 'x' has dtype "F64"; supported are F32, F16, BF16, I64/,
    ],
    [
      'size',
      () => rawFile('sz.safetensors', { x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32),
      /sz\.safetensors: .*tensor 'x' \[3\] F32 needs 12 bytes but data_offsets span 8/,
    ],
    [
      'truncated',
      () => rawFile('tr.safetensors', { x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32),
      /tr\.safetensors: .*ends at byte 16 but the data section has 8 bytes \(truncated download\?\)/,
    ],
    [
      'gap',
      () => rawFile('gap.safetensors', { x: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32),
      /gap\.safetensors: .*gap before tensor 'x'/,
    ],
    [
      'trailing',
      () => rawFile('tail.safetensors', { x: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32),
      /tail\.safetensors: .*4 trailing bytes/,
    ],
    [
      'shape',
      () => rawFile('sh.safetensors', { x: { dtype: 'F32', shape: [-1], data_offsets: [0, 8] } }, f32),
      /sh\.safetensors: .*invalid shape \[-1\]/,
    ],
  ];
  for (const [, make, re] of cases) expect(() => readSafetensors(make())).toThrow(re);
  // header length larger than the file
  const p = join(dir, 'len.safetensors');
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(1000n);
  writeFileSync(p, b);
  expect(() => readSafetensors(p)).toThrow(/len\.safetensors: .*header length 1000 exceeds the file size 16/);
  expect(() => readSafetensors(join(dir, 'missing.safetensors'))).toThrow(/missing\.safetensors: cannot read/);
});

test('F32/I64 data at unaligned offsets (odd header length) is read correctly', () => {
  const f = new Float32Array([1.5, -3]);
  const i = new BigInt64Array([7n]);
  const data = new Uint8Array(16);
  data.set(new Uint8Array(f.buffer), 0);
  data.set(new Uint8Array(i.buffer), 8);
  const header =
    '{"f":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"i":{"dtype":"I64","shape":[1],"data_offsets":[8,16]}} ';
  expect((8 + header.length) % 4).not.toBe(0);
  const r = readSafetensors(rawFile('unaligned.safetensors', null, data, header));
  expect(Array.from(r.tensors.get('f')!.data as Float32Array)).toEqual([1.5, -3]);
  expect(Array.from(r.tensors.get('i')!.data as BigInt64Array)).toEqual([7n]);
});
