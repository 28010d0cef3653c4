// Hugging Face tokenizers' `longest_first` truncation (the fast BertTokenizerFast path): not the
// slow tokenizer's token-by-token loop, but a closed form that gives the shorter input what it needs
// and splits evenly (extra token to the longer one) when both are too long.

/** Lengths to keep for a pair of sequences of lengths `a` and `b` within `max` tokens. */
export function longestFirstLengths(a: number, b: number, max: number): [number, number] {
  if (a + b <= max) return [a, b];
  if (max <= 0) return [0, 0];
  const swapped = a > b;
  let short = swapped ? b : a;
  let long = short > max ? short : Math.max(short, max - short);
  if (short + long > max) {
    short = Math.floor(max / 2);
    long = short + (max % 2);
  }
  return swapped ? [long, short] : [short, long];
}
