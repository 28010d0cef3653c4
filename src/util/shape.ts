/** Number of elements of a tensor of static shape `shape` (1 for a scalar). */
export function numElements(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
