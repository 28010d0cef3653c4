// The model card (README.md) for the Hub: its YAML parses back to exactly the values we meant, in
// the `yaml` package (YAML 1.2 and 1.1) and in PyYAML's safe_load, which huggingface_hub reads cards
// with (Debian's python3-yaml, a dependency of the python3-torch the parity tests use), whatever the labels, dataset name or config hold (quotes,
// colons, newlines, `---`, <script>, Unicode line separators); no local path; the Hub's model-index
// shape (huggingface_hub's eval_results_to_model_index); base_model and datasets only from the Hub.
import { spawnSync } from 'node:child_process';
import { parse as parseYaml } from 'yaml';
import { renderModelCard, yamlScalar, type ModelCardInput } from '../../src/report/model-card.js';
import type { MetricsFile } from '../../src/metrics/types.js';
import { runnerMetrics, sampleMetrics } from './fixture.js';

/** PyYAML's safe_load of `text`, as JSON. */
function pyYaml(text: string): unknown {
  const r = spawnSync(
    '/usr/bin/python3',
    ['-c', 'import sys, json, yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))'],
    {
      input: text,
      encoding: 'utf8',
    },
  );
  if (r.status !== 0)
    throw new Error(
      `PyYAML (/usr/bin/python3 with python3-yaml, as the parity tests need) failed: ${r.error?.message ?? r.stderr}`,
    );
  return JSON.parse(r.stdout);
}

const HOSTILE = 'a "quoted": label\n---\n<script>alert(1)</script> # not a comment \u2028 \u0085 \\ end';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, read as the tests need
type Yaml = any;

function card(m: MetricsFile, over: Partial<ModelCardInput> = {}): { text: string; meta: Yaml; body: string } {
  const text = renderModelCard({
    metrics: m,
    repoId: 'alice/imdb-bert',
    hubUrl: 'https://huggingface.co',
    files: ['config.json', 'model.safetensors', 'onnx/model.onnx', 'README.md'],
    versions: { textclf: '0.1.0', onnxruntime: '1.30.0', transformersJs: '4.3.1' },
    ...over,
  });
  const fm = /^---\n([\s\S]*?)\n---\n([\s\S]*)$/.exec(text);
  expect(fm).not.toBeNull();
  // the front matter ends at the first line that is exactly ---, as the Hub reads it
  expect(text.split('\n').indexOf('---', 1)).toBe(fm![1].split('\n').length + 1);
  return { text, meta: parseYaml(fm![1]), body: fm![2] };
}

test('hostile labels, dataset name and config are data in YAML 1.2 and 1.1 and inert in the markdown', () => {
  const base = sampleMetrics();
  const labels = [HOSTILE, 'positive', base.labels[2]];
  const m: MetricsFile = {
    ...base,
    labels,
    test: { ...base.test!, perClass: base.test!.perClass.map((c, i) => ({ ...c, label: labels[i] })) },
    run: {
      ...base.run,
      flags: {
        ...base.run.flags,
        datastore: 'hf://datasets/stanfordnlp/imdb@refs%2Fconvert%2Fparquet/plain_text',
        dataset_config: HOSTILE,
      },
    },
  };
  const { text, meta, body } = card(m, { baseModel: 'google-bert/bert-base-uncased' });
  const fm = text.slice(0, text.indexOf('\n---\n', 4));
  for (const version of ['1.1', '1.2'] as const) {
    const again = parseYaml(fm.slice(4), { version });
    expect(again['model-index'][0].results[0].dataset.config).toBe(HOSTILE);
  }
  // what huggingface_hub reads: the same data
  expect(pyYaml(fm.slice(4))).toEqual(meta);
  expect(meta.base_model).toBe('google-bert/bert-base-uncased');
  expect(meta.datasets).toEqual(['stanfordnlp/imdb']);
  expect(meta['model-index'][0].results[0].dataset).toEqual({
    name: 'imdb',
    type: 'stanfordnlp/imdb',
    config: HOSTILE,
    split: 'test',
    revision: 'refs/convert/parquet',
  });
  // markdown: the label is one table cell, no tag, no heading, no second front matter
  expect(body).not.toContain('<script>');
  expect(body).toContain('| a &quot;quoted&quot;: label --- &lt;script&gt;alert(1)&lt;/script&gt; &#35; not a comment');
  expect(body.split('\n')).not.toContain('---');
});

test("the model-index is the Hub's shape and its numbers are metrics.json's exactly", () => {
  const base = sampleMetrics();
  // numbers no rounding leaves alone
  const m = { ...base, test: { ...base.test!, accuracy: 89 / 97, loss: 1e-7 / 3 } };
  const { meta } = card(m);
  expect(meta.library_name).toBe('transformers');
  expect(meta.pipeline_tag).toBe('text-classification');
  expect(meta.base_model).toBeUndefined();
  expect(meta.datasets).toBeUndefined();
  const [entry] = meta['model-index'];
  expect(entry.name).toBe('imdb-bert');
  const [result] = entry.results;
  expect(result.task).toEqual({ type: 'text-classification', name: 'Text Classification' });
  // a URL datastore by its file name (a presigned query never reaches the card)
  expect(result.dataset).toEqual({ name: 'imdb_*data*.zip', type: 'imdb_*data*.zip', split: 'test' });
  const byType = Object.fromEntries(result.metrics.map((x: { type: string; value: number }) => [x.type, x.value]));
  expect(byType).toEqual({
    accuracy: m.test!.accuracy,
    f1: m.test!.f1,
    precision: m.test!.precision,
    recall: m.test!.recall,
    loss: m.test!.loss,
  });
  // without a test split: the validation of the epoch the weights are from
  const noTest = card({ ...m, test: undefined, finalEpoch: 3 }).meta['model-index'][0].results[0];
  expect(noTest.dataset.split).toBe('validation');
  expect(noTest.metrics[0]).toEqual({ type: 'accuracy', value: m.epochs[2].validation!.accuracy, name: 'Accuracy' });
});

test('no local path: a local model and datastore show by their names; flags with paths stay out', () => {
  const m = runnerMetrics('/home/runner/work/repo/out', {
    monitor: { name: 'val_loss', mode: 'min', best: 0.4012 },
    finalEpoch: 2,
    testOn: 'best',
  });
  const { text, meta } = card(m);
  expect(text).not.toMatch(/\/home\/runner|\/opt\/hostedtoolcache/);
  expect(text).toContain('the local model tiny-bert on the imdb dataset');
  expect(meta['model-index'][0].results[0].dataset.name).toBe('imdb');
  expect(text).toContain(
    "Epoch 2 of 3 was the best: it had the lowest val\\_loss (the monitored metric), 0.4012. The weights here are that epoch's (`test_on: best`).",
  );
});

test('usage: transformers.js with the q8 file when pushed (said explicitly: its default differs by runtime), else fp32; multi-label asks for every label', () => {
  const m = sampleMetrics();
  expect(card(m).body).toContain("pipeline('text-classification', 'alice/imdb-bert', { dtype: 'fp32' });");
  const q8 = card(m, { files: ['onnx/model.onnx', 'onnx/model_quantized.onnx'] }).body;
  expect(q8).toContain("pipeline('text-classification', 'alice/imdb-bert', { dtype: 'q8' });");
  expect(q8).toContain("the browser's default");
  const multi = card({ ...m, task: { problemType: 'multi_label_classification', threshold: 0.5 } }).body;
  expect(multi).toContain("await classify('I loved this movie!', { top_k: null })");
  expect(multi).toContain('pipeline("text-classification", model="alice/imdb-bert", top_k=None)');
});

test('YAML scalars read back the same under YAML 1.1 and 1.2 and in PyYAML', () => {
  const values = [
    0.92,
    89 / 97,
    1e-8,
    2.5e-21,
    1e21,
    3,
    -0.5,
    'plain',
    'yes',
    'null',
    '1e3',
    '',
    'tab\there',
    HOSTILE,
    '\u0000\u007f\ufeff\u2029',
  ];
  const doc = values.map((v, i) => `k${i}: ${yamlScalar(v)}`).join('\n');
  const want = Object.fromEntries(values.map((v, i) => [`k${i}`, v]));
  for (const version of ['1.1', '1.2'] as const) expect(parseYaml(doc, { version })).toEqual(want);
  expect(pyYaml(doc)).toEqual(want);
});
