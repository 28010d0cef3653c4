// dist/ is what the runner executes: it must be committed and match a fresh build of the sources.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const repo = new URL('../..', import.meta.url).pathname;

test('dist/ is committed and up to date (fix: npm run build && git add dist action.yml)', () => {
  const out = mkdtempSync(join(tmpdir(), 'textclf-dist-'));
  try {
    execFileSync(process.execPath, [join(repo, 'scripts', 'build.mjs'), '--outdir', out], { stdio: 'inherit' });
    const built = readdirSync(out)
      .filter((f) => f !== 'action.yml')
      .sort();
    expect(built).toEqual(['cli.js', 'index.js', 'main.js']);
    const tracked = execFileSync('git', ['ls-files', 'dist'], { cwd: repo, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .sort();
    expect(tracked).toEqual(built.map((f) => `dist/${f}`));
    for (const f of built) {
      const fresh = readFileSync(join(out, f), 'utf8');
      const committed = readFileSync(join(repo, 'dist', f), 'utf8');
      // Compare lengths first: a diff of multi-megabyte bundles is unreadable.
      expect([f, committed.length]).toEqual([f, fresh.length]);
      expect(committed === fresh).toBe(true);
    }
    expect(readFileSync(join(repo, 'action.yml'), 'utf8')).toBe(readFileSync(join(out, 'action.yml'), 'utf8'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
