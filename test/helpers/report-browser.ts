// What a person sees of our markdown (report.md, the job summary, the PR comment): rendered as
// GitHub renders it, with `marked` (GFM) and Mermaid 11's browser bundle, in Debian's headless
// Chromium driven by puppeteer-core, once in GitHub's light colours (Mermaid's default theme on
// #ffffff) and once in its dark ones (Mermaid's dark theme on #0d1117). Nothing downloads a
// browser: a missing /usr/bin/chromium is an error that says how to install it, never a skip.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { marked } from 'marked';
import puppeteer, { type Browser } from 'puppeteer-core';
import { contrast, GITHUB_DARK_BG, GITHUB_LIGHT_BG } from './contrast.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.TEXTCLF_CHROMIUM ?? '/usr/bin/chromium';
const MERMAID = join(repo, 'node_modules', 'mermaid', 'dist', 'mermaid.min.js');
const PAGE_SCRIPT = fileURLToPath(new URL('./report-page.js', import.meta.url));
/** Kept by CI (gitignored): the rendered pages, one PNG per document and theme. */
export const SCREENSHOTS = join(repo, 'test-output', 'screenshots');

export type Theme = 'light' | 'dark';
export const THEMES: Record<Theme, { mermaid: string; background: string; text: string; border: string }> = {
  light: { mermaid: 'default', background: GITHUB_LIGHT_BG, text: '#1f2328', border: '#d1d9e0' },
  dark: { mermaid: 'dark', background: GITHUB_DARK_BG, text: '#f0f6fc', border: '#3d444d' },
};

export interface RenderedLine {
  /** Computed stroke colour of the plotted path, e.g. rgb(0, 114, 178). */
  stroke: string;
  /** The path's points in SVG coordinates. */
  points: [number, number][];
}

export interface RenderedChart {
  /** The Mermaid source. */
  source: string;
  /** Mermaid's error, when it refused the block. */
  error?: string;
  svg: boolean;
  title?: string;
  lines: RenderedLine[];
  legend: string[];
  /** The chart's own background fill as computed (transparent when the page shows through). */
  background?: string;
  /** Text of the y-axis tick labels, top to bottom as drawn, with their y coordinates. */
  yTicks: { text: string; y: number }[];
}

export interface RenderedDoc {
  name: string;
  theme: Theme;
  /** The page's visible text (tables, paragraphs, summaries) plus every chart's SVG text. */
  text: string;
  /** Every HTML table: rows of cell texts, the header row first. */
  tables: string[][][];
  charts: RenderedChart[];
  /** The PNG of the page, when taken. */
  screenshot?: string;
}

/** Launches Debian's Chromium (fails, with the fix, when it is not installed). */
export async function launchChromium(executablePath = CHROMIUM): Promise<{ browser: Browser; close(): Promise<void> }> {
  if (!existsSync(executablePath))
    throw new Error(
      `Chromium is missing at ${executablePath}: the report's browser tests need Debian's chromium package (apt-get install chromium; .ci/run and npm test's pretest install it). They do not skip and nothing downloads a browser.`,
    );
  const profile = mkdtempSync(join(tmpdir(), 'textclf-chromium-'));
  const browser = await puppeteer.launch({
    executablePath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
    ],
  });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** One page for every document and theme (Mermaid's 3 MB bundle is parsed once). */
function pageHtml(): string {
  const css = (theme: Theme) => {
    const t = THEMES[theme];
    return `body.${theme} { background: ${t.background}; color: ${t.text}; }
      body.${theme} th, body.${theme} td { border: 1px solid ${t.border}; }
      body.${theme} blockquote { border-left: 4px solid ${t.border}; }`;
  };
  // Enough of GitHub's markdown CSS to read the screenshots like the real page.
  return `<!doctype html><html><head><meta charset="utf-8"><style>
    body { margin: 0; }
    article { box-sizing: border-box; max-width: 1012px; padding: 32px;
      font: 16px/1.5 -apple-system, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif; }
    table { border-collapse: collapse; margin: 0 0 16px; }
    th, td { padding: 6px 13px; }
    code { font-family: ui-monospace, monospace; font-size: 85%; }
    blockquote { margin: 0; padding: 0 1em; }
    .mermaid svg { max-width: 100%; }
    ${css('light')}
    ${css('dark')}
  </style></head><body><article id="doc"></article></body></html>`;
}

/** report-page.js, in the page. */
interface PageScript {
  textclfRender(html: string, pageTheme: string, mermaidTheme: string): Promise<unknown>;
}

export interface RenderOptions {
  themes?: Theme[];
  /** Full-page PNGs in SCREENSHOTS (`<name>-<theme>.png`): of every document (default), of those named, or none. */
  screenshots?: boolean | string[];
}

/** Renders each document in each theme and returns what the page shows. One browser and one page for all. */
export async function renderInBrowser(
  docs: { name: string; markdown: string }[],
  opts: RenderOptions = {},
): Promise<RenderedDoc[]> {
  const themes = opts.themes ?? ['light', 'dark'];
  const shoot = (name: string) =>
    Array.isArray(opts.screenshots) ? opts.screenshots.includes(name) : opts.screenshots !== false;
  if (docs.some((d) => shoot(d.name))) mkdirSync(SCREENSHOTS, { recursive: true });
  const chromium = await launchChromium();
  const out: RenderedDoc[] = [];
  try {
    const page = await chromium.browser.newPage();
    // No request leaves the page: the document, Mermaid and our script are injected.
    await page.setRequestInterception(true);
    page.on('request', (r) => void (r.url() === 'about:blank' ? r.continue() : r.abort()));
    await page.setViewport({ width: 1012, height: 800 });
    await page.setContent(pageHtml());
    await page.addScriptTag({ path: MERMAID });
    await page.addScriptTag({ path: PAGE_SCRIPT });
    for (const theme of themes) {
      for (const doc of docs) {
        const html = await marked.parse(doc.markdown, { gfm: true, async: true });
        const found = (await page.evaluate(
          (html: string, page: string, mermaid: string) =>
            (globalThis as unknown as PageScript).textclfRender(html, page, mermaid),
          html,
          theme,
          THEMES[theme].mermaid,
        )) as Omit<RenderedDoc, 'name' | 'theme' | 'screenshot'>;
        const screenshot = shoot(doc.name) ? join(SCREENSHOTS, `${doc.name}-${theme}.png`) : undefined;
        if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
        out.push({ name: doc.name, theme, ...found, screenshot });
      }
    }
  } finally {
    await chromium.close();
  }
  return out;
}

/** The lowest contrast of any plotted line on the backgrounds it can be seen on in `doc`'s theme. */
export function lineContrasts(
  doc: RenderedDoc,
): { stroke: string; onLight: number; onDark: number; onChart: number }[] {
  return doc.charts.flatMap((c) =>
    c.lines.map((l) => {
      const page = THEMES[doc.theme].background;
      // A transparent chart background shows the page's.
      const chartBg = !c.background || /rgba\(.*,\s*0\)$|transparent/.test(c.background) ? page : c.background;
      return {
        stroke: l.stroke,
        onLight: contrast(l.stroke, GITHUB_LIGHT_BG),
        onDark: contrast(l.stroke, GITHUB_DARK_BG),
        onChart: contrast(l.stroke, chartBg),
      };
    }),
  );
}

/**
 * Absolute local paths in rendered text: the machine's own roots (temp dir, home, working
 * directory, and any `known` directory such as a run's output dir), and any `/x/y`-shaped or
 * `C:\` path that is not part of a URL or an elided `…/x/y` display.
 */
export function absolutePathsIn(text: string, known: string[] = []): string[] {
  const found = new Set<string>();
  for (const root of [tmpdir(), homedir(), process.cwd(), ...known])
    if (root.length > 1 && text.includes(root)) found.add(root);
  for (const m of text.matchAll(/(?<![\w.…:/\\-])\/[^\s/]+\/[^\s]*/g)) found.add(m[0]);
  for (const m of text.matchAll(/(?<![\w])[A-Za-z]:\\[^\s]*/g)) found.add(m[0]);
  return [...found];
}

/** The table whose header row starts with `head` (the first such table). */
export function findTable(doc: RenderedDoc, ...head: string[]): string[][] | undefined {
  return doc.tables.find((t) => head.every((h, i) => t[0]?.[i] === h));
}

/**
 * How far a chart's drawn line is from plotting `values`: the y pixel of each point must be the
 * same affine function of the value for every point, and each y-axis tick label must sit at the
 * y of its own value on that function. Returns the worst deviation in pixels.
 */
export function plotError(chart: RenderedChart, line: RenderedLine, values: number[]): number {
  if (line.points.length !== values.length) return Infinity;
  // y = a * v + b from the ticks (their labels are numbers; at least two are drawn)
  const ticks = chart.yTicks.map((t) => ({ v: Number(t.text), y: t.y })).filter((t) => Number.isFinite(t.v));
  if (ticks.length < 2) return Infinity;
  const [t0, t1] = [ticks[0]!, ticks[ticks.length - 1]!];
  const a = (t1.y - t0.y) / (t1.v - t0.v);
  const b = t0.y - a * t0.v;
  return Math.max(...values.map((v, i) => Math.abs(a * v + b - line.points[i]![1])));
}
