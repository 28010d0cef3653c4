// RobertaForSequenceClassification (also XLM-RoBERTa) with Hugging Face's semantics
// (modeling_roberta.py): BERT with two overrides. Embeddings: positions numbered from the input ids
// (pad_token_id + 1, + 2, ... over non-pad tokens; pads get pad_token_id) and padding_idx on the
// word and position tables (pad rows get no gradient). Head on <s>, no pooler: dropout -> dense ->
// tanh -> dropout -> out_proj.
import type { Value } from '../../onnx/graph.js';
import { firstToken } from '../attention.js';
import type { ClassifierHead, Dropouts, EncoderEmbeddings, EncoderInputs, LayerContext } from '../encoder.js';
import { Embedding, type Emitter, LayerNorm, Linear } from '../layers.js';
import { PaddingIdxEmbedding } from '../padding-embedding.js';
import type { Scope } from '../scope.js';
import type { RobertaConfig } from './config.js';

export class RobertaEmbeddings implements EncoderEmbeddings {
  readonly word: PaddingIdxEmbedding;
  readonly position: PaddingIdxEmbedding;
  readonly tokenType: Embedding;
  readonly norm: LayerNorm;

  constructor(
    s: Scope,
    private readonly c: RobertaConfig,
  ) {
    this.word = new PaddingIdxEmbedding(s.child('word_embeddings'), c.vocabSize, c.hiddenSize);
    this.position = new PaddingIdxEmbedding(s.child('position_embeddings'), c.positionRows, c.hiddenSize);
    this.tokenType = new Embedding(s.child('token_type_embeddings'), c.typeVocabSize, c.hiddenSize);
    this.norm = new LayerNorm(s.child('LayerNorm'), c.hiddenSize, c.layerNormEps);
  }

  /** (word + token type) + position, normalised: [B*T, H]. */
  apply(e: Emitter, { ids, types }: EncoderInputs, rates: Dropouts): Value {
    const { g } = e;
    const pad = g.constant('int64', [this.c.padTokenId], []);
    const isPad = g.op('Equal', [ids, pad]);
    const keep = g.op('Cast', [g.op('Not', [isPad])], { to: 7 });
    // create_position_ids_from_input_ids: pad+1, pad+2, ... over non-pad tokens, pad on pad tokens.
    const positions = g.op('Add', [g.op('Mul', [g.op('CumSum', [keep, g.constant('int64', [1], [])]), keep]), pad]);
    const word = this.word.lookupPadded(e, ids, isPad);
    // One token type (or none fed): row 0 of the table, broadcast over every token.
    const type = this.tokenType.lookup(e, types ?? g.constant('int64', [0], [1]));
    const sum = g.op('Add', [g.op('Add', [word, type]), this.position.lookupPadded(e, positions, isPad)]);
    const x = g.op('Reshape', [sum, g.ints([-1, this.c.hiddenSize])]);
    return e.dropout(this.norm.apply(e, x), rates.embeddings);
  }
}

/** RobertaClassificationHead on <s>. */
export class RobertaClassificationHead implements ClassifierHead {
  readonly dense: Linear;
  readonly outProj: Linear;

  constructor(root: Scope, c: RobertaConfig, numLabels: number) {
    const head = root.child('classifier');
    this.dense = new Linear(head.child('dense'), c.hiddenSize, c.hiddenSize);
    this.outProj = new Linear(head.child('out_proj'), c.hiddenSize, numLabels);
  }

  apply(e: Emitter, x: Value, { L, rates }: LayerContext): Value {
    const cls = e.dropout(firstToken(e, x, L), rates.classifier);
    const h = e.dropout(e.g.op('Tanh', [this.dense.apply(e, cls)]), rates.classifier);
    return this.outProj.apply(e, h);
  }
}
