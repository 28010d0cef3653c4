// Parses Mermaid diagrams with Mermaid's own parser (mermaid.parse) in plain Node. Mermaid
// sanitises labels with DOMPurify, which needs a DOM: jsdom provides the window. Reads a JSON
// array of diagram texts on stdin, prints a JSON array of { ok, type?, error? } on stdout.
import { JSDOM } from 'jsdom';

const { window } = new JSDOM('');
globalThis.window = window;
globalThis.document = window.document;
const { default: mermaid } = await import('mermaid');

let input = '';
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const text of JSON.parse(input)) {
  try {
    const r = await mermaid.parse(text);
    results.push({ ok: true, type: r.diagramType });
  } catch (e) {
    results.push({ ok: false, error: String(e?.message ?? e) });
  }
}
process.stdout.write(JSON.stringify(results));
