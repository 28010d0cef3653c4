#!/usr/bin/env node
// Installs what the test suites need from the operating system, where this machine allows it
// (Debian or Ubuntu, as root), from the machine's own apt sources:
//   - python3-torch, python3-numpy, libopenblas0-pthread: the PyTorch reference (test/reference);
//   - mesa-vulkan-drivers (Mesa's lavapipe, a software Vulkan driver) for the WebGPU tests. Dawn
//     refuses bookworm's own 22.3, so on bookworm it comes from bookworm-backports, whose suite is
//     added with the archive URI of the machine's existing bookworm source (no host named here);
//   - chromium (Debian's; Ubuntu's is a snap) for the report's browser tests.
// Run by `npm test`'s pretest (best effort: what it cannot do, it says, and the tests say the rest)
// and by .ci/run with --ci (any failure exits 1). Plain Node, no dependencies: .ci/run runs it
// before `npm ci`. Set TEXTCLF_NO_TEST_DEPS=1 to skip it.
//
//   node scripts/install-test-deps.mjs [--ci] [--dry-run [--root DIR]]
//
// --dry-run prints the plan (the sources file it would write, the apt-get commands) and changes
// nothing; --root DIR reads etc/os-release, etc/apt and var/lib/dpkg/status under DIR instead of /.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const TORCH = ['python3-torch', 'python3-numpy', 'libopenblas0-pthread'];
const LAVAPIPE = 'mesa-vulkan-drivers';
/** Dawn takes bookworm-backports' Mesa 25; bookworm's 22.3 lacks shaderUniform*ArrayDynamicIndexing. */
const LAVAPIPE_MIN_MAJOR = 25;
const SOURCES_FILE = 'etc/apt/sources.list.d/textclf-test-backports.sources';

/** RFC 822-style paragraphs (deb822 sources, dpkg's status file): field maps, keys lower-cased. */
function paragraphs(text) {
  const out = [];
  let cur, last;
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    if (!line.trim()) {
      if (cur) out.push(cur);
      cur = last = undefined;
      continue;
    }
    if (/^\s/.test(line) && cur && last) {
      cur[last] += '\n' + line.trim();
      continue;
    }
    const m = /^([^:\s]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    cur ??= {};
    last = m[1].toLowerCase();
    cur[last] = m[2].trim();
  }
  if (cur) out.push(cur);
  return out;
}

/** apt's sources under `root`: one entry per source, both formats, disabled ones left out. */
function aptSources(root) {
  const dir = join(root, 'etc/apt/sources.list.d');
  const files = [join(root, 'etc/apt/sources.list')];
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) files.push(join(dir, f));
  const out = [];
  for (const file of files) {
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    if (file.endsWith('.sources')) {
      for (const p of paragraphs(text)) {
        if (p.enabled === 'no' || !(p.types ?? '').split(/\s+/).includes('deb')) continue;
        const signedBy = p['signed-by'] && !p['signed-by'].includes('\n') ? p['signed-by'] : undefined;
        out.push({
          file,
          uris: (p.uris ?? '').split(/\s+/).filter(Boolean),
          suites: (p.suites ?? '').split(/\s+/),
          signedBy,
        });
      }
    } else if (file.endsWith('.list') || file.endsWith('sources.list')) {
      for (const raw of text.split('\n')) {
        // deb [opt=value ...] URI suite [component ...]
        const m = /^\s*deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)/.exec(raw.replace(/#.*/, ''));
        if (!m) continue;
        const signed = /(?:^|\s)signed-by=(\S+)/.exec(m[1] ?? '');
        out.push({ file, uris: [m[2]], suites: [m[3]], signedBy: signed?.[1] });
      }
    }
  }
  return out;
}

/** The sources file that adds `<codename>-backports`, from the machine's own `<codename>` source. */
function backportsSource(codename, sources) {
  const suite = `${codename}-backports`;
  if (sources.some((s) => s.suites.includes(suite))) return { present: true };
  const base = sources.find((s) => s.suites.includes(codename) && s.uris.length);
  if (!base)
    return {
      error: `no apt source for ${codename} in /etc/apt/sources.list or /etc/apt/sources.list.d/ to take the archive URI from; add ${suite} yourself`,
    };
  const text = [
    `# Added by textclf-action's scripts/install-test-deps.mjs for Mesa's lavapipe (WebGPU tests);`,
    `# the archive is the one of ${base.file}.`,
    'Types: deb',
    `URIs: ${base.uris[0]}`,
    `Suites: ${suite}`,
    'Components: main',
    ...(base.signedBy ? [`Signed-By: ${base.signedBy}`] : []),
    '',
  ].join('\n');
  return { text };
}

/** Installed packages (name -> version) from dpkg's status file. */
function installedPackages(root) {
  const file = join(root, 'var/lib/dpkg/status');
  const out = new Map();
  if (!existsSync(file)) return out;
  for (const p of paragraphs(readFileSync(file, 'utf8')))
    if (p.package && /\binstalled$/.test(p.status ?? '')) out.set(p.package, p.version ?? '');
  return out;
}

/** Upstream major version of a Debian version string ("25.0.7-2~bpo12+1" -> 25). */
const major = (v) => Number(/^(?:\d+:)?(\d+)/.exec(v ?? '')?.[1] ?? NaN);

/**
 * What to do on this machine: `{ skip }` (not Debian/Ubuntu: nothing apt can do), or the
 * packages to install, the backports source to add, and what cannot be done (`problems`).
 */
function plan(root) {
  // os-release is KEY=value (shell syntax), not deb822.
  const rel = {};
  const osRelease = join(root, 'etc/os-release');
  if (existsSync(osRelease))
    for (const line of readFileSync(osRelease, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=("?)(.*)\2$/.exec(line.trim());
      if (m) rel[m[1]] = m[3];
    }
  const like = `${rel.ID ?? ''} ${rel.ID_LIKE ?? ''}`.split(/\s+/);
  if (!like.includes('debian') && !like.includes('ubuntu'))
    return { skip: `this is not Debian or Ubuntu (${rel.PRETTY_NAME ?? 'no /etc/os-release'})` };
  const installed = installedPackages(root);
  const missing = (p) => !installed.has(p);
  const apt = TORCH.filter(missing);
  if (rel.ID === 'debian' && missing('chromium')) apt.push('chromium');
  const out = { apt, backports: [], problems: [] };
  const mesa = installed.get(LAVAPIPE);
  if (rel.VERSION_CODENAME === 'bookworm') {
    if (!(major(mesa) >= LAVAPIPE_MIN_MAJOR)) {
      const src = backportsSource('bookworm', aptSources(root));
      if (src.error) out.problems.push(`${LAVAPIPE} (lavapipe) >= ${LAVAPIPE_MIN_MAJOR}: ${src.error}`);
      else {
        out.backports.push(LAVAPIPE);
        if (src.text) out.sourcesFile = { path: join(root, SOURCES_FILE), text: src.text };
      }
    }
  } else if (mesa === undefined) apt.push(LAVAPIPE);
  return out;
}

function run(cmd, args, dry) {
  process.stderr.write(`${dry ? 'would run' : 'running'}: ${cmd} ${args.join(' ')}\n`);
  if (dry) return undefined;
  const r = spawnSync(cmd, args, {
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (r.status === 0) return undefined;
  return `${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
}

function main(argv) {
  const ci = argv.includes('--ci');
  const dry = argv.includes('--dry-run');
  const rootAt = argv.indexOf('--root');
  const root = rootAt >= 0 ? argv[rootAt + 1] : '/';
  const unknown = argv.filter((a, i) => !['--ci', '--dry-run', '--root'].includes(a) && i !== rootAt + 1);
  if (unknown.length || (rootAt >= 0 && (!root || !dry))) {
    process.stderr.write('usage: node scripts/install-test-deps.mjs [--ci] [--dry-run [--root DIR]]\n');
    return 2;
  }
  if (process.env.TEXTCLF_NO_TEST_DEPS === '1' && !ci) return 0;
  const p = plan(root);
  const failures = [...(p.problems ?? [])];
  if (p.skip) {
    // Nothing apt can do here; the tests name what is missing (the PyTorch reference fails its
    // tests with the fix, the WebGPU suites are skipped with one line).
    if (ci) failures.push(`${p.skip}: install python3-torch, Mesa's lavapipe and chromium yourself`);
  } else if (p.apt.length || p.backports.length) {
    const root0 = typeof process.getuid !== 'function' || process.getuid() === 0;
    if (!root0 && !dry) {
      const what = [...p.apt, ...p.backports].join(' ');
      process.stderr.write(
        `test dependencies missing: ${what}. As root, \`node scripts/install-test-deps.mjs\` installs them` +
          ' (without them the parity tests fail and the WebGPU suites are skipped)\n',
      );
      if (ci) failures.push(`not root: cannot install ${what}`);
    } else {
      process.stderr.write(
        `${dry ? 'Would install' : 'Installing'} what the tests need: ${[...p.apt, ...p.backports].join(' ')} (one time)\n`,
      );
      if (p.sourcesFile) {
        process.stderr.write(`${dry ? 'would write' : 'writing'} ${p.sourcesFile.path}:\n${p.sourcesFile.text}`);
        if (!dry) writeFileSync(p.sourcesFile.path, p.sourcesFile.text);
      }
      const step = (args) => {
        const e = run('apt-get', args, dry);
        if (e) failures.push(e);
        return !e;
      };
      if (step(['update', '-qq'])) {
        if (p.apt.length) step(['install', '-y', '-qq', '--no-install-recommends', ...p.apt]);
        if (p.backports.length)
          step(['install', '-y', '-qq', '--no-install-recommends', '-t', 'bookworm-backports', ...p.backports]);
      }
    }
  }
  for (const f of failures) process.stderr.write(`${ci ? 'error' : 'warning'}: test dependencies: ${f}\n`);
  return ci && failures.length ? 1 : 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = main(process.argv.slice(2));
