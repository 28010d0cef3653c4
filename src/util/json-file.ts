// Reading a JSON file a user supplied: a read or parse failure becomes the caller's typed error,
// with a message that names the file.
import { readFileSync } from 'node:fs';

/**
 * Parsed contents of `path`. Failures throw `fail(message)`, the message ending in `hint` (e.g.
 * "; replace it with the model's original file").
 */
export function readJsonFile(path: string, fail: (message: string) => Error, hint = ''): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw fail(`${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})${hint}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw fail(`${path}: invalid JSON (${(e as Error).message})${hint}`);
  }
}
