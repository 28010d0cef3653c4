// `textclf demo`: a tiny BERT trained from scratch on a generated sentiment dataset, so a newcomer
// sees the whole pipeline (datastore dir, tokenizer, training, checkpoint, report) in about a minute.
import { join, resolve } from 'node:path';
import { writeDemoDataset, writeDemoTokenizer, demoVocab } from './index.js';
import { DEMO_FLAGS, demoBertConfig } from './recipe.js';
import { BertModel, parseBertConfig } from '../models/bert/index.js';
import { initWeights } from '../models/weights.js';
import { writeSafetensors, type SafeTensor } from '../models/safetensors.js';
import { writeJsonAtomic } from '../util/atomic-write.js';

/** Flags the demo sets (the recipe's values); anything given on the command line wins. */
export const DEMO_CLI_FLAGS: Record<string, string> = {
  ...Object.fromEntries(Object.entries(DEMO_FLAGS).map(([k, v]) => [k, String(v)])),
  output_dir: 'demo-output',
  // npm run demo again replaces the previous demo run
  overwrite_output_dir: 'true',
};

/** Writes the demo datastore and a randomly initialised tiny BERT; returns the flags that use them. */
export async function prepareDemo(outputDir: string, seed: number): Promise<Record<string, string>> {
  const root = resolve(outputDir);
  const dataDir = join(root, 'data');
  const modelDir = join(root, 'tiny-bert');
  await writeDemoDataset(dataDir, seed);
  await writeDemoTokenizer(modelDir);
  const raw = demoBertConfig(demoVocab().length);
  const cfg = parseBertConfig(raw, 'demo config.json');
  const model = new BertModel(cfg, 2);
  const weights = initWeights(model, seed);
  // A base checkpoint has no classifier: training adds it for the dataset's labels.
  const tensors = new Map<string, SafeTensor>();
  for (const s of model.params)
    if (!s.name.startsWith('classifier.'))
      tensors.set(s.name, { dtype: 'float32', shape: s.shape, data: weights.get(s.name)! });
  writeSafetensors(join(modelDir, 'model.safetensors'), tensors, { format: 'pt' });
  writeJsonAtomic(join(modelDir, 'config.json'), raw);
  return { datastore: dataDir, model_name_or_path: modelDir };
}
