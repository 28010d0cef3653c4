// How the training state is laid out in tensors. 'flat' (the default): the parameters live in a
// few flat float32 buffers, one per weight-decay group, and every optimizer slot (AdamW's exp_avg,
// exp_avg_sq) is shaped like them; a run feeds and fetches a handful of tensors and the optimizer
// is a handful of elementwise nodes over whole buffers. A large parameter (>= 1M elements) that
// holds at least a quarter of its group (BERT's word embeddings) gets a buffer of its own in its
// own shape, so its view is the buffer itself rather than a per-step copy. 'per-param': one buffer per parameter (the layout before
// flat state; kept to compare against and for experiments).
import type { ParamSpec } from '../optim/types.js';
import { numElements } from '../util/shape.js';

export type LayoutKind = 'flat' | 'per-param';

/** Where one parameter lives: its group and element range there. */
export interface ParamSlot {
  spec: ParamSpec;
  group: StateGroup;
  offset: number;
  size: number;
}

export interface StateGroup {
  /** Unique, used in graph input names: '#decay', '#no_decay', or the parameter name of a buffer of its own. */
  name: string;
  decay: boolean;
  params: ParamSlot[];
  /** Elements in the buffer. */
  size: number;
  /** Tensor shape: [size] for a packed group, the parameter's shape for a parameter alone. */
  shape: number[];
  /** True when the buffer is one parameter in its own shape (its view needs no op). */
  single: boolean;
}

/** A parameter with at least this share of its group's elements, and this many, gets a buffer of its own. */
const OWN_BUFFER_SHARE = 0.25;
const OWN_BUFFER_MIN = 1 << 20;

export class StateLayout {
  readonly slots = new Map<string, ParamSlot>();

  private constructor(
    readonly kind: LayoutKind,
    readonly groups: StateGroup[],
  ) {
    for (const g of groups) for (const s of g.params) this.slots.set(s.spec.name, s);
  }

  static plan(params: readonly ParamSpec[], kind: LayoutKind = 'flat'): StateLayout {
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new Error(`internal: parameter '${p.name}' is listed twice`);
      names.add(p.name);
    }
    if (kind === 'per-param') return new StateLayout(kind, params.map(single));
    const groups: StateGroup[] = [];
    for (const decay of [true, false]) {
      const members = params.filter((p) => p.decay === decay);
      const total = members.reduce((a, p) => a + numElements(p.shape), 0);
      const own = members.filter((p) => {
        const n = numElements(p.shape);
        return members.length > 1 && n >= OWN_BUFFER_MIN && n >= OWN_BUFFER_SHARE * total;
      });
      groups.push(...own.map(single));
      const rest = members.filter((p) => !own.includes(p));
      if (rest.length) groups.push(packed(decay ? '#decay' : '#no_decay', decay, rest));
    }
    return new StateLayout(kind, groups);
  }

  slot(name: string): ParamSlot {
    const s = this.slots.get(name);
    if (!s) throw new Error(`internal: '${name}' is not a parameter of this layout`);
    return s;
  }

  /** One buffer per group from per-parameter values (`fill` decides a missing parameter's values). */
  pack(values: ReadonlyMap<string, Float32Array>, fill: (name: string) => Float32Array | undefined): Float32Array[] {
    return this.groups.map((g) => {
      const out = new Float32Array(g.size);
      for (const s of g.params) {
        const v = values.get(s.spec.name) ?? fill(s.spec.name);
        if (v) out.set(v, s.offset);
      }
      return out;
    });
  }

  /** Copies of every parameter's values out of the group buffers. */
  unpack(buffers: readonly Float32Array[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    this.groups.forEach((g, i) => {
      for (const s of g.params) out.set(s.spec.name, buffers[i].slice(s.offset, s.offset + s.size));
    });
    return out;
  }
}

function single(p: ParamSpec): StateGroup {
  const size = numElements(p.shape);
  const g: StateGroup = { name: p.name, decay: p.decay, params: [], size, shape: [...p.shape], single: true };
  g.params.push({ spec: p, group: g, offset: 0, size });
  return g;
}

function packed(name: string, decay: boolean, members: ParamSpec[]): StateGroup {
  const g: StateGroup = { name, decay, params: [], size: 0, shape: [], single: false };
  for (const p of members) {
    const size = numElements(p.shape);
    g.params.push({ spec: p, group: g, offset: g.size, size });
    g.size += size;
  }
  g.shape = [g.size];
  return g;
}
