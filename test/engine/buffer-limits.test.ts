// A device buffer limit (WebGPU's maxStorageBufferBindingSize) bounds every tensor: packed state
// groups are split to fit, an embedding table over the limit is held and trained in row shards
// (forward Gather, gradient, AdamW state and update per shard), and what cannot fit fails before a
// session opens, naming the tensor, its size, the limit and the fix. A tiny BERT with a 500-row
// word table and an artificial 8 KiB limit, on the CPU EP: training, evaluation, export and resume
// equal the unlimited runner's.
import { checkTensorSizes, BufferLimitError } from '../../src/engine/buffer-limits.js';
import { Runner, type RunnerOptions } from '../../src/engine/runner.js';
import { StateLayout } from '../../src/engine/state-layout.js';
import { familyFor } from '../../src/models/registry.js';
import { TaskModel } from '../../src/models/task.js';
import { initWeights } from '../../src/models/weights.js';
import type { Graph } from '../../src/onnx/graph.js';
import { graphCapsOf, type GraphCaps } from '../../src/runtime/capabilities.js';
import { tinyConfigJson } from '../models/tiny-model.js';
import { tinyBatches } from '../helpers/tiny-task-model.js';

const LIMIT = 8192; // bytes: 2048 float32; the largest whole weight is 32 x 16 = 512 floats, the largest activation 32 x 48
const config = { ...tinyConfigJson(3), vocab_size: 500 }; // word table 500 x 16 = 8000 floats
const family = familyFor(config, 'config.json');
const model = new TaskModel(family.create(family.parseConfig(config, 'config.json'), 3, { dropout: 0.1, seed: 4 }));
const WORDS = 'bert.embeddings.word_embeddings.weight';
const relErr = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-12);
const maxRel = (a: number[], b: number[]) => Math.max(...a.map((v, i) => relErr(v, b[i])));
const limited = (g: GraphCaps): GraphCaps => ({ ...g, maxBufferBytes: LIMIT, limitSource: 'a test limit' });
const BOUNDS = { dims: { batch: 4, seq: 8 }, fix: 'lower --batch_size or --max_length' };

function runner(o: Partial<RunnerOptions> = {}) {
  return Runner.create(model, {
    device: 'cpu',
    optimizer: { kind: 'adamw', weightDecay: 0.01 },
    maxGradNorm: 0.5,
    loop: false,
    params: initWeights(model, 3),
    ...o,
  });
}

/** Every value of the graph (subgraphs too). */
function values(g: Graph) {
  const out = [...g.inputs];
  for (const n of g.nodes) {
    out.push(...n.outputs);
    for (const a of Object.values(n.attrs))
      if (typeof a === 'object' && a && 'nodes' in a) out.push(...values(a as Graph));
  }
  return out;
}

describe('state layout under a buffer limit', () => {
  test.each(['flat', 'per-param'] as const)(
    '%s: every buffer fits; the word table in row shards; pack and unpack give whole parameters',
    (kind) => {
      const layout = StateLayout.plan(model.params, kind, { maxBytes: LIMIT });
      for (const g of layout.groups) expect(g.size * 4).toBeLessThanOrEqual(LIMIT);
      const shards = layout.groups.filter((g) => g.name.startsWith(`${WORDS}#shard`));
      expect(shards.map((g) => [g.name, g.shape])).toEqual([0, 1, 2, 3].map((i) => [`${WORDS}#shard${i}`, [125, 16]]));
      expect(layout.pieces.get(WORDS)!.map((p) => p.rows)).toEqual(
        [0, 125, 250, 375].map((start) => ({ start, count: 125 })),
      );
      if (kind === 'flat') expect(layout.groups.filter((g) => g.name.startsWith('#decay')).length).toBeGreaterThan(1);
      const weights = initWeights(model, 1);
      const back = layout.unpack(layout.pack(weights, () => undefined));
      expect([...back.keys()].sort()).toEqual([...weights.keys()].sort());
      for (const [k, v] of weights) expect(back.get(k)).toEqual(v);
    },
  );

  test('a parameter over the limit that the model reads whole fails, naming it, its size, the limit and the fix', () => {
    const err = (() => {
      try {
        StateLayout.plan(model.params, 'flat', { maxBytes: 1024, limitSource: 'the adapter' });
      } catch (e) {
        return e as BufferLimitError;
      }
    })();
    expect(err).toBeInstanceOf(BufferLimitError);
    expect(err!.message).toMatch(
      /^parameter 'bert\.encoder\.layer\.0\.intermediate\.dense\.weight' \[32, 16\] is 0\.0 MiB \(2,048 bytes\), over the device's buffer limit of 0\.0 MiB \(1,024 bytes\) \(the adapter\), and the model reads it whole.*--device cpu or cuda/,
    );
    expect(err!.detail).toMatchObject({ bytes: 2048, limit: 1024 });
  });
});

describe('training with the word table in row shards (4 KiB limit, CPU EP)', () => {
  test.each([
    ['CPU graphs, flat', graphCapsOf({ kind: 'cpu' }), 'flat'],
    ['CPU graphs, per-param', graphCapsOf({ kind: 'cpu' }), 'per-param'],
    ["webgpu's graphs", graphCapsOf({ kind: 'webgpu' }), 'flat'],
  ] as const)(
    '%s: 8 steps (dropout on), evaluation, export and resume equal the unlimited runner; no tensor over the limit',
    async (_, graphs, layout) => {
      const batches = tinyBatches(model, { count: 10, rows: 4, seq: 8, seed: 21 });
      // ids cover every shard
      const ids = new Set(batches.flatMap((b) => Array.from(b.input_ids.data as BigInt64Array, Number)));
      for (const lo of [0, 125, 250, 375]) expect([...ids].some((i) => i >= lo && i < lo + 125)).toBe(true);
      const plain = await runner({ graphs, layout });
      const sharded = await runner({ graphs: limited(graphs), layout, bounds: BOUNDS });
      const g = sharded.stepGraph.graph;
      // No tensor of the table's size anywhere in the step (forward, gradient, AdamW), none over the limit.
      expect(values(g).filter((v) => v.shape.length === 2 && v.shape[0] === 500)).toEqual([]);
      checkTensorSizes(g, { maxBytes: LIMIT }, BOUNDS);
      const train = async (r: Runner, from: number, to: number) => {
        const out = { losses: [] as number[], norms: [] as number[] };
        for (let i = from; i < to; i++) {
          const s = await r.step([batches[i]], [2e-3]);
          out.losses.push(...s.losses);
          out.norms.push(...s.gradNorms);
        }
        return out;
      };
      const [a, b] = [await train(plain, 0, 8), await train(sharded, 0, 8)];
      expect(maxRel(b.losses, a.losses)).toBeLessThan(1e-5);
      expect(maxRel(b.norms, a.norms)).toBeLessThan(1e-5);
      const [ea, eb] = [await plain.evaluate(batches[9]), await sharded.evaluate(batches[9])];
      expect(relErr(eb.loss!, ea.loss!)).toBeLessThan(1e-5);
      // Export: one tensor per Hugging Face name, the table whole.
      const [sa, sb] = [await plain.exportState(), await sharded.exportState()];
      expect([...sb.params.keys()].sort()).toEqual([...sa.params.keys()].sort());
      expect(sb.params.get(WORDS)!.length).toBe(500 * 16);
      for (const [k, v] of sa.params) {
        // (an attention key bias gets a zero gradient in exact arithmetic, softmax being shift-
        // invariant: AdamW turns its rounding noise into lr-sized steps, different in any other order)
        if (k.endsWith('attention.self.key.bias')) continue;
        const w = sb.params.get(k)!;
        const scale = Math.max(...Array.from(v, Math.abs));
        expect(Math.max(...Array.from(v, (x, i) => Math.abs(x - w[i])))).toBeLessThan(1e-5 * scale);
      }
      // Resume the sharded runner from the unlimited one's state: it continues alike.
      const resumed = await runner({ graphs: limited(graphs), layout });
      resumed.importState(sa);
      const [ca, cb] = [await train(plain, 8, 10), await train(resumed, 8, 10)];
      expect(maxRel(cb.losses, ca.losses)).toBeLessThan(1e-5);
      await Promise.all([plain.release(), sharded.release(), resumed.release()]);
    },
    120_000,
  );

  test('an activation over the limit at the run bounds fails before a session opens, naming it and the fix', async () => {
    const err = await runner({
      graphs: limited(graphCapsOf({ kind: 'webgpu' })),
      bounds: { dims: { batch: 64, seq: 8 }, fix: 'lower --batch_size or --max_length' },
    }).catch((e: unknown) => e as BufferLimitError);
    expect(err).toBeInstanceOf(BufferLimitError);
    // the largest: the fused query/key/value Gemm's [tokens, 3 hidden] = [512, 48] float32 (96 KiB)
    expect((err as BufferLimitError).message).toMatch(
      /^the training step makes a tensor of 0\.1 MiB \(98,304 bytes\) \(float32 \[\(batch\*seq\), 48\] = \[512, 48\] at batch 64, seq 8, Gemm output '.+'\), over the device's buffer limit of 0\.0 MiB \(8,192 bytes\) \(a test limit\); lower --batch_size or --max_length$/,
    );
  });
});
