/** A tokenizer problem the user can fix (missing files, special tokens absent from the vocab, ...). */
export class TokenizerError extends Error {
  override readonly name = 'TokenizerError';
}
