// Synthetic ELF64 shared libraries for the CUDA preflight tests: a real section header table, a
// .dynamic section with DT_NEEDED/DT_RUNPATH/DT_SONAME strings in .dynstr, and optionally a
// .nv_fatbin section of fat binaries whose entry headers name chosen SM architectures, laid out
// as nvcc lays them out (16-byte fat binary header, 64-byte entry headers, payloads).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface FatbinEntrySpec {
  kind: 'elf' | 'ptx';
  sm: number;
  /** An "a" target (sm_90a). */
  archSpecific?: boolean;
}

export interface ElfSpec {
  needed?: string[];
  runpath?: string;
  rpath?: string;
  soname?: string;
  /** Each inner list is one fat binary. */
  fatbins?: FatbinEntrySpec[][];
  /** Zero bytes between fat binaries (nvcc aligns them to 8). */
  fatbinPadding?: number;
}

const u16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
};
const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};
const u64 = (v: number | bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};

export function fatbinEntry(e: FatbinEntrySpec): Buffer {
  const payload = Buffer.from(
    e.kind === 'ptx' ? `.version 8.0\n.target compute_${e.sm}\n` : `\x7fELF cubin for sm_${e.sm}`.padEnd(40, '\0'),
    'latin1',
  );
  const header = Buffer.concat([
    u16(e.kind === 'ptx' ? 1 : 2),
    u16(0x0101),
    u32(64), // header size
    u64(payload.length),
    u32(0), // compressed size
    u32(0),
    u16(8), // minor
    u16(1), // major
    u32(e.sm),
    u32(0), // name offset
    u32(0), // name length
    u64(0x8011n | (e.archSpecific ? 0x100000n : 0n)),
    u64(0),
    u64(0), // decompressed size
  ]);
  return Buffer.concat([header, payload]);
}

export function fatbin(entries: FatbinEntrySpec[]): Buffer {
  const body = Buffer.concat(entries.map(fatbinEntry));
  return Buffer.concat([u32(0xba55ed50), u16(1), u16(16), u64(body.length), body]);
}

const DT = { NULL: 0, NEEDED: 1, STRTAB: 5, SONAME: 14, RPATH: 15, RUNPATH: 29 };

export function buildElf(spec: ElfSpec): Buffer {
  // .dynstr
  const strs: Buffer[] = [Buffer.from([0])];
  let strLen = 1;
  const addStr = (s: string) => {
    const off = strLen;
    const b = Buffer.from(s + '\0', 'utf8');
    strs.push(b);
    strLen += b.length;
    return off;
  };
  const dyn: [number, number][] = [];
  for (const n of spec.needed ?? []) dyn.push([DT.NEEDED, addStr(n)]);
  if (spec.soname) dyn.push([DT.SONAME, addStr(spec.soname)]);
  if (spec.rpath) dyn.push([DT.RPATH, addStr(spec.rpath)]);
  if (spec.runpath) dyn.push([DT.RUNPATH, addStr(spec.runpath)]);
  dyn.push([DT.STRTAB, 0], [DT.NULL, 0]);
  const dynstr = Buffer.concat(strs);
  const dynamic = Buffer.concat(dyn.map(([t, v]) => Buffer.concat([u64(t), u64(v)])));
  const pad = Buffer.alloc(spec.fatbinPadding ?? 0);
  const nvFatbin = spec.fatbins
    ? Buffer.concat(spec.fatbins.flatMap((f, i) => (i ? [pad, fatbin(f)] : [fatbin(f)])))
    : undefined;

  const sections: { name: string; type: number; data: Buffer; link?: number; entsize?: number }[] = [
    { name: '', type: 0, data: Buffer.alloc(0) },
    { name: '.dynstr', type: 3, data: dynstr },
    { name: '.dynamic', type: 6, data: dynamic, link: 1, entsize: 16 },
    ...(nvFatbin ? [{ name: '.nv_fatbin', type: 1, data: nvFatbin }] : []),
  ];
  const shstr: Buffer[] = [Buffer.from([0])];
  let shLen = 1;
  const nameOffs = sections.map((s) => {
    if (!s.name) return 0;
    const off = shLen;
    const b = Buffer.from(s.name + '\0');
    shstr.push(b);
    shLen += b.length;
    return off;
  });
  const shstrOff = shLen;
  shstr.push(Buffer.from('.shstrtab\0'));
  sections.push({ name: '.shstrtab', type: 3, data: Buffer.concat(shstr) });
  nameOffs.push(shstrOff);

  const align8 = (n: number) => (n + 7) & ~7;
  let off = 64;
  const offsets = sections.map((s) => {
    if (s.type === 0) return 0;
    off = align8(off);
    const at = off;
    off += s.data.length;
    return at;
  });
  const shoff = align8(off);
  const file = Buffer.alloc(shoff + 64 * sections.length);
  // ELF header: 64-bit, little-endian, ET_DYN, x86-64
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]).copy(file, 0);
  file.writeUInt16LE(3, 0x10);
  file.writeUInt16LE(62, 0x12);
  file.writeUInt32LE(1, 0x14);
  file.writeBigUInt64LE(BigInt(shoff), 0x28);
  file.writeUInt16LE(64, 0x34);
  file.writeUInt16LE(56, 0x36);
  file.writeUInt16LE(64, 0x3a);
  file.writeUInt16LE(sections.length, 0x3c);
  file.writeUInt16LE(sections.length - 1, 0x3e);
  sections.forEach((s, i) => {
    s.data.copy(file, offsets[i]);
    const h = shoff + 64 * i;
    file.writeUInt32LE(nameOffs[i], h);
    file.writeUInt32LE(s.type, h + 4);
    file.writeBigUInt64LE(BigInt(offsets[i]), h + 0x18);
    file.writeBigUInt64LE(BigInt(s.data.length), h + 0x20);
    file.writeUInt32LE(s.link ?? 0, h + 0x28);
    file.writeBigUInt64LE(8n, h + 0x30);
    file.writeBigUInt64LE(BigInt(s.entsize ?? 0), h + 0x38);
  });
  return file;
}

export function writeElf(path: string, spec: ElfSpec): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, buildElf(spec));
  return path;
}

/** Architecture lists of ORT's Linux CUDA packages (issue 11). */
export const ARCH_LISTS = {
  /** C API / Node builds from 1.21: 75;80;90 */
  c121: [75, 80, 90].map((sm) => ({ kind: 'elf' as const, sm })),
  /** CUDA 12.8 since PR 31992: 60;70;75;80;86;89;90a;120a */
  cuda12: [60, 70, 75, 80, 86, 89, 90, 120].map((sm) => ({ kind: 'elf' as const, sm, archSpecific: sm >= 90 })),
  /** CUDA 13.0: 75;80;86;89;90a;120a */
  cuda13: [75, 80, 86, 89, 90, 120].map((sm) => ({ kind: 'elf' as const, sm, archSpecific: sm >= 90 })),
};

/** A provider's fat binaries: most carry the whole list, a few one architecture only (Hopper-only kernels). */
export function providerFatbins(list: FatbinEntrySpec[]): FatbinEntrySpec[][] {
  return [list, list, list, [{ kind: 'elf', sm: 90, archSpecific: true }]];
}
