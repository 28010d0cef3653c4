// Hugging Face's ACT2FN activations that the encoder families' configs name (hidden_act,
// activation, hidden_activation, classifier_activation), as ONNX ops with gradients. A config that
// names another one is refused when it is read, naming the key and these choices.
import type { Value } from '../onnx/graph.js';
import type { Emitter } from './layers.js';

export const ACTIVATIONS = [
  'gelu',
  'relu',
  'silu',
  'swish',
  'gelu_new',
  'gelu_pytorch_tanh',
  'gelu_fast',
  'quick_gelu',
  'tanh',
] as const;
export type ActivationName = (typeof ACTIVATIONS)[number];

/** erf(x), evaluated in float32 for float64 graphs (ORT's CPU Erf is float32-only; gradient checks). */
function erf(e: Emitter, x: Value): Value {
  const { g } = e;
  if (x.dtype !== 'float64') return g.op('Erf', [x]);
  return g.op('Cast', [g.op('Erf', [g.op('Cast', [x], { to: 1 })])], { to: 11 });
}

/** 0.5 x (1 + tanh(c x (1 + k x^2))), the tanh approximations of GELU. */
function tanhGelu(e: Emitter, x: Value, c: number): Value {
  const { g } = e;
  const inner = g.op('Mul', [
    g.op('Mul', [x, g.scalar(c, x)]),
    g.op('Add', [g.scalar(1, x), g.op('Mul', [g.op('Mul', [x, x]), g.scalar(0.044715, x)])]),
  ]);
  return g.op('Mul', [g.op('Mul', [x, g.scalar(0.5, x)]), g.op('Add', [g.scalar(1, x), g.op('Tanh', [inner])])]);
}

export function activation(e: Emitter, name: ActivationName, x: Value): Value {
  const { g } = e;
  switch (name) {
    case 'gelu': // exact: x/2 (1 + erf(x / sqrt 2))
      return g.op('Mul', [
        g.op('Mul', [x, g.scalar(0.5, x)]),
        g.op('Add', [erf(e, g.op('Mul', [x, g.scalar(Math.SQRT1_2, x)])), g.scalar(1, x)]),
      ]);
    case 'relu':
      return g.op('Relu', [x]);
    case 'silu':
    case 'swish':
      return g.op('Mul', [x, g.op('Sigmoid', [x])]);
    case 'gelu_new':
    case 'gelu_pytorch_tanh':
      return tanhGelu(e, x, Math.sqrt(2 / Math.PI));
    case 'gelu_fast':
      return tanhGelu(e, x, 0.7978845608);
    case 'quick_gelu':
      return g.op('Mul', [x, g.op('Sigmoid', [g.op('Mul', [x, g.scalar(1.702, x)])])]);
    case 'tanh':
      return g.op('Tanh', [x]);
  }
}
