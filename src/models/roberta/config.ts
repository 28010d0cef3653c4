// config.json of a RoBERTa or XLM-RoBERTa model (the same modeling code in Hugging Face): BERT's
// keys with RobertaConfig's defaults, and a position table whose rows start after the pad id.
import { ConfigReader } from '../config-reader.js';
import { readBertKeys, type BertConfig } from '../bert/config.js';

export interface RobertaConfig extends BertConfig {
  modelType: 'roberta' | 'xlm-roberta';
  /** max_position_embeddings: rows of the position table (positions start at pad_token_id + 1). */
  positionRows: number;
}

export function parseRobertaConfig(json: unknown, file = 'config.json'): RobertaConfig {
  const r = new ConfigReader(json, file, 'RoBERTa');
  const type = r.c.model_type;
  if (type !== 'roberta' && type !== 'xlm-roberta')
    throw r.error(`model_type is ${JSON.stringify(type)}; this reader takes "roberta" or "xlm-roberta"`);
  const bert = readBertKeys(r, { vocabSize: 50265, padTokenId: 1 });
  const positionRows = bert.maxPositions;
  // Positions run pad+1 .. pad+T, so the longest sequence is the table size minus pad+1 (514 -> 512).
  const maxPositions = positionRows - bert.padTokenId - 1;
  if (maxPositions < 1)
    throw r.error(
      `max_position_embeddings ${positionRows} leaves no position after pad_token_id ${bert.padTokenId} (RoBERTa positions start at pad_token_id + 1)`,
    );
  return { ...bert, modelType: type, positionRows, maxPositions };
}
