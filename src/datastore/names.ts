// Cache entry names and file names derived from user input: always one safe path segment.
import { stripFormatSuffix } from './format.js';

/** A file name safe as one path segment (no separators; starts with a letter or digit, so name@version can address it). */
export function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^[._-]+/, '');
}

/** Cache entry name: the file name without its datastore suffix (`imdb.zip` -> `imdb`). */
export function entryName(fileName: string): string {
  return safeFileName(stripFormatSuffix(fileName)) || 'datastore';
}
