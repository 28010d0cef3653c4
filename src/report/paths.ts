// What a person reads of a local path. metrics.json keeps absolute paths for machines; the report,
// the job summary and the PR comment show the run's files relative to its output dir, other files
// relative to the working directory, and anything else by its last names (`…/checkpoints/final`):
// the runner's directory layout is noise to a reader and a small leak in a public PR comment.
import { posix, relative, win32 } from 'node:path';

export interface PathContext {
  /** The run's output directory (absolute), when known. */
  outputDir?: string;
  /** The working directory the run's relative paths were given from. */
  cwd?: string;
}

/** An absolute path on this or another OS (a report may be rendered from another machine's metrics). */
export function isAbsolutePath(p: string): boolean {
  return posix.isAbsolute(p) || win32.isAbsolute(p);
}

/** `p` inside `dir` as a relative path with `/`, or undefined when it is not strictly inside. */
function inside(dir: string | undefined, p: string): string | undefined {
  if (!dir) return undefined;
  const rel = relative(dir, p);
  if (!rel || rel === '..' || rel.startsWith(`..${'/'}`) || rel.startsWith('..\\') || isAbsolutePath(rel))
    return undefined;
  return rel.split(/[\\/]/).join('/');
}

/** A path as a person reads it: relative paths as given; absolute ones as described above. */
export function displayPath(p: string, ctx: PathContext = {}): string {
  if (!isAbsolutePath(p)) return p;
  const rel = inside(ctx.outputDir, p) ?? inside(ctx.cwd, p);
  if (rel) return rel;
  // the last two names, but never a top-level directory such as /tmp or /home
  const names = p.split(/[\\/]+/).filter((s) => s && !/^[A-Za-z]:$/.test(s));
  return names.length ? `…/${names.slice(names.length > 2 ? -2 : -1).join('/')}` : '…';
}

/** The model as people know it: a hub id (or relative path) as given, a local directory by its name. */
export function displayModel(model: string): string {
  if (!isAbsolutePath(model)) return model;
  const names = model.split(/[\\/]+/).filter(Boolean);
  return names[names.length - 1] ?? model;
}

/**
 * Absolute local paths in text (at the start, or after a space, bracket, quote or `=,:;`), with two
 * names at least so a `/train` command is not one: POSIX `/a/b`, Windows `C:\a` or `C:/a`. URLs do
 * not match (their path follows the host, not one of those characters).
 */
export const ABSOLUTE_PATH = /(?<=^|[\s([{"'=,:;])(?:\/[^\s/]+(?:\/[^\s/]*)+|[A-Za-z]:[\\/][^\s]*)/g;

/** Free text (a device reason, a notice, an error) with every absolute path shown as displayPath does. */
export function hideLocalPaths(text: string, ctx: PathContext = {}): string {
  return text.replace(ABSOLUTE_PATH, (match) => {
    // a path ending a sentence or a parenthesis keeps that punctuation outside it
    const [, path, tail] = /^(.*?)([.,;:!?)\]'"]*)$/s.exec(match)!;
    return displayPath(path, ctx) + tail;
  });
}
