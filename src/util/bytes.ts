// Human byte counts for logs and reports: 512 B, 1.5 KiB, 246.0 MiB, 1.31 GiB.
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Math.max(0, bytes);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v.toFixed(v < 10 && u >= 3 ? 2 : 1)} ${units[u]}`;
}
