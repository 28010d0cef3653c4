// Mermaid's own parser for the diagrams we emit (see mermaid-parse.mjs: a child Node process,
// because mermaid needs a DOM shim and is ESM-only; one process parses all blocks of a test).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'mermaid-parse.mjs');

export interface MermaidResult {
  ok: boolean;
  type?: string;
  error?: string;
}

/** The ```mermaid blocks of a markdown text. */
export function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

export function parseMermaid(diagrams: string[]): MermaidResult[] {
  const r = spawnSync(process.execPath, [SCRIPT], {
    input: JSON.stringify(diagrams),
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  if (r.status !== 0) throw new Error(`mermaid-parse.mjs failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as MermaidResult[];
}
