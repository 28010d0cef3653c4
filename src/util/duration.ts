// Human durations for logs and reports: 42s, 3m 5s, 1h 2m 3s.
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600),
    mi = Math.floor((s % 3600) / 60),
    se = s % 60;
  return h > 0 ? `${h}h ${mi}m ${se}s` : mi > 0 ? `${mi}m ${se}s` : `${se}s`;
}
