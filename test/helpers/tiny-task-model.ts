// A tiny classifier of any registered model type, wrapped for its task as the trainer does
// (TaskModel: loss variants), for graph-level tests that need every family.
import { familyFor } from '../../src/models/registry.js';
import { TaskModel, type LossOptions } from '../../src/models/task.js';
import { tinyConfigJson } from '../models/tiny-model.js';
import { tinyEncoderConfig, type EncoderType } from './encoder-models.js';

/** Token ids of the encoder configs are below this (position tables hold 16 tokens + padding). */
export const TINY_TASK_VOCAB = 60;

export function tinyTaskModel(
  type: string,
  o: { dropout?: number; loss?: LossOptions; labels?: number; seed?: number } = {},
): TaskModel {
  const config = type === 'bert' ? tinyConfigJson() : tinyEncoderConfig(type as EncoderType, TINY_TASK_VOCAB, 1, 16);
  const family = familyFor(config, 'config.json');
  const base = family.create(family.parseConfig(config, 'config.json'), o.labels ?? 3, {
    dropout: o.dropout ?? 0.1,
    seed: o.seed ?? 7,
  });
  return new TaskModel(base, o.loss);
}
