// config.json's model_type -> the family that builds, loads and exports it. A new model type is a
// module under src/models/<type>/ exporting a ModelFamily, listed here (see CONTRIBUTING.md).
import { readJsonFile } from '../util/json-file.js';
import { bertFamily } from './bert/index.js';
import { ModelError } from './errors.js';
import { distilbertFamily } from './distilbert/index.js';
import { modernbertFamily } from './modernbert/index.js';
import { robertaFamily } from './roberta/index.js';
import type { ModelConfig, ModelFamily } from './family.js';

export const MODEL_FAMILIES: readonly ModelFamily[] = [bertFamily, robertaFamily, distilbertFamily, modernbertFamily];

/** Every model_type we can train. */
export function supportedModelTypes(): string[] {
  return MODEL_FAMILIES.flatMap((f) => f.modelTypes);
}

/** The family for a config.json; old BERT configs carry no model_type and mean BERT (as in HF). */
export function familyFor(json: unknown, file: string): ModelFamily {
  const type = json && typeof json === 'object' ? (json as Record<string, unknown>).model_type : undefined;
  const wanted = type ?? 'bert';
  const family = MODEL_FAMILIES.find((f) => f.modelTypes.includes(wanted as string));
  if (!family) {
    throw new ModelError(
      file,
      `${file}: model_type is ${JSON.stringify(type)}; supported: ${supportedModelTypes().join(', ')}. Use a checkpoint of one of these types (e.g. bert-base-uncased).`,
    );
  }
  return family;
}

/** Reads and validates a config.json with the family its model_type names. */
export function readModelConfig(path: string): { family: ModelFamily; config: ModelConfig } {
  const json = readJsonFile(path, (m) => new ModelError(path, m));
  const family = familyFor(json, path);
  return { family, config: family.parseConfig(json, path) };
}
