import { renderEvaluation, renderReport } from '../../src/report/markdown.js';
import { md, mdLink } from '../../src/report/escape.js';
import { PIPE_LABEL, runnerMetrics, sampleMetrics } from './fixture.js';

/** Splits a markdown table row on unescaped pipes (what GitHub's table parser does). */
const cells = (row: string) =>
  row
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (let i = first; i < lines.length && lines[i]!.startsWith('|'); i++) rows.push(cells(lines[i]!));
  return rows;
}

function mermaidBlocks(text: string): string[] {
  return [...text.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

describe('renderReport', () => {
  const metrics = sampleMetrics();
  const text = renderReport(metrics, {
    artifacts: [
      {
        name: 'textclf-42-1',
        url: 'https://github.com/o/r/actions/runs/42/artifacts/7',
        files: ['metrics.json', 'checkpoints/epoch-2/model.onnx'],
      },
    ],
  });

  test('header names model, datastore, commit, device and GPU facts', () => {
    const rows = tableAfter(text, '## Text classification');
    const byKey = Object.fromEntries(rows.slice(2).map(([k, v]) => [k, v]));
    expect(byKey.Model).toBe('bert-base-uncased');
    expect(byKey.Datastore).toBe('https://example.test/imdb\\_\\*data\\*.zip');
    expect(byKey.Commit).toBe('abc1234');
    expect(byKey.GPU).toBe('NVIDIA A10G, 23028 MiB, driver 535.104.05');
    expect(byKey.Status).toBe('finished');
    expect(byKey.Parameters).toBe('4,385,920');
  });

  test('final test metrics and best validation epoch', () => {
    const rows = tableAfter(text, '### Test metrics');
    expect(rows[0]).toEqual(['split', 'accuracy', 'precision', 'recall', 'F1', 'loss', 'samples']);
    expect(rows[2]!.slice(0, 2)).toEqual(['test', '92.00%']);
    expect(rows[2]![5]).toBe('0.3333');
    expect(rows[2]![6]).toBe('100');
    expect(text).toContain('### Best validation epoch: 2\n\naccuracy 89.00%, F1 ');
  });

  test('per-epoch table has one row per epoch, best epoch in bold', () => {
    const rows = tableAfter(text, '### Epochs');
    expect(rows).toHaveLength(2 + 3);
    expect(rows.slice(2).map((r) => r[0])).toEqual(['1', '**2**', '3']);
    expect(rows[2]).toEqual(['1', '19', '0.9123', '0.6543', '78.00%', expect.any(String), '40.2']);
  });

  test('loss and accuracy curves as Mermaid xychart-beta with the epoch values', () => {
    const [loss, acc] = mermaidBlocks(text);
    expect(loss).toMatch(/^%%\{init: .*\}%%\nxychart-beta\n/);
    expect(loss).toContain('x-axis "epoch" [1, 2, 3]');
    expect(loss).toContain('line "train" [0.9123, 0.5012, 0.3111]');
    expect(loss).toContain('line "validation" [0.6543, 0.4012, 0.4511]');
    expect(acc).toContain('line "validation" [0.78, 0.89, 0.85]');
    expect(acc).toContain('y-axis "accuracy" 0 --> 1');
  });

  test('confusion matrix with escaped label headers and counts', () => {
    const rows = tableAfter(text, '### Confusion matrix (test)');
    expect(rows[0]).toHaveLength(4);
    expect(rows[0]![1]).toBe(md(PIPE_LABEL));
    expect(rows.slice(2).map((r) => r.slice(1).map(Number))).toEqual(metrics.test!.confusion);
  });

  test('many labels: the most frequent confusions instead of an unreadable (and oversized) matrix', () => {
    const k = 400;
    const labels = Array.from({ length: k }, (_, i) => `label-${i}`);
    const confusion: number[][] = labels.map((_, t) => labels.map((__, p) => (t === p ? 50 : 0)));
    confusion[7]![3] = 9;
    confusion[1]![2] = 4;
    const m = sampleMetrics({ labels });
    m.test = { ...m.test!, confusion, perClass: [] };
    const big = renderReport(m);
    expect(big).not.toContain('### Confusion matrix');
    expect(big).toContain('400 labels: the full matrix is in metrics.json.');
    expect(tableAfter(big, '### Most frequent confusions (test)').slice(2)).toEqual([
      ['label-7', 'label-3', '9'],
      ['label-1', 'label-2', '4'],
    ]);
    expect(big.length).toBeLessThan(200_000); // the full 400 x 400 matrix alone would be ~700 KB
  });

  test('dataset stats, wall time, throughput, device and artifact links', () => {
    const rows = tableAfter(text, '### Dataset');
    expect(rows[2]!.slice(0, 2)).toEqual(['train', '300']);
    expect(rows[2]![3]).toBe('812 / 2011 / 4100 / 5230');
    // a record without phases: the sentence alone
    expect(text).toContain(
      '### Time\n\n2m 5s in all, 57 optimizer steps, 123.5 training samples/s, on cpu (NVIDIA A10G).\n\n',
    );
    expect(text).not.toContain('| phase |');
    expect(text).toContain(
      '- [textclf-42-1](https://github.com/o/r/actions/runs/42/artifacts/7): metrics.json, checkpoints/epoch-2/model.onnx',
    );
  });

  test('user strings never become HTML, break tables, or leak secrets', () => {
    expect(text).not.toContain('<img');
    expect(text).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(text).not.toContain(PIPE_LABEL);
    expect(text).not.toContain('ghs_SECRETVALUE123');
    expect(text).not.toContain('github\\_token');
    // Every table row in the document has as many cells as its header.
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      if (lines[i]!.startsWith('|') && !lines[i - 1]?.startsWith('|')) {
        const width = cells(lines[i]!).length;
        for (let j = i; lines[j]?.startsWith('|'); j++) expect([j, cells(lines[j]!).length]).toEqual([j, width]);
      }
    }
    // Only the two fixed details blocks carry HTML tags.
    expect(text.match(/<[a-z]/g)).toEqual(['<d', '<s', '<d', '<s']);
  });

  test('a cancelled run without test split says so', () => {
    const t = renderReport(
      sampleMetrics({ test: undefined, run: { ...sampleMetrics().run, cancelled: true, finishedAt: undefined } }),
    );
    expect(t).toContain('No test split was evaluated.');
    expect(tableAfter(t, '## Text classification').find((r) => r[0] === 'Status')![1]).toBe(
      'cancelled (checkpoint saved)',
    );
    expect(t).toContain('### Confusion matrix (validation, epoch 2)');
  });
});

describe('escaping', () => {
  test('md escapes markup, pipes, mentions, math and newlines', () => {
    expect(md('a|b')).toBe('a&#124;b');
    expect(md('<b>x</b>')).toBe('&lt;b&gt;x&lt;/b&gt;');
    // An entity (&#64;) would still ping: GitHub finds mentions after decoding. A zero-width space does not.
    expect(md('@octocat #1')).toBe('@\u200boctocat &#35;1');
    expect(md('$x^2$')).toBe('\\$x^2\\$');
    expect(md('*x* _y_ `z` [l](u)')).toBe('\\*x\\* \\_y\\_ \\`z\\` \\[l\\](u)');
    expect(md('two\nlines')).toBe('two lines');
  });
  test('md leaves what cannot be markup byte for byte (so the runner’s log masks still match)', () => {
    // `&` only where it would start an entity; `@` after a word character is no mention on GitHub.
    expect(md('&amp; &#35; &#x40; &nbsp;')).toBe('&amp;amp; &amp;&#35;35; &amp;&#35;x40; &amp;nbsp;');
    expect(md('a=1&b=2 & c')).toBe('a=1&b=2 & c');
    expect(md('https://user:pw@host.example/d.zip?sig=x&se=2030')).toBe(
      'https://user:pw@host.example/d.zip?sig=x&se=2030',
    );
    expect(md('me@example.com, @octocat, (@octo-org/admins), x@@y')).toBe(
      'me@example.com, @\u200boctocat, (@\u200bocto-org/admins), x@@\u200by',
    );
  });
  test('mdLink only links http(s) and keeps parentheses out of the target', () => {
    expect(mdLink('x', 'javascript:alert(1)')).toBe('x');
    expect(mdLink('x', 'https://a.test/p(1) q')).toBe('[x](https://a.test/p%281%29%20q)');
  });

  test('Time: copies vs compute per kind of run (bytes through host memory, seconds outside/inside session.run)', () => {
    const c = (runs: number, up: number, down: number, host: number, run: number) => ({
      runs,
      uploadBytes: up * runs,
      downloadBytes: down * runs,
      hostSeconds: host * runs,
      runSeconds: run * runs,
      perRun: { uploadBytes: up, downloadBytes: down, hostSeconds: host, runSeconds: run },
    });
    const base = sampleMetrics();
    const withCopies = renderReport({
      ...base,
      run: {
        ...base.run,
        transfers: {
          state: 'device',
          stateBytes: 1.31 * 2 ** 30,
          train: c(100, 1016, 8, 0.0004, 0.25),
          eval: c(4, 2048, 96, 0.001, 0.05),
          readback: c(1, 0, 1.31 * 2 ** 30, 0.002, 1.5),
          upload: c(1, 1.31 * 2 ** 30, 0, 0.001, 1.2),
        },
      },
    });
    // collapsed, after one plain sentence
    expect(withCopies).toContain(
      '<details><summary>Engine: copies between host memory and the device</summary>\n\nEach row is one kind of call into ONNX Runtime: the bytes it copies between host memory and the model (the training state, 1.31 GiB, stays on the device between calls: only batches and scalars are uploaded) and its time outside the call (preparing inputs, reading results) and inside it (compute plus those copies); a large outside share means the host, not the device, limits the speed.\n\n| calls |',
    );
    const rows = tableAfter(withCopies, 'Engine: copies');
    expect(rows[0]).toEqual(['calls', 'count', 'host → model', 'model → host', 'outside the call', 'inside the call']);
    expect(rows.slice(2)).toEqual([
      ['train', '100', '1016 B', '8 B', '0.40 ms (0.04 s)', '250.0 ms (25.00 s)'],
      ['eval', '4', '2.0 KiB', '96 B', '1.00 ms (0.00 s)', '50.0 ms (0.20 s)'],
      ['state readback', '1', '0 B', '1.31 GiB', '2.00 ms (0.00 s)', '1500.0 ms (1.50 s)'],
      ['state upload', '1', '1.31 GiB', '0 B', '1.00 ms (0.00 s)', '1200.0 ms (1.20 s)'],
    ]);
    // The host path says the state crosses every run; kinds that never ran have no row.
    const host = renderReport({
      ...base,
      run: {
        ...base.run,
        transfers: { state: 'host', stateBytes: 3 * 2 ** 20, train: c(2, 3 * 2 ** 20, 3 * 2 ** 20, 0.01, 1) },
      },
    });
    expect(host).toContain('(the training state, 3.0 MiB, crosses host memory in every training call)');
    expect(host).toMatch(/\| 1000\.0 ms \(2\.00 s\) \|\n\n<\/details>/);
    expect(tableAfter(host, 'Engine: copies').slice(2)).toEqual([
      ['train', '2', '3.0 MiB', '3.0 MiB', '10.0 ms (0.02 s)', '1000.0 ms (2.00 s)'],
    ]);
    expect(renderReport(base)).not.toContain('Engine: copies'); // a record without the numbers has no such section
  });
});

describe('for people: the Time section and no local paths', () => {
  const OUT = '/srv/runner/_work/_temp/run-1';
  const m = runnerMetrics(OUT);
  const text = renderReport(m, { cwd: '/srv/runner/_work/repo/repo' });

  test('Time: wall time split into phases with their shares, provisioning included, the rest named', () => {
    // 125 s of run + 14.2 s provisioning = 139.2 s
    expect(text).toContain(
      '### Time\n\n2m 19s in all, 57 optimizer steps, 123.5 training samples/s, on cpu (NVIDIA A10G).',
    );
    expect(tableAfter(text, '| phase |')).toEqual([
      ['phase', 'time', 'share'],
      ['---', '---', '---'],
      ['provisioning (onnxruntime-node, before the run)', '14.2 s', '10%'],
      ['download (datastore, model)', '3.5 s', '3%'],
      ['tokenizing', '6.3 s', '4%'],
      ['setup (device, weights, training graph)', '2.0 s', '1%'],
      ['training (optimizer steps)', '1m 35s', '68%'],
      ['evaluation (validation, test)', '12.1 s', '9%'],
      ['checkpoints', '4.4 s', '3%'],
      // what no phase covers: 139.2 s - 137.75 s
      ['writing results, other', '1.4 s', '1%'],
      ['**total**', '**2m 19s**', '100%'],
    ]);
    // a CLI run has no provisioning row; a phase under 1% says <1%
    const cli = renderReport(
      runnerMetrics(OUT, { run: { ...m.run, phases: { ...m.run.phases, provisioning: undefined, download: 0.2 } } }),
    );
    expect(cli).not.toContain('provisioning');
    expect(cli).toContain('| download (datastore, model) | 0.2 s | <1% |');
  });

  test('report.md names the model by its directory, outputs relative to the output dir, inputs to the working directory', () => {
    expect(text.match(/\/srv\/runner/g)).toBeNull();
    expect(text).toContain('## Text classification: tiny-bert\n');
    expect(text).toContain('| Model | tiny-bert |');
    expect(text).toContain('checkpoint checkpoints/epoch-2');
    expect(text).toContain(
      '| Why this device | device auto with gpus=1: CUDA cannot run (libcudart.so.12 is not in …/cuda/lib64): the CPU |',
    );
    const flags = Object.fromEntries(tableAfter(text, '| flag | value |').slice(2));
    expect(flags['output\\_dir']).toBe('…/\\_temp/run-1');
    expect(flags['predictions\\_file']).toBe('predictions.csv');
    expect(flags['model\\_name\\_or\\_path']).toBe('…/models/tiny-bert');
    expect(flags['cache\\_dir']).toBe('…/hostedtoolcache/textclf');
    expect(flags.datastore).toBe('https://example.test/imdb.zip');
    // inside the working directory: relative to it
    const inRepo = renderReport(m, { cwd: '/home/runner/work/repo/repo' });
    expect(Object.fromEntries(tableAfter(inRepo, '| flag | value |').slice(2))['model\\_name\\_or\\_path']).toBe(
      'models/tiny-bert',
    );
    // metrics.json keeps the full paths for machines
    expect(m.run.flags.output_dir).toBe(OUT);
    expect(m.epochs[1]!.checkpoint).toBe(`${OUT}/checkpoints/epoch-2`);
  });
});

test('the evaluate job summary names the checkpoint and the input without local paths', () => {
  const m = sampleMetrics().test!;
  const text = renderEvaluation(
    {
      model: '/home/runner/work/_temp/x/checkpoints/final',
      input: '/home/runner/work/r/r/data/test.csv',
      labels: sampleMetrics().labels,
      metrics: m,
    },
    '/home/runner/work/r/r',
  );
  expect(text).toMatch(/^## Evaluation: …\/checkpoints\/final\n\nInput data\/test\.csv\n/);
  expect(text).not.toContain('/home/');
});
