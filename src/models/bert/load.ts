// BERT weights by parameter list and config (the generic loader with BERT's key rules and
// initialisation), for callers that have specs rather than a built model.
import type { ParamSpec } from '../../engine/contract.js';
import { loadWeightsWith, type LoadedWeights } from '../weights.js';
import type { BertConfig } from './config.js';
import { initParam } from './init.js';
import { bertKeys } from './keys.js';

export { canonicalKey } from './keys.js';
export type { LoadReport, LoadedWeights } from '../weights.js';

const ARCHITECTURE = 'BertForSequenceClassification';

/** Fresh weights for every parameter (no checkpoint): normal(0, initializer_range), biases 0, LayerNorm 1. */
export function initBertWeights(specs: ParamSpec[], cfg: BertConfig, seed: number): Map<string, Float32Array> {
  return new Map(specs.map((s) => [s.name, initParam(s.name, s.shape, cfg.initializerRange, seed)]));
}

export function loadBertWeights(
  weightsPath: string,
  specs: ParamSpec[],
  cfg: BertConfig,
  opts: { seed: number; modelName?: string },
): LoadedWeights {
  return loadWeightsWith(
    weightsPath,
    specs,
    {
      keys: bertKeys,
      architecture: ARCHITECTURE,
      init: (s) => initParam(s.name, s.shape, cfg.initializerRange, opts.seed),
    },
    opts.modelName,
  );
}
