// What WebGPU needs below Dawn, checked the way the Vulkan loader looks for things: fixture
// directories of driver manifests (ICD JSON) and ELF libraries, the loader's environment variables,
// and ld.so's search (LD_LIBRARY_PATH, the cache) over them. No test depends on this machine's
// Vulkan setup.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  describeVulkan,
  gpuDeviceNodes,
  icdSearch,
  inspectVulkan,
  vulkanProblems,
  type VulkanEnvironment,
} from '../../src/runtime/vulkan.js';
import { writeElf } from './elf-fixture.js';

let root: string;
let n = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vulkan-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const NVIDIA_LIBS = ['libGLX_nvidia.so.0', 'libnvidia-glcore.so.580.65.06'];

/** A machine: a library directory ld.so searches, driver manifests under its own /usr/share. */
function machine(o: {
  vulkanLoader?: boolean;
  nvidiaIcd?: boolean;
  nvidiaLibs?: boolean;
  mesa?: boolean;
  env?: NodeJS.ProcessEnv;
  nvidiaGpu?: boolean;
  container?: boolean;
  deviceNodes?: string[];
}): VulkanEnvironment & { dir: string; share: string; lib: string } {
  const m = join(root, `m${n++}`);
  const lib = join(m, 'lib');
  const share = join(m, 'usr/share');
  const icd = join(share, 'vulkan/icd.d');
  mkdirSync(icd, { recursive: true });
  if (o.vulkanLoader !== false) writeElf(join(lib, 'libvulkan.so.1'), { needed: ['libc.so.6'] });
  if (o.nvidiaIcd)
    writeFileSync(
      join(icd, 'nvidia_icd.json'),
      JSON.stringify({
        file_format_version: '1.0.1',
        ICD: { library_path: 'libGLX_nvidia.so.0', api_version: '1.4.312' },
      }),
    );
  if (o.nvidiaLibs) {
    writeElf(join(lib, NVIDIA_LIBS[0]), { needed: [NVIDIA_LIBS[1], 'libc.so.6'] });
    writeElf(join(lib, NVIDIA_LIBS[1]), {});
  }
  if (o.mesa) {
    writeFileSync(
      join(icd, 'lvp_icd.json'),
      JSON.stringify({
        ICD: { api_version: '1.4.305', library_path: 'libvulkan_lvp.so' },
        file_format_version: '1.0.0',
      }),
    );
    writeElf(join(lib, 'libvulkan_lvp.so'), { needed: ['libLLVM-15.so.1'] });
    writeElf(join(lib, 'libLLVM-15.so.1'), {});
  }
  return {
    env: { XDG_DATA_DIRS: share, XDG_CONFIG_DIRS: join(m, 'etc/xdg'), ...o.env },
    home: join(m, 'home'),
    loader: { ldLibraryPath: lib, cache: new Map(), systemDirs: [join(m, 'no-system-dir')] },
    nvidiaGpu: o.nvidiaGpu ?? false,
    container: o.container ?? false,
    machine: 62,
    deviceNodes: o.deviceNodes ?? (o.nvidiaGpu ? ['/dev/nvidia0'] : []),
    dir: m,
    share,
    lib,
  };
}

const codes = (e: VulkanEnvironment) => vulkanProblems(inspectVulkan(e)).map((p) => p.code);

describe('Vulkan below WebGPU, as the loader finds it', () => {
  test('GPU device nodes: DRM render nodes and NVIDIA devices, not their control nodes', () => {
    const dev = join(root, `dev${n++}`);
    mkdirSync(join(dev, 'dri'), { recursive: true });
    for (const f of ['dri/card0', 'dri/renderD128', 'nvidiactl', 'nvidia-uvm', 'nvidia0', 'nvidia1', 'null'])
      writeFileSync(join(dev, f), '');
    expect(gpuDeviceNodes(dev)).toEqual([join(dev, 'dri/renderD128'), join(dev, 'nvidia0'), join(dev, 'nvidia1')]);
    expect(gpuDeviceNodes(join(root, 'no-dev'))).toEqual([]);
  });

  test('the search order: VK_ADD_DRIVER_FILES, XDG config home and dirs, /etc, XDG data home and dirs; an override replaces them', () => {
    expect(icdSearch({}, '/home/u')).toEqual({
      from: 'default',
      paths: [
        '/home/u/.config/vulkan/icd.d',
        '/etc/xdg/vulkan/icd.d',
        '/etc/vulkan/icd.d',
        '/home/u/.local/share/vulkan/icd.d',
        '/usr/local/share/vulkan/icd.d',
        '/usr/share/vulkan/icd.d',
      ],
    });
    expect(
      icdSearch({ XDG_DATA_DIRS: '/opt/a:/opt/b', XDG_CONFIG_HOME: '/cfg', VK_ADD_DRIVER_FILES: '/x.json' }, '/h')
        .paths,
    ).toEqual([
      '/x.json',
      '/cfg/vulkan/icd.d',
      '/etc/xdg/vulkan/icd.d',
      '/etc/vulkan/icd.d',
      '/h/.local/share/vulkan/icd.d',
      '/opt/a/vulkan/icd.d',
      '/opt/b/vulkan/icd.d',
    ]);
    // VK_DRIVER_FILES replaced VK_ICD_FILENAMES and wins over it.
    expect(icdSearch({ VK_ICD_FILENAMES: '/old.json', VK_DRIVER_FILES: '/new.json:/dir' }, '/h')).toEqual({
      from: 'VK_DRIVER_FILES',
      paths: ['/new.json', '/dir'],
    });
    expect(icdSearch({ VK_ICD_FILENAMES: '/old.json' }, '/h').from).toBe('VK_ICD_FILENAMES');
  });

  test("NVIDIA's full driver: nvidia_icd.json -> libGLX_nvidia.so.0 loads, with what it needs; nothing to fix", () => {
    const e = machine({ nvidiaIcd: true, nvidiaLibs: true, nvidiaGpu: true });
    const r = inspectVulkan(e);
    expect(r.loader).toMatchObject({ path: join(e.lib, 'libvulkan.so.1'), via: 'LD_LIBRARY_PATH' });
    expect(r.drivers).toEqual([
      expect.objectContaining({
        manifest: join(e.share, 'vulkan/icd.d/nvidia_icd.json'),
        library: 'libGLX_nvidia.so.0',
        apiVersion: '1.4.312',
        path: join(e.lib, 'libGLX_nvidia.so.0'),
        kind: 'nvidia',
        missing: [],
        loads: true,
      }),
    ]);
    expect(r.softwareOnly).toBe(false);
    expect(vulkanProblems(r)).toEqual([]);
    expect(describeVulkan(r)[2]).toBe('devices  /dev/nvidia0');
    expect(describeVulkan(r)[3]).toBe(
      `  icd    ${join(e.share, 'vulkan/icd.d/nvidia_icd.json')} -> libGLX_nvidia.so.0: ${join(e.lib, 'libGLX_nvidia.so.0')} (LD_LIBRARY_PATH)`,
    );
  });

  test("the compute-only NVIDIA install (Mesa's lavapipe only): no NVIDIA Vulkan driver, the packages to install", () => {
    const e = machine({ mesa: true, nvidiaGpu: true });
    const r = inspectVulkan(e);
    expect(r.softwareOnly).toBe(true);
    const [p] = vulkanProblems(r);
    expect(p).toEqual({
      code: 'nvidia-vulkan-missing',
      device: 'webgpu',
      message: `this machine has an NVIDIA GPU but no NVIDIA Vulkan driver: no driver manifest in ${join(e.home, '.config/vulkan/icd.d')}, ${join(e.dir, 'etc/xdg/vulkan/icd.d')}, /etc/vulkan/icd.d, ${join(e.home, '.local/share/vulkan/icd.d')}, ${join(e.share, 'vulkan/icd.d')} names libGLX_nvidia.so.0`,
      fix: "install NVIDIA's full driver with its Vulkan driver (nvidia_icd.json -> libGLX_nvidia.so.0): libnvidia-gl-<driver branch> on Ubuntu, nvidia-vulkan-icd on Debian, or the .run installer without --no-opengl-files (the compute-only install has no Vulkan driver)",
    });
  });

  test('a container without the graphics capability: NVIDIA_DRIVER_CAPABILITIES named, with the flag; `all` mounts the driver', () => {
    const unset = machine({ mesa: true, nvidiaGpu: true, container: true });
    expect(vulkanProblems(inspectVulkan(unset))[0]).toMatchObject({
      code: 'nvidia-graphics-capability',
      message:
        'this container\'s NVIDIA_DRIVER_CAPABILITIES is unset (the NVIDIA container runtime then mounts utility,compute): without "graphics" the runtime mounts no NVIDIA Vulkan driver (nvidia_icd.json, libGLX_nvidia.so.0)',
      fix: 'start the container with NVIDIA_DRIVER_CAPABILITIES=compute,utility,graphics (or all), e.g. `docker run --gpus all -e NVIDIA_DRIVER_CAPABILITIES=all ...`',
    });
    const compute = machine({
      nvidiaGpu: true,
      container: true,
      env: { NVIDIA_DRIVER_CAPABILITIES: 'compute,utility' },
    });
    expect(vulkanProblems(inspectVulkan(compute))[0].message).toMatch(
      /^this container's NVIDIA_DRIVER_CAPABILITIES is "compute,utility": without "graphics"/,
    );
    // With graphics (or all) but no NVIDIA Vulkan driver on the host, the flag is not the fix: the driver is.
    for (const caps of ['all', 'utility,graphics']) {
      const hostWithout = machine({
        mesa: true,
        nvidiaGpu: true,
        container: true,
        env: { NVIDIA_DRIVER_CAPABILITIES: caps },
      });
      expect(codes(hostWithout)).toEqual(['nvidia-vulkan-missing']);
    }
    // With graphics (or all) the runtime mounts the manifest and the library: nothing to fix.
    for (const caps of ['all', 'compute,utility,graphics']) {
      const ok = machine({
        nvidiaIcd: true,
        nvidiaLibs: true,
        nvidiaGpu: true,
        container: true,
        env: { NVIDIA_DRIVER_CAPABILITIES: caps },
      });
      expect(codes(ok)).toEqual([]);
      expect(describeVulkan(inspectVulkan(ok)).at(-1)).toBe(`NVIDIA_DRIVER_CAPABILITIES ${caps}`);
    }
  });

  test("nvidia_icd.json without its library, or without the library's own needs: which file, what is missing", () => {
    const noLib = machine({ nvidiaIcd: true, nvidiaGpu: true, mesa: true });
    const [p] = vulkanProblems(inspectVulkan(noLib));
    expect(p.code).toBe('vulkan-driver-broken');
    expect(p.message).toBe(
      `NVIDIA's Vulkan driver cannot load: ${join(noLib.share, 'vulkan/icd.d/nvidia_icd.json')} names libGLX_nvidia.so.0, which the dynamic loader cannot find (searched ${noLib.lib}, /etc/ld.so.cache, ${join(noLib.lib, '../no-system-dir')})`,
    );
    expect(p.fix).toMatch(/^reinstall NVIDIA's full driver with its Vulkan driver/);
    const noCore = machine({ nvidiaIcd: true, nvidiaLibs: true, nvidiaGpu: true });
    rmSync(join(noCore.lib, NVIDIA_LIBS[1]));
    expect(vulkanProblems(inspectVulkan(noCore))[0].message).toBe(
      `NVIDIA's Vulkan driver cannot load: ${join(noCore.share, 'vulkan/icd.d/nvidia_icd.json')} names ${join(noCore.lib, 'libGLX_nvidia.so.0')}, which needs libnvidia-glcore.so.580.65.06 that the dynamic loader cannot find`,
    );
  });

  test('no libvulkan.so.1: the package; no driver at all: what to install, GPU or software', () => {
    const e = machine({ vulkanLoader: false, mesa: true });
    const [p] = vulkanProblems(inspectVulkan(e));
    expect(p).toMatchObject({
      code: 'vulkan-missing',
      fix: 'install libvulkan1 (Debian/Ubuntu; vulkan-loader on Fedora/RHEL)',
    });
    expect(p.message).toMatch(
      /^the Vulkan loader libvulkan\.so\.1, which WebGPU \(Dawn\) opens, is not where the dynamic loader looks \(searched /,
    );
    const bare = machine({});
    expect(vulkanProblems(inspectVulkan(bare))).toEqual([
      expect.objectContaining({
        code: 'vulkan-no-driver',
        message: expect.stringMatching(/^no Vulkan driver manifest \(ICD JSON\) in .*vulkan\/icd\.d$/),
        fix: "a GPU's Vulkan driver (NVIDIA: the full driver with nvidia_icd.json), or mesa-vulkan-drivers for Mesa's software adapter lavapipe (tests only: about 100x slower than the CPU)",
      }),
    ]);
  });

  test("no GPU device node: Mesa's hardware drivers load, yet only the software one can give an adapter", () => {
    const e = machine({ mesa: true });
    writeFileSync(
      join(e.share, 'vulkan/icd.d/intel_icd.json'),
      JSON.stringify({ ICD: { library_path: 'libvulkan_intel.so' } }),
    );
    writeElf(join(e.lib, 'libvulkan_intel.so'), {});
    const none = inspectVulkan(e);
    expect(none.drivers.map((d) => [d.kind, d.loads])).toEqual([
      ['gpu', true],
      ['software', true],
    ]);
    expect(none.softwareOnly).toBe(true);
    expect(describeVulkan(none)[2]).toBe(
      'devices  no GPU device node (/dev/dri/renderD*, /dev/nvidia*): only a software driver can give an adapter',
    );
    expect(inspectVulkan({ ...e, deviceNodes: ['/dev/dri/renderD128'] }).softwareOnly).toBe(false);
  });

  test('VK_ICD_FILENAMES at a missing file replaces the default search; VK_DRIVER_FILES takes a directory; relative and 32-bit drivers', () => {
    const e = machine({ mesa: true, env: { VK_ICD_FILENAMES: '/nonexistent/icd.json' } });
    const r = inspectVulkan(e);
    expect(r.drivers).toEqual([
      expect.objectContaining({ manifest: '/nonexistent/icd.json', error: 'the file does not exist', loads: false }),
    ]);
    expect(vulkanProblems(r)[0].message).toBe(
      'no Vulkan driver loads: /nonexistent/icd.json (the file does not exist)',
    );

    // A directory of manifests: one names its library relative to itself, one a 32-bit build.
    const dir = join(root, `drivers${n++}`);
    mkdirSync(join(dir, 'lib'), { recursive: true });
    writeElf(join(dir, 'lib/libvulkan_custom.so'), {});
    writeFileSync(join(dir, 'custom.json'), JSON.stringify({ ICD: { library_path: './lib/libvulkan_custom.so' } }));
    const elf32 = Buffer.alloc(64);
    elf32.write('\x7fELF\x01\x01\x01', 'latin1');
    writeFileSync(join(dir, 'lib/libvulkan_32.so'), elf32);
    writeFileSync(join(dir, 'i686.json'), JSON.stringify({ ICD: { library_path: join(dir, 'lib/libvulkan_32.so') } }));
    const d = inspectVulkan({ ...e, env: { ...e.env, VK_DRIVER_FILES: dir } });
    expect(d.search).toEqual({ from: 'VK_DRIVER_FILES', paths: [dir] });
    expect(d.drivers.map((x) => [x.library, x.path, x.loads, x.skipped])).toEqual([
      ['./lib/libvulkan_custom.so', join(dir, 'lib/libvulkan_custom.so'), true, undefined],
      [
        join(dir, 'lib/libvulkan_32.so'),
        join(dir, 'lib/libvulkan_32.so'),
        false,
        'a 32-bit driver (for 32-bit programs): the loader ignores it',
      ],
    ]);
    expect(vulkanProblems(d)).toEqual([]);
  });
});
