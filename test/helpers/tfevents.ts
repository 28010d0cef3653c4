// An independent reader of TensorBoard event files: TFRecord framing with CRC checks and a minimal
// protobuf wire decoder for tensorflow.Event / Summary / Summary.Value (as TensorBoard's
// event_file_loader reads them).
import { maskedCrc32c } from '../../src/report/crc32c.js';

export interface Decoded {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; simpleValue: number }[];
}

function readVarint(b: Uint8Array, pos: { o: number }): bigint {
  let r = 0n,
    shift = 0n;
  for (;;) {
    const byte = b[pos.o++]!;
    r |= BigInt(byte & 0x7f) << shift;
    if (!(byte & 0x80)) return r;
    shift += 7n;
  }
}

function fields(b: Uint8Array): { field: number; wire: number; value: bigint | Uint8Array | DataView }[] {
  const out = [];
  const pos = { o: 0 };
  while (pos.o < b.length) {
    const key = Number(readVarint(b, pos));
    const field = key >> 3,
      wire = key & 7;
    if (wire === 0) out.push({ field, wire, value: readVarint(b, pos) });
    else if (wire === 1) {
      out.push({ field, wire, value: new DataView(b.buffer, b.byteOffset + pos.o, 8) });
      pos.o += 8;
    } else if (wire === 5) {
      out.push({ field, wire, value: new DataView(b.buffer, b.byteOffset + pos.o, 4) });
      pos.o += 4;
    } else if (wire === 2) {
      const n = Number(readVarint(b, pos));
      out.push({ field, wire, value: b.subarray(pos.o, pos.o + n) });
      pos.o += n;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

export function decodeEventFile(bytes: Uint8Array): Decoded[] {
  const events: Decoded[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 0;
  while (o < bytes.length) {
    const len = Number(view.getBigUint64(o, true));
    expect(view.getUint32(o + 8, true)).toBe(maskedCrc32c(bytes.subarray(o, o + 8)));
    const data = bytes.subarray(o + 12, o + 12 + len);
    expect(view.getUint32(o + 12 + len, true)).toBe(maskedCrc32c(data));
    o += 16 + len;
    const ev: Decoded = { wallTime: NaN, step: 0, values: [] };
    for (const f of fields(data)) {
      if (f.field === 1 && f.wire === 1) ev.wallTime = (f.value as DataView).getFloat64(0, true);
      else if (f.field === 2 && f.wire === 0) ev.step = Number(f.value);
      else if (f.field === 3 && f.wire === 2) ev.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
      else if (f.field === 5 && f.wire === 2) {
        for (const v of fields(f.value as Uint8Array)) {
          expect(v.field).toBe(1);
          const val = { tag: '', simpleValue: NaN };
          for (const x of fields(v.value as Uint8Array)) {
            if (x.field === 1) val.tag = new TextDecoder().decode(x.value as Uint8Array);
            if (x.field === 2 && x.wire === 5) val.simpleValue = (x.value as DataView).getFloat32(0, true);
          }
          ev.values.push(val);
        }
      } else throw new Error(`unexpected Event field ${f.field}`);
    }
    events.push(ev);
  }
  expect(o).toBe(bytes.length);
  return events;
}
