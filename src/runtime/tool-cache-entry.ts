// Entries in a runner's tool cache, in @actions/tool-cache's layout (<root>/<tool>/<version>/<arch>
// plus a `<arch>.complete` marker, which tc.find requires), written atomically: the entry is built
// in a staging folder beside it and renamed into place, then marked complete, so an interrupted or
// failed provisioning never leaves something a later run would take for an entry.
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';

export function entryDir(root: string, tool: string, version: string, arch: string): string {
  return join(root, tool, version, arch);
}

/** The entry's folder when it is complete, else undefined. */
export function findEntry(root: string, tool: string, version: string, arch: string): string | undefined {
  const dir = entryDir(root, tool, version, arch);
  return existsSync(dir) && existsSync(`${dir}.complete`) ? dir : undefined;
}

/** Complete entries of `tool` for `arch`, newest version first. */
export function entryVersions(root: string, tool: string, arch: string): string[] {
  let children: string[];
  try {
    children = readdirSync(join(root, tool));
  } catch {
    return [];
  }
  return children
    .filter((v) => semver.valid(v) && findEntry(root, tool, v, arch))
    .sort((a, b) => semver.rcompare(a, b));
}

/** A fresh staging folder on the same file system as the entry (so the final rename is atomic). */
export function stagingDir(root: string, tool: string): string {
  mkdirSync(join(root, tool), { recursive: true });
  return mkdtempSync(join(root, tool, '.staging-'));
}

/**
 * Makes `stage` the entry <tool>/<version>/<arch>: removes an older (or incomplete) entry, renames
 * the staged folder into place (copies when it lives on another file system), then writes the
 * marker. Returns the entry's folder.
 */
export function commitEntry(root: string, tool: string, version: string, arch: string, stage: string): string {
  const dir = entryDir(root, tool, version, arch);
  rmSync(`${dir}.complete`, { force: true });
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(root, tool, version), { recursive: true });
  try {
    renameSync(stage, dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    cpSync(stage, dir, { recursive: true, verbatimSymlinks: true });
    rmSync(stage, { recursive: true, force: true });
  }
  writeFileSync(`${dir}.complete`, '');
  return dir;
}
