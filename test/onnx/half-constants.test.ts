// float16/bfloat16 constants (mixed-precision graphs): bits as torch rounds them (values taken from
// torch.tensor(x, dtype=torch.float16 / torch.bfloat16).view(torch.int16)): nearest even,
// overflow to inf, subnormals.
import { bfloat16Bits, float16Bits, typedArrayOf } from '../../src/onnx/dtype.js';

const xs = [
  1,
  65504,
  65519,
  65520,
  6e-8,
  2.9e-8,
  3e-8,
  -2,
  1e-5,
  0.1,
  1 / 3,
  3.14159,
  1e-7,
  5.960464477539063e-8,
  2.980232238769531e-8,
  8.940696716308594e-8,
  1.00048828125,
  1.000732421875,
];
const F16 = [15360, 31743, 31743, 31744, 1, 0, 1, 49152, 168, 11878, 13653, 16968, 2, 1, 0, 2, 15360, 15361];
const BF16 = [
  16256, 18304, 18304, 18304, 13185, 13049, 13057, 49152, 14120, 15821, 16043, 16457, 13271, 13184, 13056, 13248, 16256,
  16256,
];

test('float16 and bfloat16 bits equal torch for normal, tie, overflow and subnormal values', () => {
  expect(xs.map(float16Bits)).toEqual(F16);
  expect(xs.map(bfloat16Bits)).toEqual(BF16);
  expect(float16Bits(Infinity)).toBe(0x7c00);
  expect(float16Bits(-Infinity)).toBe(0xfc00);
  expect(float16Bits(NaN) & 0x7c00).toBe(0x7c00);
  expect(float16Bits(NaN) & 0x3ff).not.toBe(0);
  expect(bfloat16Bits(NaN) & 0x7f).not.toBe(0);
  expect(Array.from(typedArrayOf('float16', [1, -2]) as Uint16Array)).toEqual([15360, 49152]);
  expect(typedArrayOf('bfloat16', [1])).toBeInstanceOf(Uint16Array);
});
