// Registry of per-op gradients: one file per op, collected here.
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

const ALL: GradientSpec[] = [addGrad, subGrad, mulGrad, divGrad, matMulGrad, gemmGrad, reshapeGrad, transposeGrad, identityGrad,
  reduceSumGrad, reduceMeanGrad, tanhGrad, reluGrad, softmaxCrossEntropyGrad];

export const GRADIENTS = new Map(ALL.map((s) => [s.op, s]));
export const GRADIENT_OPS = ALL.map((s) => s.op);
