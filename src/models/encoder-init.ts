// Seeded initial values for the encoder families' parameters (the weights a checkpoint lacks, such
// as a new classifier): Hugging Face's _init_weights rules, drawn from our PRNG (one stream per
// parameter name and seed), so runs are reproducible across machines.
import type { ParamSpec } from '../engine/contract.js';
import { mulberry32 } from '../util/random.js';
import { numElements } from '../util/shape.js';

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export interface NormalInit {
  std: number;
  /** Truncate at +-cutoff * std by redrawing (torch.nn.init.trunc_normal_); none when absent. */
  cutoff?: number;
  /** Rows set to zero (an embedding's padding_idx). */
  zeroRows?: number[];
}

/** Biases 0, normalisation weights (no weight decay, not a bias) 1, the rest normal(0, std). */
export function initEncoderParam(spec: ParamSpec, seed: number, normal: NormalInit): Float32Array {
  const out = new Float32Array(numElements(spec.shape));
  if (spec.name.endsWith('.bias')) return out;
  if (!spec.decay) return out.fill(1);
  const rand = mulberry32(seed ^ hash(spec.name));
  const { std, cutoff } = normal;
  const draw = () => Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand()) * std;
  for (let i = 0; i < out.length; i++) {
    let v = draw();
    if (cutoff !== undefined) while (Math.abs(v) > cutoff * std) v = draw();
    out[i] = v;
  }
  const width = spec.shape[1] ?? 1;
  for (const r of normal.zeroRows ?? []) if (r >= 0 && r < spec.shape[0]) out.fill(0, r * width, (r + 1) * width);
  return out;
}
