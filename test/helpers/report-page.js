// Runs in the page (see report-browser.ts): puts rendered markdown into the document, lets Mermaid
// render each ```mermaid block as GitHub does, and reads back what a person sees: the text, the
// tables, and per chart its lines (computed stroke colours, points), legend, background and ticks.
/* global window, document, getComputedStyle */

/** Points and tick labels in the SVG's own coordinates (their groups' transforms applied). */
function points(path) {
  const m = path.getCTM();
  return [...(path.getAttribute('d') ?? '').matchAll(/[ML]\s*(-?[\d.]+)[ ,]+(-?[\d.]+)/g)].map((x) => {
    const [px, py] = [Number(x[1]), Number(x[2])];
    return [m.a * px + m.c * py + m.e, m.b * px + m.d * py + m.f];
  });
}

function middleY(text) {
  const m = text.getCTM();
  const bb = text.getBBox();
  return m.d * (bb.y + bb.height / 2) + m.f;
}

function chartFacts(source, error, svg) {
  return {
    source,
    error,
    svg: !!svg,
    title: svg?.querySelector('.chart-title text')?.textContent ?? undefined,
    lines: [...(svg?.querySelectorAll('g.plot g[class^="line-plot-"] path') ?? [])].map((p) => ({
      stroke: getComputedStyle(p).stroke,
      points: points(p),
    })),
    legend: [...(svg?.querySelectorAll('g.legend text') ?? [])].map((t) => t.textContent ?? ''),
    background: svg?.querySelector('rect.background')
      ? getComputedStyle(svg.querySelector('rect.background')).fill
      : undefined,
    yTicks: [...(svg?.querySelectorAll('g.left-axis g.label text') ?? [])].map((t) => ({
      text: t.textContent ?? '',
      y: middleY(t),
    })),
  };
}

window.textclfRender = async (html, pageTheme, mermaidTheme) => {
  document.body.className = pageTheme; // GitHub's light or dark colours (the page's CSS)
  const root = document.getElementById('doc');
  root.innerHTML = html;
  // GitHub lets the reader open each <details>; open them all for the text and the screenshot.
  for (const d of root.querySelectorAll('details')) d.open = true;
  window.mermaid.initialize({ startOnLoad: false, theme: mermaidTheme, securityLevel: 'strict' });
  const charts = [];
  let n = 0;
  for (const code of [...root.querySelectorAll('pre > code.language-mermaid')]) {
    const source = code.textContent ?? '';
    const box = document.createElement('div');
    box.className = 'mermaid';
    code.parentElement.replaceWith(box);
    const id = `chart-${++n}`;
    let error;
    try {
      box.innerHTML = (await window.mermaid.render(id, source)).svg;
    } catch (e) {
      error = String(e?.message ?? e);
      document.getElementById(`d${id}`)?.remove(); // Mermaid's error drawing, left in the body
    }
    charts.push(chartFacts(source, error, box.querySelector('svg')));
  }
  const tables = [...root.querySelectorAll('table')].map((t) =>
    [...t.querySelectorAll('tr')].map((r) => [...r.querySelectorAll('th, td')].map((c) => c.innerText.trim())),
  );
  const svgText = [...root.querySelectorAll('svg text')].map((t) => t.textContent).join('\n');
  return { text: `${root.innerText}\n${svgText}`, tables, charts };
};
