// A pass-through stream that rejects invalid UTF-8 with the line it is on. Bytes are checked
// natively (buffer.isUtf8) chunk by chunk; a multi-byte character split across chunks is held
// back until its end arrives. Only on failure is the exact offset located, in JS.
import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';
import { DataFileError } from './errors.js';

export class Utf8Guard extends Transform {
  private carry: Buffer = Buffer.alloc(0);
  private lines = 1;

  constructor(private readonly file: string) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    const buf = this.carry.length ? Buffer.concat([this.carry, chunk]) : chunk;
    const cut = completeLength(buf);
    const whole = buf.subarray(0, cut);
    if (!isUtf8(whole)) {
      done(this.failure(whole, firstInvalid(whole)));
      return;
    }
    this.lines += countNewlines(whole);
    this.carry = Buffer.from(buf.subarray(cut));
    this.push(chunk);
    done();
  }

  override _flush(done: TransformCallback): void {
    if (this.carry.length) done(this.failure(this.carry, 0, 'the file ends in the middle of a character'));
    else done();
  }

  private failure(buf: Buffer, offset: number, why = 'invalid UTF-8'): DataFileError {
    const line = this.lines + countNewlines(buf.subarray(0, offset));
    return new DataFileError(
      this.file,
      `${this.file}: ${why} on line ${line}. ` +
        'Fix: save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8 in.csv > out.csv`).',
      line,
    );
  }
}

function countNewlines(buf: Buffer): number {
  let n = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, i + 1)) n++;
  return n;
}

/** Length of the prefix of `buf` that does not end inside a multi-byte sequence. */
function completeLength(buf: Buffer): number {
  const n = buf.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = buf[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

/** Offset of the first byte that starts an invalid sequence (the buffer is known to be invalid). */
function firstInvalid(buf: Buffer): number {
  let i = 0;
  while (i < buf.length) {
    const b = buf[i]!;
    const need = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
    if (need === 0) return i;
    if (need > 1 && !isUtf8(buf.subarray(i, i + need))) return i;
    i += need;
  }
  return buf.length;
}
