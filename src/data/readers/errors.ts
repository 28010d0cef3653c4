// Errors a user can cause with a dataset file: the message names the file (and the row or line)
// and says what to do about it.
export class DataFileError extends Error {
  override readonly name = 'DataFileError';
  constructor(readonly file: string, message: string, readonly line?: number) {
    super(message);
  }
}
