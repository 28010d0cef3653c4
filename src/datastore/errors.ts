// Errors a user can cause with the `datastore` flag (bad URL, bad archive, checksum mismatch,
// missing file): the message names the source and says what to do about it.
export class DatastoreError extends Error {
  override readonly name = 'DatastoreError';
  /** `source` is the datastore as shown to the user (URLs redacted: no credentials, no query). */
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(message);
  }
}
