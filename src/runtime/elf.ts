// A reader for the parts of an ELF64 shared library the CUDA preflight needs: section headers (to
// find `.nv_fatbin`) and the dynamic section (DT_NEEDED, DT_RPATH, DT_RUNPATH). It reads with
// positioned reads, never the whole file: the CUDA provider is several hundred MB.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export class ElfError extends Error {
  override name = 'ElfError';
}

export interface ElfSection {
  name: string;
  type: number;
  /** File offset and size of the section's bytes. */
  offset: number;
  size: number;
}

export interface ElfDynamic {
  /** DT_NEEDED entries in file order (the order the loader loads them). */
  needed: string[];
  /** DT_RUNPATH / DT_RPATH, split on ':'; undefined when absent. */
  runpath?: string[];
  rpath?: string[];
  soname?: string;
}

const SHT_DYNAMIC = 6;
const SHT_NOBITS = 8;
const DT_NULL = 0,
  DT_NEEDED = 1,
  DT_STRTAB = 5,
  DT_SONAME = 14,
  DT_RPATH = 15,
  DT_RUNPATH = 29;

/** An open ELF64 little-endian file. Call close() when done. */
export class ElfFile {
  private readonly fd: number;
  readonly size: number;
  readonly sections: ElfSection[];
  readonly machine: number;
  /** sh_link of each section (the dynamic section's string table). */
  private readonly links: number[];

  constructor(readonly path: string) {
    this.fd = openSync(path, 'r');
    try {
      this.size = fstatSync(this.fd).size;
      const h = this.read(0, 64);
      if (h.length < 64 || h.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(`${path} is not an ELF file`);
      if (h[4] !== 2) throw new ElfError(`${path} is a 32-bit ELF file; only 64-bit libraries are supported`);
      if (h[5] !== 1) throw new ElfError(`${path} is a big-endian ELF file; only little-endian is supported`);
      this.machine = h.readUInt16LE(0x12);
      const shoff = Number(h.readBigUInt64LE(0x28));
      const shentsize = h.readUInt16LE(0x3a);
      const shnum = h.readUInt16LE(0x3c);
      const shstrndx = h.readUInt16LE(0x3e);
      if (shoff === 0 || shnum === 0) throw new ElfError(`${path} has no section headers (stripped of them?)`);
      if (shentsize < 64 || shoff + shentsize * shnum > this.size)
        throw new ElfError(`${path}: section header table lies outside the file (truncated download?)`);
      const table = this.read(shoff, shentsize * shnum);
      const raw = Array.from({ length: shnum }, (_, i) => {
        const o = i * shentsize;
        return {
          nameOff: table.readUInt32LE(o),
          type: table.readUInt32LE(o + 4),
          offset: Number(table.readBigUInt64LE(o + 0x18)),
          size: Number(table.readBigUInt64LE(o + 0x20)),
          link: table.readUInt32LE(o + 0x28),
        };
      });
      if (shstrndx >= shnum) throw new ElfError(`${path}: bad section-name table index ${shstrndx}`);
      const names = this.sectionBytes(raw[shstrndx]);
      this.sections = raw.map((s) => ({
        name: cString(names, s.nameOff),
        type: s.type,
        offset: s.offset,
        size: s.size,
      }));
      this.links = raw.map((s) => s.link);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
  }

  /** Reads `length` bytes at `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Buffer {
    const b = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
    let done = 0;
    while (done < b.length) {
      const n = readSync(this.fd, b, done, b.length - done, offset + done);
      if (n <= 0) break;
      done += n;
    }
    return b.subarray(0, done);
  }

  section(name: string): ElfSection | undefined {
    return this.sections.find((s) => s.name === name);
  }

  private sectionBytes(s: { offset: number; size: number; type: number }): Buffer {
    if (s.type === SHT_NOBITS) return Buffer.alloc(0);
    if (s.offset + s.size > this.size) throw new ElfError(`${this.path}: a section lies outside the file (truncated?)`);
    return this.read(s.offset, s.size);
  }

  /** The dynamic section's library entries; strings come from the section it links to (.dynstr). */
  dynamic(): ElfDynamic {
    const i = this.sections.findIndex((s) => s.type === SHT_DYNAMIC);
    if (i < 0) return { needed: [] };
    const dyn = this.sectionBytes(this.sections[i]);
    const strtab = this.sections[this.links[i]];
    if (!strtab) throw new ElfError(`${this.path}: the dynamic section names no string table`);
    const strs = this.sectionBytes(strtab);
    const out: ElfDynamic = { needed: [] };
    for (let o = 0; o + 16 <= dyn.length; o += 16) {
      const tag = Number(dyn.readBigInt64LE(o));
      const val = Number(dyn.readBigUInt64LE(o + 8));
      if (tag === DT_NULL) break;
      if (tag === DT_STRTAB) continue;
      if (tag === DT_NEEDED) out.needed.push(cString(strs, val));
      else if (tag === DT_RUNPATH) out.runpath = splitPath(cString(strs, val));
      else if (tag === DT_RPATH) out.rpath = splitPath(cString(strs, val));
      else if (tag === DT_SONAME) out.soname = cString(strs, val);
    }
    return out;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function cString(b: Buffer, off: number): string {
  if (off >= b.length) throw new ElfError(`string offset ${off} lies outside its table (${b.length} bytes)`);
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 ? b.length : end);
}

function splitPath(s: string): string[] {
  return s.split(':').filter(Boolean);
}

/** Opens, reads with `fn`, closes. */
export function withElf<T>(path: string, fn: (elf: ElfFile) => T): T {
  const elf = new ElfFile(path);
  try {
    return fn(elf);
  } finally {
    elf.close();
  }
}
