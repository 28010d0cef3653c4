// Registry of per-op gradients: one file per op (or per family of near-identical ops), collected here.
import type { GradientSpec } from '../types.js';
import { addGrad, subGrad, mulGrad, divGrad } from './arithmetic_grad.js';
import { matMulGrad } from './matmul_grad.js';
import { gemmGrad } from './gemm_grad.js';
import { reshapeGrad } from './reshape_grad.js';
import { transposeGrad } from './transpose_grad.js';
import { identityGrad } from './identity_grad.js';
import { reduceSumGrad, reduceMeanGrad } from './reduce_grad.js';
import { tanhGrad, reluGrad } from './activation_grad.js';
import { softmaxCrossEntropyGrad } from './softmax_cross_entropy_grad.js';
import { unsqueezeGrad, squeezeGrad } from './squeeze_grad.js';
import { flattenGrad } from './flatten_grad.js';
import { expandGrad } from './expand_grad.js';
import { gatherGrad } from './gather_grad.js';
import { sliceGrad } from './slice_grad.js';
import { concatGrad } from './concat_grad.js';
import { splitGrad } from './split_grad.js';
import { softmaxGrad, logSoftmaxGrad } from './softmax_grad.js';
import { layerNormGrad } from './layer_norm_grad.js';
import { negGrad, expGrad, logGrad, sqrtGrad, sigmoidGrad, erfGrad } from './unary_grad.js';
import { powGrad } from './pow_grad.js';
import { whereGrad } from './where_grad.js';
import { castGrad } from './cast_grad.js';
import { dropoutGrad } from './dropout_grad.js';
import { sumGrad } from './sum_grad.js';
import { maxGrad, minGrad } from './minmax_grad.js';
import { geluGrad } from './gelu_grad.js';

const ALL: GradientSpec[] = [
  addGrad,
  subGrad,
  mulGrad,
  divGrad,
  matMulGrad,
  gemmGrad,
  reshapeGrad,
  transposeGrad,
  identityGrad,
  reduceSumGrad,
  reduceMeanGrad,
  tanhGrad,
  reluGrad,
  softmaxCrossEntropyGrad,
  unsqueezeGrad,
  squeezeGrad,
  flattenGrad,
  expandGrad,
  gatherGrad,
  sliceGrad,
  concatGrad,
  splitGrad,
  softmaxGrad,
  logSoftmaxGrad,
  layerNormGrad,
  negGrad,
  expGrad,
  logGrad,
  sqrtGrad,
  sigmoidGrad,
  erfGrad,
  powGrad,
  whereGrad,
  castGrad,
  dropoutGrad,
  sumGrad,
  maxGrad,
  minGrad,
  geluGrad,
];

export const GRADIENTS = new Map(ALL.map((s) => [s.op, s]));
export const GRADIENT_OPS = ALL.map((s) => s.op);
