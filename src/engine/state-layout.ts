// How the training state is laid out in tensors. 'flat' (the default): the parameters live in a
// few flat float32 buffers, one per weight-decay group, and every optimizer slot (AdamW's exp_avg,
// exp_avg_sq) is shaped like them; a run feeds and fetches a handful of tensors and the optimizer
// is a handful of elementwise nodes over whole buffers. A large parameter (>= 1M elements) that
// holds at least a quarter of its group (BERT's word embeddings) gets a buffer of its own in its
// own shape, so its view is the buffer itself rather than a per-step copy. 'per-param': one buffer
// per parameter (the CPU's default: faster there, see engine/runner.ts).
//
// A device buffer limit (`maxBytes`: WebGPU's binding size) bounds every buffer: packed groups are
// split into several ('#decay', '#decay.1', ...), and a parameter over the limit that the forward
// pass reads by rows only (ParamSpec.rowsOnly: embedding tables) is held in row shards, each a
// buffer of its own ('<name>#shard<i>'): its forward Gather, gradient, AdamW state and update all
// work per shard (Emitter.rows). Any other parameter over the limit cannot be trained there:
// BufferLimitError. Outside the state (pack/unpack, checkpoints, export) a parameter is one tensor.
import type { ParamSpec } from '../optim/types.js';
import { numElements } from '../util/shape.js';
import { BufferLimitError, formatBytes } from './buffer-limits.js';

export type LayoutKind = 'flat' | 'per-param';

/** Where (a piece of) one parameter lives: its group and element range there. */
export interface ParamSlot {
  spec: ParamSpec;
  group: StateGroup;
  offset: number;
  size: number;
  /** The piece's first element within the parameter (0 unless the parameter is in row shards). */
  from: number;
  /** Row shards: the piece's first row and its row count. */
  rows?: { start: number; count: number };
}

export interface StateGroup {
  /** Unique, used in graph input names: '#decay', '#no_decay' (then '.1', ...), a parameter name, or '<name>#shard<i>'. */
  name: string;
  decay: boolean;
  params: ParamSlot[];
  /** Elements in the buffer. */
  size: number;
  /** Tensor shape: [size] for a packed group, the parameter's (or its shard's) shape for a buffer of its own. */
  shape: number[];
  /** True when the buffer is one parameter (or one row shard of it) in its own shape (its view needs no op). */
  single: boolean;
}

export interface LayoutLimits {
  /** The largest buffer the device takes, in bytes (absent: no limit). */
  maxBytes?: number;
  /** Where the limit comes from, for the error message. */
  limitSource?: string;
}

/** A parameter with at least this share of its group's elements, and this many, gets a buffer of its own. */
const OWN_BUFFER_SHARE = 0.25;
const OWN_BUFFER_MIN = 1 << 20;
const BYTES = 4;

export class StateLayout {
  /** Every parameter's pieces, in row order: one, or its row shards. */
  readonly pieces = new Map<string, ParamSlot[]>();
  private readonly groupIndex: Map<StateGroup, number>;

  private constructor(
    readonly kind: LayoutKind,
    readonly groups: StateGroup[],
  ) {
    for (const g of groups)
      for (const s of g.params) {
        const list = this.pieces.get(s.spec.name);
        if (list) list.push(s);
        else this.pieces.set(s.spec.name, [s]);
      }
    for (const list of this.pieces.values()) list.sort((a, b) => a.from - b.from);
    this.groupIndex = new Map(groups.map((g, i) => [g, i]));
  }

  static plan(params: readonly ParamSpec[], kind: LayoutKind = 'flat', limits: LayoutLimits = {}): StateLayout {
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`internal: parameter '${p.name}' is listed twice`);
      names.add(p.name);
    }
    const max = limits.maxBytes !== undefined ? Math.floor(limits.maxBytes / BYTES) : Infinity;
    for (const p of params) {
      if (numElements(p.shape) > max && !p.rowsOnly) throw overLimit(p, limits);
    }
    const own = (p: ParamSpec) => (numElements(p.shape) > max ? shards(p, max, limits) : [single(p)]);
    if (kind === 'per-param') return new StateLayout(kind, params.flatMap(own));
    const groups: StateGroup[] = [];
    for (const decay of [true, false]) {
      const members = params.filter((p) => p.decay === decay);
      const total = members.reduce((a, p) => a + numElements(p.shape), 0);
      const alone = members.filter((p) => {
        const n = numElements(p.shape);
        return n > max || (members.length > 1 && n >= OWN_BUFFER_MIN && n >= OWN_BUFFER_SHARE * total);
      });
      groups.push(...alone.flatMap(own));
      const rest = members.filter((p) => !alone.includes(p));
      groups.push(...packedGroups(decay ? '#decay' : '#no_decay', decay, rest, max));
    }
    return new StateLayout(kind, groups);
  }

  /** The one piece of a parameter that is not in row shards. */
  slot(name: string): ParamSlot {
    const s = this.pieces.get(name);
    if (!s) throw new Error(`internal: '${name}' is not a parameter of this layout`);
    if (s.length !== 1) throw new Error(`internal: '${name}' is held in ${s.length} row shards`);
    return s[0];
  }

  /** The index of `group` in `groups`. */
  indexOf(group: StateGroup): number {
    return this.groupIndex.get(group)!;
  }

  /** One buffer per group from per-parameter values (`fill` decides a missing parameter's values). */
  pack(values: ReadonlyMap<string, Float32Array>, fill: (name: string) => Float32Array | undefined): Float32Array[] {
    return this.groups.map((g) => {
      const out = new Float32Array(g.size);
      for (const s of g.params) {
        const v = values.get(s.spec.name) ?? fill(s.spec.name);
        if (v) out.set(v.subarray(s.from, s.from + s.size), s.offset);
      }
      return out;
    });
  }

  /** Copies of every parameter's values (row shards joined) out of the group buffers. */
  unpack(buffers: readonly Float32Array[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, pieces] of this.pieces) {
      if (pieces.length === 1 && pieces[0].from === 0) {
        const s = pieces[0];
        out.set(name, buffers[this.indexOf(s.group)].slice(s.offset, s.offset + s.size));
        continue;
      }
      const v = new Float32Array(numElements(pieces[0].spec.shape));
      for (const s of pieces) v.set(buffers[this.indexOf(s.group)].subarray(s.offset, s.offset + s.size), s.from);
      out.set(name, v);
    }
    return out;
  }
}

function single(p: ParamSpec): StateGroup {
  const size = numElements(p.shape);
  const g: StateGroup = { name: p.name, decay: p.decay, params: [], size, shape: [...p.shape], single: true };
  g.params.push({ spec: p, group: g, offset: 0, size, from: 0 });
  return g;
}

/** A rows-only parameter over the limit, cut into the fewest row shards that fit, of near-equal size. */
function shards(p: ParamSpec, max: number, limits: LayoutLimits): StateGroup[] {
  const [rows, ...rest] = p.shape;
  const cols = numElements(rest);
  const fit = Math.floor(max / cols);
  if (fit < 1) throw overLimit(p, limits, 'even one row of it is over the limit');
  const count = Math.ceil(rows / fit);
  const per = Math.ceil(rows / count);
  const out: StateGroup[] = [];
  for (let i = 0, start = 0; start < rows; i++, start += per) {
    const n = Math.min(per, rows - start);
    const size = n * cols;
    const g: StateGroup = {
      name: `${p.name}#shard${i}`,
      decay: p.decay,
      params: [],
      size,
      shape: [n, ...rest],
      single: true,
    };
    g.params.push({ spec: p, group: g, offset: 0, size, from: start * cols, rows: { start, count: n } });
    out.push(g);
  }
  return out;
}

/** Consecutive members packed into buffers of at most `max` elements each. */
function packedGroups(name: string, decay: boolean, members: ParamSpec[], max: number): StateGroup[] {
  const out: StateGroup[] = [];
  let g: StateGroup | undefined;
  for (const p of members) {
    const size = numElements(p.shape);
    if (!g || g.size + size > max) {
      g = { name: out.length ? `${name}.${out.length}` : name, decay, params: [], size: 0, shape: [], single: false };
      out.push(g);
    }
    g.params.push({ spec: p, group: g, offset: g.size, size, from: 0 });
    g.size += size;
    g.shape = [g.size];
  }
  return out;
}

function overLimit(
  p: ParamSpec,
  limits: LayoutLimits,
  why = 'the model reads it whole, so it cannot be sharded',
): BufferLimitError {
  const bytes = numElements(p.shape) * BYTES;
  return new BufferLimitError(
    `parameter '${p.name}' [${p.shape.join(', ')}] is ${formatBytes(bytes)}, over the device's buffer limit of ${formatBytes(limits.maxBytes!)} (${limits.limitSource ?? 'the device'}), and ${why}; train a model whose largest weight fits, or on --device cpu or cuda (no such limit)`,
    { tensor: p.name, bytes, limit: limits.maxBytes! },
  );
}
