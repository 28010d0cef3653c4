// BERT's parameter list (HF names and shapes, Linear weights [out, in]) without building a graph:
// derived from the module tree in graph.ts, where each parameter is declared once.
import type { ParamSpec } from '../../engine/contract.js';
import type { BertConfig } from './config.js';
import { BertModel } from './graph.js';

export function bertParamSpecs(c: BertConfig, numLabels: number): ParamSpec[] {
  return new BertModel(c, numLabels).params;
}
