// --class_weights -> the loss weights in label order. balanced is sklearn's compute_class_weight
// ("balanced": n / (labels x count)) for single-label data; for multi-label data it is the BCE
// pos_weight people derive from the counts, negatives / positives per label.
import { FlagError } from '../config/parse.js';
import type { EncodedDataset } from '../data/encoded-dataset.js';
import type { TaskInfo } from '../metrics/types.js';

export function classWeightsFor(
  flag: string,
  labels: readonly string[],
  train: EncodedDataset,
  multiLabel: boolean,
): Pick<TaskInfo, 'classWeights' | 'classWeightsFrom'> {
  const k = labels.length;
  if (flag === 'none') return {};
  if (flag !== 'balanced') {
    const w = flag.split(',').map(Number);
    if (w.length !== k)
      throw new FlagError(
        'class_weights',
        `--class_weights: ${w.length} weights for ${k} labels; give one per label in this order: ${labels.join(', ')}`,
      );
    if (w.some((x) => !(x >= 0)) || w.every((x) => x === 0))
      throw new FlagError('class_weights', '--class_weights: weights must be >= 0 and not all 0');
    return { classWeights: w, classWeightsFrom: 'given' };
  }
  const n = train.size;
  const pos = new Array<number>(k).fill(0);
  if (multiLabel) {
    const mh = train.multiHot!;
    for (let i = 0; i < mh.data.length; i++) pos[i % k] += mh.data[i];
  } else {
    for (const l of train.labels) pos[l]++;
  }
  const missing = labels.filter((_, c) => pos[c] === 0);
  if (missing.length)
    throw new FlagError(
      'class_weights',
      `--class_weights balanced: the training split has no ${multiLabel ? 'positive ' : ''}rows of ${missing.map((l) => `'${l}'`).join(', ')}, so its weight is undefined; give the weights explicitly (w1,w2,...)`,
    );
  const classWeights = multiLabel ? pos.map((p) => (n - p) / p) : pos.map((p) => n / (k * p));
  return { classWeights, classWeightsFrom: 'balanced' };
}
