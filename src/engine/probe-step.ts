// The device probe a training run makes before it reads any data: one real training step (two, in
// one Scan where the device runs the step graph as a Scan) of a tiny model whose forward pass has
// the ops that fail first on a new device or driver: Gather (its gradient is a ScatterND),
// LayerNormalization, MatMul, Softmax, Where, ReduceSum and Gemm, then autodiff, clipping and AdamW
// through the Runner exactly as training builds them, in float32 and, when the run asks for it, in
// its mixed-precision compute type. The first loss is checked against the same model computed here
// in float64: a kernel that runs but computes nonsense fails the probe too.
// Injected into prepareDevice (runtime/prepare.ts) as its `probe` by the callers that train.
import type { Graph, Value } from '../onnx/graph.js';
import { ONNX_DTYPE } from '../onnx/dtype.js';
import type { Device } from '../runtime/device.js';
import type { ProbeOptions, ProbeResult } from '../runtime/probe.js';
import { mulberry32 } from '../util/random.js';
import type {
  BatchInputSpec,
  ComputeType,
  ForwardOptions,
  ForwardOutputs,
  ParamSpec,
  TrainableModel,
} from './contract.js';
import type { MicroBatch } from './feeds.js';
import { Runner, type StepResult } from './runner.js';

const V = 8; // vocabulary
const H = 4; // hidden
const S = 4; // tokens
const B = 2; // rows
const C = 2; // outputs
const EPS = 1e-5;

/** Tokens (0 is padding: masked by the Where) and regression targets of the probe's one batch. */
const IDS = [3, 1, 4, 0, 5, 2, 0, 0];
const TARGETS = [0.5, -1, 1.5, 0.25];

export class ProbeModel implements TrainableModel {
  readonly params: ParamSpec[] = [
    { name: 'embed', shape: [V, H], decay: true },
    { name: 'norm.weight', shape: [H], decay: false },
    { name: 'norm.bias', shape: [H], decay: false },
    { name: 'out.weight', shape: [C, H], decay: true },
    { name: 'out.bias', shape: [C], decay: false },
  ];
  readonly batchInputs: BatchInputSpec[] = [
    { name: 'ids', dtype: 'int64', shape: ['batch', S] },
    { name: 'tokens', dtype: 'float32', shape: ['batch', S] },
    { name: 'labels', dtype: 'float32', shape: ['batch', C] },
  ];

  forward(g: Graph, p: Map<string, Value>, batch: Record<string, Value>, o: ForwardOptions): ForwardOutputs {
    const act = (v: Value) =>
      o.compute && v.dtype !== o.compute ? g.op('Cast', [v], { to: ONNX_DTYPE[o.compute] }) : v;
    const f32 = (v: Value) => (v.dtype !== 'float32' ? g.op('Cast', [v], { to: ONNX_DTYPE.float32 }) : v);
    const x = g.op('Gather', [p.get('embed')!, batch.ids]); // [B, S, H]
    const norm = g.node(
      'LayerNormalization',
      [x, p.get('norm.weight')!, p.get('norm.bias')!],
      { axis: -1, epsilon: EPS },
      {
        outputs: o.train ? 3 : 1,
      },
    )[0];
    const h = act(norm);
    const scores = g.op('MatMul', [h, g.op('Transpose', [h], { perm: [0, 2, 1] })]); // [B, S, S]
    const probs = act(g.op('Softmax', [f32(scores)], { axis: -1 }));
    const ctx = g.op('MatMul', [probs, h]); // [B, S, H]
    // The mask compared in float (an int64 comparison would run on the CPU EP under WebGPU).
    const keep = g.op('Unsqueeze', [g.op('Greater', [batch.tokens, g.scalar(0.5, 'float32')]), g.ints([2])]);
    const masked = g.op('Where', [keep, ctx, g.scalar(0, ctx)]);
    const pooled = g.op('ReduceSum', [masked, g.ints([1])], { keepdims: 0 }); // [B, H]
    const logits = f32(g.op('Gemm', [pooled, act(p.get('out.weight')!), act(p.get('out.bias')!)], { transB: 1 }));
    // Mean squared error over the batch's fixed B x C outputs.
    const d = batch.labels ? g.op('Sub', [logits, batch.labels]) : undefined;
    const loss = d
      ? g.op('Mul', [g.op('ReduceSum', [g.op('Mul', [d, d])], { keepdims: 0 }), g.scalar(1 / (B * C), 'float32')])
      : undefined;
    return { logits, loss };
  }
}

export function initParams(): Map<string, Float32Array> {
  const r = mulberry32(20240611);
  const u = (n: number, scale: number, shift = 0) =>
    Float32Array.from({ length: n }, () => shift + (r() - 0.5) * scale);
  return new Map([
    ['embed', u(V * H, 2)],
    ['norm.weight', u(H, 0.5, 1)],
    ['norm.bias', u(H, 0.2)],
    ['out.weight', u(C * H, 1)],
    ['out.bias', u(C, 0.2)],
  ]);
}

/** The probe model's loss at `params`, in float64 (what a correct device computes, up to rounding). */
export function referenceLoss(params: Map<string, Float32Array>): number {
  const E = params.get('embed')!,
    gw = params.get('norm.weight')!,
    gb = params.get('norm.bias')!;
  const W = params.get('out.weight')!,
    bias = params.get('out.bias')!;
  let loss = 0;
  for (let b = 0; b < B; b++) {
    const n = Array.from({ length: S }, (_, s) => {
      const row = Array.from({ length: H }, (_, k) => E[IDS[b * S + s] * H + k]);
      const mean = row.reduce((a, v) => a + v, 0) / H;
      const vr = row.reduce((a, v) => a + (v - mean) ** 2, 0) / H;
      return row.map((v, k) => ((v - mean) / Math.sqrt(vr + EPS)) * gw[k] + gb[k]);
    });
    const pooled = new Array<number>(H).fill(0);
    for (let i = 0; i < S; i++) {
      if (IDS[b * S + i] <= 0) continue;
      const sc = n.map((nj) => nj.reduce((a, v, k) => a + v * n[i][k], 0));
      const m = Math.max(...sc);
      const e = sc.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      for (let k = 0; k < H; k++) pooled[k] += n.reduce((a, nj, j) => a + (e[j] / z) * nj[k], 0);
    }
    for (let c = 0; c < C; c++) {
      const logit = pooled.reduce((a, v, k) => a + v * W[c * H + k], bias[c]);
      loss += (logit - TARGETS[b * C + c]) ** 2;
    }
  }
  return loss / (B * C);
}

/** How close the first loss must be: float32 rounding, or the compute type's (bfloat16: 8 bits). */
const TOLERANCE: Record<'float32' | ComputeType, number> = { float32: 1e-4, float16: 1e-2, bfloat16: 5e-2 };

/** What is wrong with the probe's two steps, or undefined when they are right. */
export function wrongResult(kind: 'float32' | ComputeType, r: StepResult, want: number): string | undefined {
  if (r.skipped?.some(Boolean))
    return `the ${kind} training step found non-finite gradients (loss scale ${r.lossScales?.join(', ')})`;
  if (![...r.losses, ...r.gradNorms].every(Number.isFinite))
    return `the ${kind} training step gave non-finite results: losses ${r.losses.join(', ')}, gradient norms ${r.gradNorms.join(', ')}`;
  if (Math.abs(r.losses[0] - want) > TOLERANCE[kind] * Math.max(1, Math.abs(want)))
    return `the ${kind} training step's loss is ${r.losses[0]}, but this model's loss is ${want.toPrecision(7)}`;
  if (r.losses[1] === r.losses[0] || !(r.gradNorms[0] > 0))
    return `the ${kind} training step did not update the parameters (losses ${r.losses.join(', ')})`;
  return undefined;
}

async function probeOne(device: Device, compute: ComputeType | undefined): Promise<ProbeResult> {
  const t0 = Date.now();
  const kind = compute ?? 'float32';
  const params = initParams();
  let runner: Runner | undefined;
  try {
    runner = await Runner.create(new ProbeModel(), {
      device,
      params,
      optimizer: { kind: 'adamw', eps: 1e-8, weightDecay: 0.01 },
      maxGradNorm: 1,
      ...(compute ? { precision: { compute }, initScale: 256, allowCpuMixedPrecision: true } : {}),
    });
    const batch: MicroBatch = {
      ids: { data: BigInt64Array.from(IDS, BigInt), dims: [B, S] },
      tokens: { data: Float32Array.from(IDS, (i) => (i > 0 ? 1 : 0)), dims: [B, S] },
      labels: { data: Float32Array.from(TARGETS), dims: [B, C] },
    };
    const r = await runner.step([batch, batch], [1e-2, 1e-2]);
    const wrong = wrongResult(kind, r, referenceLoss(params));
    return wrong
      ? { ok: false, ms: Date.now() - t0, ortMessage: wrong, code: 'wrong-result', kind }
      : { ok: true, ms: Date.now() - t0, kind };
  } catch (e) {
    // A provider error keeps ORT's own words (CudaUnavailableError carries them).
    const err = e as Error & { ortMessage?: string };
    return { ok: false, ms: Date.now() - t0, ortMessage: err.ortMessage || err.message || String(e), kind };
  } finally {
    await runner?.release().catch(() => undefined);
  }
}

/**
 * One real training step on `device` in float32, then in `o.compute` when given; the first
 * failure is the answer. Cheap: a few hundred parameters, one session per graph kind.
 */
export async function probeTrainingStep(device: Device, o: ProbeOptions = {}): Promise<ProbeResult> {
  const first = await probeOne(device, undefined);
  if (!first.ok || !o.compute) return first;
  const half = await probeOne(device, o.compute);
  return half.ok ? { ok: true, ms: first.ms + half.ms, kind: o.compute } : half;
}
