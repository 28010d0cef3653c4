import { prepareDemo } from '../../src/demo/prepare.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { generateDemoSplits } from '../../src/demo/index.js';
import { mulberry32 } from '../../src/util/random.js';
const d = await prepareDemo('/tmp/tokdemo', 1);
const tok = await loadTokenizer(d.model_name_or_path);
const s = generateDemoSplits(1);
const r = mulberry32(1);
const texts = Array.from({ length: 2000 }, () => { let t = ''; while (t.length < 1300) t += s.train[Math.floor(r() * 2000)].review + ' '; return t; });
const SYL = 'ka lo mi nu re ta vo pe si da'.split(' ');
const junk = Array.from({ length: 2000 }, () => Array.from({ length: 250 }, () => SYL[Math.floor(r() * 10)] + SYL[Math.floor(r() * 10)]).join(' '));
for (const [name, set] of [['demo words', texts], ['unknown words', junk]] as const) {
  const t0 = performance.now(); let n = 0;
  for (const t of set) n += tok.encode(t, undefined, 64).ids.length;
  const sec = (performance.now() - t0) / 1000; const mb = set.reduce((a, t) => a + t.length, 0) / 2 ** 20;
  console.log(name, mb.toFixed(2), 'MB in', sec.toFixed(2), 's =', (mb / sec).toFixed(2), 'MB/s');
}
