// WCAG 2 contrast ratio between two colours (#rgb, #rrggbb or the rgb()/rgba() a browser computes).

/** GitHub's page backgrounds: light and dark (default) themes. */
export const GITHUB_LIGHT_BG = '#ffffff';
export const GITHUB_DARK_BG = '#0d1117';

export function parseColour(c: string): [number, number, number] {
  const s = c.trim().toLowerCase();
  let m = /^#([0-9a-f]{3})$/.exec(s);
  if (m) return [...m[1]!].map((d) => parseInt(d + d, 16)) as [number, number, number];
  m = /^#([0-9a-f]{6})$/.exec(s);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1]!.slice(i, i + 2), 16)) as [number, number, number];
  m = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)\s*(?:[,/]\s*([\d.]+%?)\s*)?\)$/.exec(s);
  if (m) {
    if (m[4] !== undefined && parseFloat(m[4]) < (m[4].endsWith('%') ? 100 : 1))
      throw new Error(`a translucent colour has no single contrast: ${c}`);
    return [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  throw new Error(`not a colour: ${c}`);
}

function luminance(c: string): number {
  const [r, g, b] = parseColour(c).map((v) => {
    const x = v / 255;
    return x <= 0.04045 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

export function contrast(a: string, b: string): number {
  const [la, lb] = [luminance(a), luminance(b)];
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}
