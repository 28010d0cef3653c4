// Parameter names and shapes exactly as Hugging Face BertForSequenceClassification's state_dict
// (Linear weights are [out, in]); these names are also the checkpoint keys.
import type { ParamSpec } from '../../engine/contract.js';
import type { BertConfig } from './config.js';

/** AdamW skips biases and LayerNorm weights (the usual BERT fine-tuning recipe). */
export const decays = (name: string): boolean => !(name.endsWith('.bias') || name.includes('LayerNorm'));

export function bertParamSpecs(c: BertConfig, numLabels: number): ParamSpec[] {
  const H = c.hiddenSize,
    I = c.intermediateSize;
  const out: [string, number[]][] = [
    ['bert.embeddings.word_embeddings.weight', [c.vocabSize, H]],
    ['bert.embeddings.position_embeddings.weight', [c.maxPositions, H]],
    ['bert.embeddings.token_type_embeddings.weight', [c.typeVocabSize, H]],
    ['bert.embeddings.LayerNorm.weight', [H]],
    ['bert.embeddings.LayerNorm.bias', [H]],
  ];
  for (let i = 0; i < c.numLayers; i++) {
    const p = `bert.encoder.layer.${i}.`;
    for (const n of ['query', 'key', 'value'])
      out.push([`${p}attention.self.${n}.weight`, [H, H]], [`${p}attention.self.${n}.bias`, [H]]);
    out.push(
      [`${p}attention.output.dense.weight`, [H, H]],
      [`${p}attention.output.dense.bias`, [H]],
      [`${p}attention.output.LayerNorm.weight`, [H]],
      [`${p}attention.output.LayerNorm.bias`, [H]],
      [`${p}intermediate.dense.weight`, [I, H]],
      [`${p}intermediate.dense.bias`, [I]],
      [`${p}output.dense.weight`, [H, I]],
      [`${p}output.dense.bias`, [H]],
      [`${p}output.LayerNorm.weight`, [H]],
      [`${p}output.LayerNorm.bias`, [H]],
    );
  }
  out.push(
    ['bert.pooler.dense.weight', [H, H]],
    ['bert.pooler.dense.bias', [H]],
    ['classifier.weight', [numLabels, H]],
    ['classifier.bias', [numLabels]],
  );
  return out.map(([name, shape]) => ({ name, shape, decay: decays(name) }));
}
