// The GPU code inside a CUDA library: its `.nv_fatbin` section is a run of fat binaries (one per
// compiled CUDA source file), each a 16-byte header (magic 0xBA55ED50, version, header size, size
// of what follows) and entries: a header naming the kind (1 = PTX, 2 = ELF cubin) and the SM
// architecture, then the payload. Only headers are read; payloads are skipped.
import type { ElfFile } from './elf.js';

export const FATBIN_MAGIC = 0xba55ed50;
export const FATBIN_KIND_PTX = 1;
export const FATBIN_KIND_ELF = 2;
/**
 * Entry flag seen on the sm_90a and sm_120a cubins of ORT's CUDA 13 provider and on no plain
 * sm_XY cubin: architecture-specific code ("a" targets), which runs on exactly that compute capability.
 */
export const FATBIN_FLAG_ARCH_SPECIFIC = 0x100000n;

export interface FatbinImage {
  kind: 'ptx' | 'elf';
  /** SM version, e.g. 70 for sm_70. */
  sm: number;
  /** An "a" target (sm_90a): runs on exactly this compute capability. */
  archSpecific: boolean;
}

export interface FatbinSummary {
  /** Number of fat binaries in the section. */
  fatbins: number;
  /** Every image kind+arch with how many fat binaries carry it. */
  images: (FatbinImage & { count: number })[];
}

export class FatbinError extends Error {
  override name = 'FatbinError';
}

/** Formats an image as nvcc names its target: sm_90a, compute_70 (PTX). */
export function imageName(i: FatbinImage): string {
  return `${i.kind === 'ptx' ? 'compute' : 'sm'}_${i.sm}${i.archSpecific ? 'a' : ''}`;
}

/** Reads the fat binaries of `.nv_fatbin`; undefined when the library has no such section. */
export function readFatbins(elf: ElfFile): FatbinSummary | undefined {
  const sec = elf.section('.nv_fatbin');
  if (!sec) return undefined;
  const end = sec.offset + sec.size;
  if (end > elf.size) throw new FatbinError(`${elf.path}: .nv_fatbin lies outside the file (truncated?)`);
  const counts = new Map<string, FatbinImage & { count: number }>();
  let fatbins = 0;
  let pos = sec.offset;
  while (pos + 16 <= end) {
    const h = elf.read(pos, 16);
    if (h.readUInt32LE(0) !== FATBIN_MAGIC) {
      // Fat binaries are 8-byte aligned; padding between them is zeros.
      const next = findMagic(elf, pos + 8, end);
      if (next < 0) break;
      pos = next;
      continue;
    }
    const headerSize = h.readUInt16LE(6);
    const bodySize = Number(h.readBigUInt64LE(8));
    const bodyEnd = pos + headerSize + bodySize;
    if (headerSize < 16 || bodyEnd > end)
      throw new FatbinError(`${elf.path}: fat binary at 0x${pos.toString(16)} overruns .nv_fatbin`);
    const seen = new Set<string>();
    for (let e = pos + headerSize; e + 32 <= bodyEnd;) {
      const eh = elf.read(e, 48);
      const kind = eh.readUInt16LE(0);
      const entryHeader = eh.readUInt32LE(4);
      const payload = Number(eh.readBigUInt64LE(8));
      if (entryHeader < 32 || e + entryHeader + payload > bodyEnd)
        throw new FatbinError(`${elf.path}: fat binary entry at 0x${e.toString(16)} overruns its fat binary`);
      if (kind === FATBIN_KIND_PTX || kind === FATBIN_KIND_ELF) {
        const flags = eh.length >= 48 ? eh.readBigUInt64LE(40) : 0n;
        const img: FatbinImage = {
          kind: kind === FATBIN_KIND_PTX ? 'ptx' : 'elf',
          sm: eh.readUInt32LE(28),
          archSpecific: (flags & FATBIN_FLAG_ARCH_SPECIFIC) !== 0n,
        };
        const key = imageName(img);
        if (!seen.has(key)) {
          seen.add(key);
          const c = counts.get(key);
          if (c) c.count++;
          else counts.set(key, { ...img, count: 1 });
        }
      }
      e += entryHeader + payload;
    }
    fatbins++;
    pos = bodyEnd;
  }
  const images = [...counts.values()].sort((a, b) => a.sm - b.sm || a.kind.localeCompare(b.kind));
  return { fatbins, images };
}

function findMagic(elf: ElfFile, from: number, end: number): number {
  const chunk = 1 << 16;
  for (let p = from - (from % 8); p < end; p += chunk) {
    const b = elf.read(p, Math.min(chunk, end - p));
    for (let o = 0; o + 4 <= b.length; o += 8) if (b.readUInt32LE(o) === FATBIN_MAGIC) return p + o;
  }
  return -1;
}

/**
 * The provider's architecture list: images carried by at least half of its fat binaries. A few
 * fat binaries hold kernels for one architecture only (Hopper-only attention, say) that ORT never
 * launches elsewhere, so the union would overstate what the provider supports.
 */
export function baseImages(s: FatbinSummary): FatbinImage[] {
  return s.images
    .filter((i) => i.count * 2 >= s.fatbins)
    .map(({ kind, sm, archSpecific }) => ({ kind, sm, archSpecific }));
}

/**
 * The image a GPU of compute capability `cc` (e.g. "7.0") would run, following CUDA's rules: a
 * cubin runs on the same major version with an equal or higher minor ("a" cubins: exactly that
 * version); PTX is compiled by the driver for any GPU at or above its version.
 */
export function imageFor(images: FatbinImage[], cc: string): FatbinImage | undefined {
  const [major, minor] = cc.split('.').map(Number);
  const sm = major * 10 + minor;
  const cubins = images
    .filter((i) => i.kind === 'elf' && Math.floor(i.sm / 10) === major && (i.archSpecific ? i.sm === sm : i.sm <= sm))
    .sort((a, b) => b.sm - a.sm);
  if (cubins.length) return cubins[0];
  return images.filter((i) => i.kind === 'ptx' && i.sm <= sm).sort((a, b) => b.sm - a.sm)[0];
}
