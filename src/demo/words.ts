// Word lists of the demo sentiment task. Polarity words flip under negation; the contrast template
// ("X was good, but Y was bad") puts the deciding word after "but", so word counts alone are not enough.

export const POSITIVE_ADJ = [
  'good',
  'great',
  'excellent',
  'wonderful',
  'brilliant',
  'charming',
  'moving',
  'funny',
  'beautiful',
  'clever',
  'enjoyable',
  'gripping',
  'delightful',
  'superb',
  'touching',
  'fun',
  'fresh',
  'smart',
];
export const NEGATIVE_ADJ = [
  'bad',
  'awful',
  'boring',
  'dull',
  'terrible',
  'weak',
  'silly',
  'clumsy',
  'painful',
  'messy',
  'tedious',
  'bland',
  'lazy',
  'poor',
  'forgettable',
  'stale',
  'dreadful',
  'flat',
];
export const POSITIVE_VERB = ['loved', 'enjoyed', 'liked', 'adored', 'admired'];
export const NEGATIVE_VERB = ['hated', 'disliked', 'regretted', 'loathed', 'resented'];
/** Base forms after "did not" / "didn't". */
export const POSITIVE_VERB_BASE = ['love', 'enjoy', 'like', 'adore', 'admire'];
export const NEGATIVE_VERB_BASE = ['hate', 'dislike', 'regret', 'loathe', 'resent'];

export const SUBJECTS = [
  'the movie',
  'the film',
  'this movie',
  'this film',
  'the story',
  'the plot',
  'the acting',
  'the script',
  'the ending',
  'the cast',
  'the music',
  "the director's work",
  'the dialogue',
  'the pacing',
  'the sequel',
  'the lead actor',
  'the soundtrack',
  'the camera work',
];
export const INTENSIFIERS = ['very', 'really', 'truly', 'quite', 'so', 'extremely', 'rather', 'pretty', 'incredibly'];
export const NEGATIONS = ['was not', "wasn't", 'was never', 'was hardly', 'is not', "isn't"];
export const COPULAS = ['was', 'is', 'seemed', 'felt'];
export const OBJECTS = ['it', 'this movie', 'the film', 'every minute', 'the whole thing', 'this one'];

/** Neutral sentences: noise that carries no sentiment. */
export const FILLERS = [
  'i saw it last weekend.',
  'we watched it at home on a rainy sunday.',
  'it runs about two hours.',
  'my brother picked it.',
  'the theater was half empty.',
  'it came out in 1998.',
  'the trailer showed a ship and a city at night.',
  'it is based on a novel.',
  'there are three main characters.',
  'i watched it with my family.',
  'the story takes place in a small town.',
  'it is in english with french subtitles.',
  'my friend told me about it.',
  'the tickets cost ten dollars.',
  'i had popcorn and a soda.',
  'it was shown on tv yesterday.',
  'the director also made two other films.',
  'it is the second part of a series.',
];
