// The ELF, fat binary and ld.so.cache readers, on synthetic files and on the real libraries of
// this machine (onnxruntime-node's binding, /etc/ld.so.cache against `ldconfig -p`).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ElfError, ElfFile, withElf } from '../../src/runtime/elf.js';
import { baseImages, imageFor, imageName, readFatbins } from '../../src/runtime/fatbin.js';
import { parseLdCache, LdCacheError } from '../../src/runtime/ld-cache.js';
import { resolveNeeded, type LoaderEnv } from '../../src/runtime/ld-resolve.js';
import { ortBinaryDir } from '../../src/runtime/device.js';
import { ARCH_LISTS, buildElf, providerFatbins, writeElf } from './elf-fixture.js';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'elf-ld-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('ELF reader', () => {
  test('DT_NEEDED in order, DT_RUNPATH split, DT_SONAME', () => {
    const p = writeElf(join(root, 'a.so'), {
      needed: ['libcudart.so.12', 'libcudnn.so.9', 'libc.so.6'],
      runpath: '$ORIGIN:/opt/cuda/lib64',
      soname: 'libonnxruntime_providers_cuda.so',
    });
    const d = withElf(p, (e) => e.dynamic());
    expect(d).toEqual({
      needed: ['libcudart.so.12', 'libcudnn.so.9', 'libc.so.6'],
      runpath: ['$ORIGIN', '/opt/cuda/lib64'],
      soname: 'libonnxruntime_providers_cuda.so',
    });
  });

  test('the real onnxruntime-node binding: needs libonnxruntime.so.1, found through its RUNPATH $ORIGIN/', () => {
    const bin = ortBinaryDir()!;
    const binding = join(bin, 'onnxruntime_binding.node');
    const d = withElf(binding, (e) => e.dynamic());
    expect(d.needed[0]).toBe('libonnxruntime.so.1');
    expect(d.runpath).toEqual(['$ORIGIN/']);
    const env: LoaderEnv = { cache: new Map(), systemDirs: [] };
    const l = resolveNeeded('libonnxruntime.so.1', { path: binding, runpath: d.runpath }, env);
    expect(l).toMatchObject({ path: join(bin, 'libonnxruntime.so.1'), via: 'DT_RUNPATH' });
    // libonnxruntime.so.1 itself: the C++ runtime only, RUNPATH $ORIGIN, soname libonnxruntime.so.1.
    const ort = withElf(join(bin, 'libonnxruntime.so.1'), (e) => e.dynamic());
    expect(ort.soname).toBe('libonnxruntime.so.1');
    expect(ort.needed).toEqual(expect.arrayContaining(['libstdc++.so.6', 'libc.so.6']));
    expect(ort.needed.some((n) => /cuda|cudnn|cublas/.test(n))).toBe(false);
  });

  test('not an ELF, 32-bit, truncated: a clear ElfError naming the file', () => {
    const txt = join(root, 'notes.txt');
    writeFileSync(txt, 'INPUT(-lfoo)\n'.repeat(8)); // a linker script, as some lib*.so are
    expect(() => new ElfFile(txt)).toThrow(new ElfError(`${txt} is not an ELF file`));
    const b32 = buildElf({ needed: ['libc.so.6'] });
    b32[4] = 1;
    writeFileSync(join(root, '32.so'), b32);
    expect(() => new ElfFile(join(root, '32.so'))).toThrow(/is a 32-bit ELF file/);
    const full = buildElf({ needed: ['libc.so.6'], fatbins: [ARCH_LISTS.c121] });
    writeFileSync(join(root, 'cut.so'), full.subarray(0, full.length - 100));
    expect(() => new ElfFile(join(root, 'cut.so'))).toThrow(
      /section header table lies outside the file \(truncated download\?\)/,
    );
  });
});

describe('fat binaries', () => {
  test('architectures and how many fat binaries carry each; padding between fat binaries skipped', () => {
    const p = writeElf(join(root, 'fb.so'), { fatbins: providerFatbins(ARCH_LISTS.cuda12), fatbinPadding: 16 });
    const s = withElf(p, readFatbins)!;
    expect(s.fatbins).toBe(4);
    expect(s.images.map((i) => `${imageName(i)}x${i.count}`)).toEqual([
      'sm_60x3',
      'sm_70x3',
      'sm_75x3',
      'sm_80x3',
      'sm_86x3',
      'sm_89x3',
      'sm_90ax4',
      'sm_120ax3',
    ]);
    expect(baseImages(s).map(imageName).join(';')).toBe('sm_60;sm_70;sm_75;sm_80;sm_86;sm_89;sm_90a;sm_120a');
    // A few one-architecture fat binaries (Hopper-only kernels) do not add to the provider's list.
    const c121 = withElf(writeElf(join(root, 'fb121.so'), { fatbins: providerFatbins(ARCH_LISTS.c121) }), readFatbins)!;
    expect(c121.images.map(imageName).join(';')).toBe('sm_75;sm_80;sm_90;sm_90a');
    expect(baseImages(c121).map(imageName).join(';')).toBe('sm_75;sm_80;sm_90');
  });

  test('no .nv_fatbin section: undefined; an entry running past its fat binary: an error', () => {
    expect(withElf(writeElf(join(root, 'plain.so'), { needed: ['libc.so.6'] }), readFatbins)).toBeUndefined();
    const bad = buildElf({ fatbins: [ARCH_LISTS.c121] });
    const at = bad.indexOf(Buffer.from([0x50, 0xed, 0x55, 0xba]));
    bad.writeBigUInt64LE(1n << 20n, at + 16 + 8); // first entry's payload size: 1 MiB
    writeFileSync(join(root, 'bad.so'), bad);
    expect(() => withElf(join(root, 'bad.so'), readFatbins)).toThrow(
      /fat binary entry at 0x[0-9a-f]+ overruns its fat binary/,
    );
  });

  test('which image a GPU runs: same major and minor <= its own; "a" cubins exact; PTX at or below', () => {
    const list = ARCH_LISTS.cuda13.map((i) => ({ ...i, archSpecific: !!i.archSpecific }));
    const pick = (cc: string) => {
      const i = imageFor(list, cc);
      return i ? imageName(i) : undefined;
    };
    expect([pick('7.0'), pick('7.5'), pick('8.0'), pick('8.6'), pick('8.7'), pick('8.9'), pick('9.0')]).toEqual([
      undefined,
      'sm_75',
      'sm_80',
      'sm_86',
      'sm_86',
      'sm_89',
      'sm_90a',
    ]);
    expect([pick('10.0'), pick('12.0'), pick('12.1')]).toEqual([undefined, 'sm_120a', undefined]);
    expect(imageName(imageFor([{ kind: 'ptx', sm: 70, archSpecific: false }], '9.0')!)).toBe('compute_70');
  });
});

describe('ld.so.cache and the search order', () => {
  test("this machine's /etc/ld.so.cache lists what `ldconfig -p` lists for x86-64", () => {
    const cache = parseLdCache(readFileSync('/etc/ld.so.cache'));
    const listed = execFileSync('ldconfig', ['-p'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => /^\s*(\S+) \(([^)]*)\) => (\S+)$/.exec(l))
      .filter((m): m is RegExpExecArray => !!m && m[2].includes('x86-64'));
    expect(listed.length).toBeGreaterThan(50);
    for (const m of listed) expect(cache.has(m[1])).toBe(true);
    expect(cache.get('libc.so.6')).toBe(listed.find((m) => m[1] === 'libc.so.6')![3]);
  });

  test('a hand-built cache: x86-64 entries only, strings relative to the new header, old-format prefix skipped', () => {
    const entries = [
      { flags: 0x0303, name: 'libcudart.so.12', path: '/usr/local/cuda-12.8/lib64/libcudart.so.12' },
      { flags: 0x0003, name: 'libi386.so.1', path: '/usr/lib/i386-linux-gnu/libi386.so.1' },
      { flags: 0x0a03, name: 'libarm.so.1', path: '/usr/lib/aarch64-linux-gnu/libarm.so.1' },
    ];
    const build = (oldPrefix: boolean) => {
      const head = Buffer.alloc(48);
      head.write('glibc-ld.so.cache1.1', 0, 'latin1');
      head.writeUInt32LE(entries.length, 20);
      const table = Buffer.alloc(entries.length * 24);
      let strings = '';
      const base = 48 + table.length;
      entries.forEach((e, i) => {
        table.writeInt32LE(e.flags, i * 24);
        table.writeUInt32LE(base + strings.length, i * 24 + 4);
        strings += e.name + '\0';
        table.writeUInt32LE(base + strings.length, i * 24 + 8);
        strings += e.path + '\0';
      });
      const news = Buffer.concat([head, table, Buffer.from(strings)]);
      if (!oldPrefix) return news;
      const old = Buffer.alloc(16 + 12); // "ld.so-1.7.0", one 12-byte entry, then 8-byte alignment
      old.write('ld.so-1.7.0', 0, 'latin1');
      old.writeUInt32LE(1, 12);
      return Buffer.concat([old, Buffer.alloc(4), news]);
    };
    for (const prefix of [false, true]) {
      const c = parseLdCache(build(prefix), 'x64');
      expect([...c]).toEqual([['libcudart.so.12', '/usr/local/cuda-12.8/lib64/libcudart.so.12']]);
    }
    expect(() => parseLdCache(Buffer.from('not a cache at all, no header here'))).toThrow(LdCacheError);
  });

  test('order: RPATH ignored beside RUNPATH; LD_LIBRARY_PATH, then RUNPATH ($ORIGIN), then the cache, then system dirs', () => {
    const dirs = ['rpath', 'ldpath', 'origin', 'cached', 'system'].map((d) => join(root, 'order', d));
    for (const d of dirs) writeElf(join(d, 'libx.so.1'), {});
    const [rpath, ldpath, origin, cached, system] = dirs;
    const obj = { path: join(origin, 'libprovider.so'), rpath: [rpath], runpath: ['$ORIGIN'] };
    const env = (o: Partial<LoaderEnv>): LoaderEnv => ({ cache: new Map(), systemDirs: [system], ...o });
    const cache = new Map([['libx.so.1', join(cached, 'libx.so.1')]]);
    expect(resolveNeeded('libx.so.1', obj, env({ ldLibraryPath: ldpath, cache }))).toMatchObject({
      path: join(ldpath, 'libx.so.1'),
      via: 'LD_LIBRARY_PATH',
    });
    expect(resolveNeeded('libx.so.1', obj, env({ cache }))).toMatchObject({
      path: join(origin, 'libx.so.1'),
      via: 'DT_RUNPATH',
    });
    // Without RUNPATH the RPATH comes first, even before LD_LIBRARY_PATH.
    expect(resolveNeeded('libx.so.1', { ...obj, runpath: undefined }, env({ ldLibraryPath: ldpath }))).toMatchObject({
      via: 'DT_RPATH',
    });
    const noOrigin = { path: join(root, 'order', 'elsewhere', 'p.so') };
    expect(resolveNeeded('libx.so.1', noOrigin, env({ cache }))).toMatchObject({ via: 'ld.so.cache' });
    expect(resolveNeeded('libx.so.1', noOrigin, env({}))).toMatchObject({ via: 'system dirs' });
    // /usr/local/cuda/lib64 is searched by nothing of the above.
    const missing = resolveNeeded('libx.so.1', noOrigin, env({ systemDirs: [] }));
    expect(missing.path).toBeUndefined();
    expect(missing.searched).toEqual(['/etc/ld.so.cache']);
  });
});
