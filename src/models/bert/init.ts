// Seeded initialisation as in Hugging Face's BertPreTrainedModel._init_weights: Linear and Embedding
// weights ~ normal(0, initializer_range), biases 0, LayerNorm weight 1. The PRNG is ours (not torch's),
// so runs are reproducible across machines for a given seed.
import { mulberry32 } from '../../util/random.js';
import { numElements } from '../../util/shape.js';

/** Standard normal samples (Box-Muller, both outputs used). */
export function fillNormal(out: Float32Array, std: number, rand: () => number): Float32Array {
  for (let i = 0; i < out.length; i += 2) {
    const u = 1 - rand(),
      v = rand();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < out.length) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** A fresh value for parameter `name`, drawn from `rand` (one stream per parameter name keeps values stable when others change). */
export function initParam(name: string, shape: number[], std: number, seed: number): Float32Array {
  const out = new Float32Array(numElements(shape));
  if (name.includes('LayerNorm') && name.endsWith('.weight')) return out.fill(1);
  if (name.endsWith('.bias')) return out;
  return fillNormal(out, std, mulberry32(seed ^ hash(name)));
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}
