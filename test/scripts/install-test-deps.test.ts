// scripts/install-test-deps.mjs (npm test's pretest and .ci/run) planned on copied machine state:
// --dry-run --root DIR reads DIR's os-release, apt sources (deb822 and one-line) and dpkg status,
// prints the sources file and the apt-get commands it would run, and changes nothing. The
// bookworm-backports source takes its archive URI from the machine's own bookworm source.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const SCRIPT = join(process.cwd(), 'scripts', 'install-test-deps.mjs');
const BOOKWORM = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n';
const NOBLE = 'PRETTY_NAME="Ubuntu 24.04 LTS"\nVERSION_CODENAME=noble\nID=ubuntu\nID_LIKE=debian\n';
// A deb822 file as Debian's images ship it (comment lines inside a stanza, two stanzas).
const DEB822 = `Types: deb
# a snapshot mirror would go here
URIs: http://archive.invalid/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://security.invalid/debian-security
Suites: bookworm-security
Components: main
`;
const pkg = (name: string, version: string, status = 'install ok installed') =>
  `Package: ${name}\nStatus: ${status}\nVersion: ${version}\n`;
const ALL = [
  pkg('python3-torch', '1.13.1+dfsg-4'),
  pkg('python3-numpy', '1:1.24.2-1+deb12u1'),
  pkg('libopenblas0-pthread', '0.3.21+ds-4'),
  pkg('chromium', '156.0.8078.129-1~deb12u1'),
];

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'textclf-apt-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function machine(files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
}

function dryRun(...flags: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [SCRIPT, '--dry-run', '--root', root, ...flags], {
    encoding: 'utf8',
    env: { ...process.env, TEXTCLF_NO_TEST_DEPS: '' },
  });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("bookworm with bookworm's Mesa 22.3: the backports suite from the machine's deb822 source, then the installs", () => {
  machine({
    'etc/os-release': BOOKWORM,
    'etc/apt/sources.list.d/debian.sources': DEB822,
    'var/lib/dpkg/status': [
      pkg('mesa-vulkan-drivers', '22.3.6-1+deb12u1'),
      pkg('python3-torch', '1.13', 'deinstall ok config-files'),
    ].join('\n'),
  });
  const r = dryRun('--ci');
  expect(r.code).toBe(0);
  expect(r.out).toContain(
    `would write ${join(root, 'etc/apt/sources.list.d/textclf-test-backports.sources')}:\n` +
      "# Added by textclf-action's scripts/install-test-deps.mjs for Mesa's lavapipe (WebGPU tests);\n" +
      `# the archive is the one of ${join(root, 'etc/apt/sources.list.d/debian.sources')}.\n` +
      'Types: deb\nURIs: http://archive.invalid/debian\nSuites: bookworm-backports\nComponents: main\n' +
      'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n',
  );
  expect(r.out).toContain(
    'would run: apt-get update -qq\n' +
      'would run: apt-get install -y -qq --no-install-recommends python3-torch python3-numpy libopenblas0-pthread chromium\n' +
      'would run: apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers\n',
  );
  // A dry run changes nothing.
  expect(readdirSync(join(root, 'etc/apt/sources.list.d'))).toEqual(['debian.sources']);
});

test('a one-line sources.list: URI and signed-by come from its bookworm line', () => {
  machine({
    'etc/os-release': BOOKWORM,
    'etc/apt/sources.list':
      '# deb http://old.invalid/debian bookworm main\n' +
      'deb [arch=amd64 signed-by=/etc/apt/keyrings/archive.gpg] http://archive.invalid/debian bookworm main contrib\n' +
      'deb http://security.invalid/debian-security bookworm-security main\n',
    'var/lib/dpkg/status': ALL.join('\n'),
  });
  const r = dryRun();
  expect(r.out).toContain('URIs: http://archive.invalid/debian\nSuites: bookworm-backports\n');
  expect(r.out).toContain('Signed-By: /etc/apt/keyrings/archive.gpg\n');
  expect(r.out).toContain(
    'would run: apt-get install -y -qq --no-install-recommends -t bookworm-backports mesa-vulkan-drivers\n',
  );
  expect(r.out).not.toContain('--no-install-recommends python3-torch');
});

test('bookworm-backports already configured: no sources file, Mesa from backports; nothing at all once Mesa 25 is in', () => {
  machine({
    'etc/os-release': BOOKWORM,
    'etc/apt/sources.list.d/debian.sources': DEB822,
    'etc/apt/sources.list.d/bp.sources':
      'Types: deb\nURIs: http://archive.invalid/debian\nSuites: bookworm-backports\nComponents: main\n',
    'var/lib/dpkg/status': ALL.join('\n'),
  });
  const r = dryRun();
  expect(r.out).not.toContain('would write');
  expect(r.out).toContain('-t bookworm-backports mesa-vulkan-drivers');
  machine({ 'var/lib/dpkg/status': [...ALL, pkg('mesa-vulkan-drivers', '25.0.7-2~bpo12+1')].join('\n') });
  expect(dryRun('--ci')).toEqual({ code: 0, out: '' });
});

test("Ubuntu: Mesa from the release's own archive, no backports, no chromium (Ubuntu's is a snap)", () => {
  machine({ 'etc/os-release': NOBLE, 'var/lib/dpkg/status': '' });
  const r = dryRun();
  expect(r.out).not.toContain('would write');
  expect(r.out).toContain(
    'would run: apt-get install -y -qq --no-install-recommends python3-torch python3-numpy libopenblas0-pthread mesa-vulkan-drivers\n',
  );
  expect(r.out).not.toContain('backports');
});

test('no bookworm source to take the URI from: a warning, and under --ci a failure', () => {
  machine({ 'etc/os-release': BOOKWORM, 'var/lib/dpkg/status': ALL.join('\n') });
  const msg =
    'test dependencies: mesa-vulkan-drivers (lavapipe) >= 25: no apt source for bookworm in /etc/apt/sources.list or /etc/apt/sources.list.d/ to take the archive URI from; add bookworm-backports yourself';
  expect(dryRun()).toEqual({ code: 0, out: `warning: ${msg}\n` });
  expect(dryRun('--ci')).toEqual({ code: 1, out: `error: ${msg}\n` });
});

test('not Debian or Ubuntu: nothing to do (the tests say what is missing); --ci fails', () => {
  machine({ 'etc/os-release': 'PRETTY_NAME="Fedora Linux 41"\nID=fedora\n' });
  expect(dryRun()).toEqual({ code: 0, out: '' });
  const ci = dryRun('--ci');
  expect(ci.code).toBe(1);
  expect(ci.out).toBe(
    "error: test dependencies: this is not Debian or Ubuntu (Fedora Linux 41): install python3-torch, Mesa's lavapipe and chromium yourself\n",
  );
});
