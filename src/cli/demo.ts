// `textclf demo`: a tiny BERT trained from scratch on a generated sentiment dataset, so a newcomer
// sees the whole pipeline (datastore dir, tokenizer, training, checkpoint, report) in about a minute.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { writeDemoDataset, writeDemoTokenizer, demoVocab, DEMO_MAX_LENGTH } from '../data/demo/index.js';
import { initBertWeights } from '../models/bert/load.js';
import { parseBertConfig } from '../models/bert/config.js';
import { bertParamSpecs } from '../models/bert/params.js';
import { writeSafetensors, type SafeTensor } from '../models/safetensors.js';

/** Flags the demo sets; anything given on the command line wins. */
export const DEMO_FLAGS = {
  max_epochs: '8',
  batch_size: '32',
  learning_rate: '0.001',
  warmup_steps: '20',
  weight_decay: '0.01',
  max_length: String(DEMO_MAX_LENGTH),
  dropout: '0.1',
  output_dir: 'demo-output',
};

/** Writes the demo datastore and a randomly initialised tiny BERT; returns the flags that use them. */
export async function prepareDemo(outputDir: string, seed: number): Promise<Record<string, string>> {
  const root = resolve(outputDir);
  const dataDir = join(root, 'data');
  const modelDir = join(root, 'tiny-bert');
  await writeDemoDataset(dataDir, seed);
  if (!existsSync(join(modelDir, 'model.safetensors'))) {
    mkdirSync(modelDir, { recursive: true });
    await writeDemoTokenizer(modelDir);
    const raw = {
      architectures: ['BertForSequenceClassification'], model_type: 'bert', vocab_size: demoVocab().length,
      hidden_size: 64, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 128, hidden_act: 'gelu',
      hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1, max_position_embeddings: 64, type_vocab_size: 2,
      initializer_range: 0.02, layer_norm_eps: 1e-12, pad_token_id: 0,
    };
    const cfg = parseBertConfig(raw, 'demo config.json');
    const specs = bertParamSpecs(cfg, 2);
    const weights = initBertWeights(specs, cfg, seed);
    // A base checkpoint has no classifier: training adds it for the dataset's labels.
    const tensors = new Map<string, SafeTensor>();
    for (const s of specs) if (!s.name.startsWith('classifier.')) tensors.set(s.name, { dtype: 'float32', shape: s.shape, data: weights.get(s.name)! });
    writeSafetensors(join(modelDir, 'model.safetensors'), tensors, { format: 'pt' });
    writeFileSync(join(modelDir, 'config.json'), `${JSON.stringify(raw, null, 2)}\n`);
  }
  return { datastore: dataDir, model_name_or_path: modelDir };
}
