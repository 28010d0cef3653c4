// The task on top of any family's classifier: which labels input it takes (class ids, or multi-hot
// targets for multi-label), its loss (models/loss.ts: class weights, label smoothing, BCE) and the
// problem_type its checkpoints declare. A family builds logits; this wrapper owns everything about
// labels, so every family (BERT, RoBERTa, ...) gets the task options without code of its own.
import type { Batch } from '../data/types.js';
import type { BatchInputSpec, ForwardOptions, ForwardOutputs, ParamSpec } from '../engine/contract.js';
import type { MicroBatch } from '../engine/feeds.js';
import type { Graph, Value } from '../onnx/graph.js';
import type { CheckpointKeys, ModelConfig, SequenceClassifier } from './family.js';
import { classificationLoss, labelFeed, labelInput, type LossOptions, type ProblemType } from './loss.js';

export type { LossOptions, ProblemType } from './loss.js';

export const PROBLEM_TYPES: readonly ProblemType[] = ['single_label_classification', 'multi_label_classification'];

export class TaskModel implements SequenceClassifier {
  readonly batchInputs: BatchInputSpec[];
  readonly problemType: ProblemType;

  constructor(
    readonly base: SequenceClassifier,
    readonly loss: LossOptions = {},
  ) {
    this.problemType = loss.problemType ?? 'single_label_classification';
    this.batchInputs = [
      ...base.batchInputs.filter((b) => b.name !== 'labels'),
      labelInput(base.numLabels, this.problemType),
    ];
  }

  get architecture(): string {
    return this.base.architecture;
  }
  get config(): ModelConfig {
    return this.base.config;
  }
  get numLabels(): number {
    return this.base.numLabels;
  }
  get keys(): CheckpointKeys {
    return this.base.keys;
  }
  get params(): ParamSpec[] {
    return this.base.params;
  }

  feeds(batch: Batch, withLabels: boolean): MicroBatch {
    const mb = this.base.feeds(batch, false);
    if (withLabels) mb.labels = labelFeed(batch, this.numLabels, this.problemType);
    return mb;
  }

  forward(g: Graph, params: Map<string, Value>, batch: Record<string, Value>, opts: ForwardOptions): ForwardOutputs {
    const { labels, ...inputs } = batch;
    const { logits } = this.base.forward(g, params, inputs, opts);
    return labels ? { logits, loss: classificationLoss(g, logits, labels, this.loss) } : { logits };
  }

  initParam(spec: ParamSpec, seed: number): Float32Array {
    return this.base.initParam(spec, seed);
  }

  checkpointConfig(labels: string[]): Record<string, unknown> {
    // transformers(.js) read problem_type: multi-label checkpoints get a sigmoid per label.
    return { ...this.base.checkpointConfig(labels), problem_type: this.problemType };
  }

  tokenizerConfig(o: { doLowerCase?: boolean; maxLength?: number }): Record<string, unknown> {
    return this.base.tokenizerConfig(o);
  }
}

/** problem_type of a checkpoint's config.json (absent: single-label, as Hugging Face infers for int labels). */
export function problemTypeOf(config: ModelConfig, file: string): ProblemType {
  const v = config.raw.problem_type;
  if (v === undefined || v === null) return 'single_label_classification';
  if (v === 'regression' || !PROBLEM_TYPES.includes(v as ProblemType))
    throw new Error(
      `${file}: problem_type ${JSON.stringify(v)} is not supported; textclf trains and scores ${PROBLEM_TYPES.join(' and ')}`,
    );
  return v as ProblemType;
}
