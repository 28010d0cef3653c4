// Errors a user can cause with a dataset file: the message names the file (and the row or line)
// and says what to do about it.
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(
    readonly file: string,
    message: string,
    readonly line?: number,
  ) {
    super(message);
  }
}

/** File-system failures (missing file, a folder, no permission) as errors that name the file. */
export function fileSystemError(err: unknown, file: string): Error {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT')
    return new DataFileError(file, `${file} does not exist. Fix: check the file flag and the datastore.`);
  if (code === 'EISDIR')
    return new DataFileError(
      file,
      `${file} is a folder, not a data file. Fix: name a .csv, .tsv or .jsonl file inside it.`,
    );
  if (code === 'EACCES')
    return new DataFileError(file, `${file} cannot be read (permission denied). Fix: check the file's permissions.`);
  return err as Error;
}
