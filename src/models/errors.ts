// Errors a user can cause with a model directory, hub id or weights file: the message names the
// file (or id) and says what to do about it.
export class ModelError extends Error {
  override name = 'ModelError';
  constructor(
    readonly file: string,
    message: string,
  ) {
    super(message);
  }
}
