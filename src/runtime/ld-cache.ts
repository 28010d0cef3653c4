// /etc/ld.so.cache, read the way glibc's loader reads it: the "glibc-ld.so.cache1.1" table of
// (flags, soname, path) entries, optionally after an old-format "ld.so-1.7.0" block. Only entries
// for this machine's ABI count (x86-64: ELF libc6 + the x86-64 lib64 flag).
import { readFileSync } from 'node:fs';

const OLD_MAGIC = 'ld.so-1.7.0';
const NEW_MAGIC = 'glibc-ld.so.cache1.1';
const FLAG_TYPE_MASK = 0x00ff;
const FLAG_ELF_LIBC6 = 0x0003;
const FLAG_REQUIRED_MASK = 0x0f00;
/** Required-ABI bits per Node arch (glibc's FLAG_X8664_LIB64, FLAG_AARCH64_LIB64). */
const ARCH_FLAGS: Record<string, number> = { x64: 0x0300, arm64: 0x0a00 };

export class LdCacheError extends Error {
  override name = 'LdCacheError';
}

/** soname -> absolute path of the library the loader would use. */
export type LdCache = Map<string, string>;

export function parseLdCache(buf: Buffer, arch: string = process.arch): LdCache {
  let base = 0;
  if (buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    const nOld = buf.readUInt32LE(12);
    base = 16 + nOld * 12;
    base = (base + 7) & ~7; // the new table is 8-byte aligned after the old one
  }
  if (buf.toString('latin1', base, base + NEW_MAGIC.length) !== NEW_MAGIC)
    throw new LdCacheError(`not a glibc ld.so.cache (no "${NEW_MAGIC}" header)`);
  const nlibs = buf.readUInt32LE(base + 20);
  const entries = base + 48;
  if (entries + nlibs * 24 > buf.length) throw new LdCacheError(`ld.so.cache is truncated (${nlibs} entries)`);
  const want = ARCH_FLAGS[arch];
  const str = (off: number) => {
    const at = base + off;
    if (at >= buf.length) throw new LdCacheError(`ld.so.cache string offset ${off} lies outside the file`);
    const end = buf.indexOf(0, at);
    return buf.toString('utf8', at, end < 0 ? buf.length : end);
  };
  const out: LdCache = new Map();
  const viaHwcaps = new Set<string>();
  for (let i = 0; i < nlibs; i++) {
    const o = entries + i * 24;
    const flags = buf.readInt32LE(o);
    if ((flags & FLAG_TYPE_MASK) !== FLAG_ELF_LIBC6) continue;
    if (want !== undefined && (flags & FLAG_REQUIRED_MASK) !== want) continue;
    const name = str(buf.readUInt32LE(o + 4));
    // glibc-hwcaps entries (hwcap != 0) are used only on CPUs that have those features: the first
    // plain entry wins, a hwcaps one only stands in when the name has no plain entry.
    const hwcaps = buf.readBigUInt64LE(o + 16) !== 0n;
    if (out.has(name) && (hwcaps || !viaHwcaps.has(name))) continue;
    out.set(name, str(buf.readUInt32LE(o + 8)));
    if (hwcaps) viaHwcaps.add(name);
    else viaHwcaps.delete(name);
  }
  return out;
}

/** The system cache, or an empty one when there is none (musl, containers without ldconfig). */
export function readLdCache(path = '/etc/ld.so.cache'): { cache: LdCache; error?: string } {
  try {
    return { cache: parseLdCache(readFileSync(path)) };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    return { cache: new Map(), error: err.code === 'ENOENT' ? `${path} does not exist` : `${path}: ${err.message}` };
  }
}
