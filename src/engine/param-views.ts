// Parameters as the forward pass sees them, cut out of the state buffers of a StateLayout: a
// parameter in a packed group is a Slice of the group's buffer, reshaped (ONNX has no views, so
// this is one copy per step); a parameter with a buffer of its own is the buffer itself. Views are
// emitted on first use, and `joined` gives parameters that are adjacent in a buffer (a layer's
// query/key/value weights) as one Slice, so a fused Gemm needs no Concat. After the forward pass,
// `gradients` turns the gradients of the views back into one gradient per state buffer. A parameter
// held in row shards (over a device's buffer limit: state-layout.ts) has no whole view: the forward
// pass reads it through `rowShards` (Emitter.rows), each shard's buffer as it is.
import { gradients as autodiff } from '../autodiff/backward.js';
import { GraphBuildError, type Graph, type Value } from '../onnx/graph.js';
import { sumOf } from '../onnx/op-helpers.js';
import type { StateGroup, StateLayout } from './state-layout.js';

interface View {
  value: Value;
  group: number;
  start: number;
  end: number;
}

export class ParamViews extends Map<string, Value> {
  private readonly made: View[] = [];
  private readonly joins = new Map<string, Value>();
  private readonly groupIndex: Map<StateGroup, number>;

  constructor(
    readonly g: Graph,
    readonly layout: StateLayout,
    /** One value per layout group, in layout order. */
    readonly buffers: readonly Value[],
  ) {
    super();
    if (buffers.length !== layout.groups.length)
      throw new Error(`internal: ${buffers.length} state buffers for ${layout.groups.length} groups`);
    this.groupIndex = new Map(layout.groups.map((grp, i) => [grp, i]));
  }

  override has(name: string): boolean {
    return this.layout.pieces.has(name);
  }

  override get(name: string): Value | undefined {
    const cached = super.get(name);
    if (cached) return cached;
    const pieces = this.layout.pieces.get(name);
    if (!pieces) return undefined;
    if (pieces.length > 1)
      throw new GraphBuildError(
        `parameter '${name}' is held in ${pieces.length} row shards (it is over the device's buffer limit) and can only be read by rows (Emitter.rows)`,
      );
    const slot = pieces[0];
    const v = this.cut(this.groupIndex.get(slot.group)!, slot.offset, slot.offset + slot.size, slot.spec.shape);
    super.set(name, v);
    return v;
  }

  /**
   * The row shards of `name` (each shard's buffer as it is, with its first row and row count), or
   * undefined when the parameter is whole.
   */
  rowShards(name: string): { value: Value; start: number; rows: number }[] | undefined {
    const pieces = this.layout.pieces.get(name);
    if (!pieces || pieces.length === 1) return undefined;
    return pieces.map((s) => ({
      value: this.cut(this.groupIndex.get(s.group)!, 0, s.size, s.group.shape),
      start: s.rows!.start,
      rows: s.rows!.count,
    }));
  }

  /**
   * The parameters `names` concatenated along axis 0 (their other dims must agree): one Slice when
   * they are adjacent, in order, in one packed buffer; otherwise a Concat of their views.
   */
  joined(names: readonly string[]): Value {
    const key = names.join('\n');
    let v = this.joins.get(key);
    if (!v) {
      v = this.join(names);
      this.joins.set(key, v);
    }
    return v;
  }

  private join(names: readonly string[]): Value {
    const slots = names.map((n) => {
      const s = this.layout.pieces.get(n);
      if (!s) throw new GraphBuildError(`joined parameters: '${n}' is not a parameter`);
      if (s.length > 1) throw new GraphBuildError(`joined parameters: '${n}' is held in row shards`);
      return s[0];
    });
    const rest = slots[0].spec.shape.slice(1);
    for (const s of slots) {
      if (s.spec.shape.length !== rest.length + 1 || s.spec.shape.slice(1).some((d, i) => d !== rest[i]))
        throw new GraphBuildError(
          `joined parameters: '${s.spec.name}' [${s.spec.shape}] does not join '${slots[0].spec.name}' [${slots[0].spec.shape}] along axis 0`,
        );
    }
    const rows = slots.reduce((a, s) => a + s.spec.shape[0], 0);
    const adjacent = slots.every(
      (s, i) =>
        !s.group.single &&
        s.group === slots[0].group &&
        (i === 0 || s.offset === slots[i - 1].offset + slots[i - 1].size),
    );
    if (slots.length > 1 && adjacent) {
      const first = slots[0];
      const last = slots[slots.length - 1];
      return this.cut(this.groupIndex.get(first.group)!, first.offset, last.offset + last.size, [rows, ...rest]);
    }
    const parts = names.map((n) => this.get(n)!);
    return parts.length === 1 ? parts[0] : this.g.op('Concat', parts, { axis: 0 });
  }

  /**
   * d loss / d buffer for every state buffer, in layout order: the gradients of the views used by
   * the forward pass put back in place (a Concat for a packed buffer).
   */
  gradients(loss: Value): Value[] {
    const views = this.made;
    const grads = this.viewGradients(loss);
    const { g } = this;
    return this.layout.groups.map((grp, gi) => {
      const mine = views.map((v, i) => ({ ...v, grad: grads[i] })).filter((v) => v.group === gi);
      const missing = grp.params.find((s) => !mine.some((v) => v.start <= s.offset && s.offset + s.size <= v.end));
      if (missing)
        throw new GraphBuildError(
          `gradients: parameter '${missing.spec.name}' is not used by the forward pass (every parameter must reach the loss)`,
        );
      if (grp.single)
        return sumOf(
          g,
          mine.map((v) => v.grad),
        );
      const flat = (v: (typeof mine)[number]) => g.op('Reshape', [v.grad, g.ints([v.end - v.start])]);
      mine.sort((a, b) => a.start - b.start);
      const disjoint = mine.every((v, i) => i === 0 || v.start >= mine[i - 1].end);
      if (disjoint) {
        // Views cover the buffer exactly once: their gradients, in buffer order.
        const parts = mine.map(flat);
        return parts.length === 1 ? parts[0] : g.op('Concat', parts, { axis: 0 });
      }
      // A parameter seen through several views (alone and joined): sum its pieces.
      const perParam = grp.params.map((s) => {
        const pieces = mine
          .filter((v) => v.start <= s.offset && s.offset + s.size <= v.end)
          .map((v) =>
            v.start === s.offset && v.end === s.offset + s.size
              ? flat(v)
              : g.op('Slice', [
                  flat(v),
                  g.ints([s.offset - v.start]),
                  g.ints([s.offset - v.start + s.size]),
                  g.ints([0]),
                ]),
          );
        return sumOf(g, pieces);
      });
      return perParam.length === 1 ? perParam[0] : g.op('Concat', perParam, { axis: 0 });
    });
  }

  private viewGradients(loss: Value): Value[] {
    if (!this.made.length) return [];
    try {
      return autodiff(
        loss,
        this.made.map((v) => v.value),
      );
    } catch (e) {
      // Autodiff names the graph value; say which parameters that view holds.
      if (!(e instanceof GraphBuildError)) throw e;
      let msg = e.message;
      for (const v of this.made) {
        const names = this.layout.groups[v.group].params
          .filter((s) => s.offset >= v.start && s.offset + s.size <= v.end)
          .map((s) => s.spec.name);
        msg = msg.replace(`parameter '${v.value.name}'`, `parameter '${names.join("', '")}'`);
      }
      throw new GraphBuildError(msg);
    }
  }

  private cut(gi: number, start: number, end: number, shape: number[]): Value {
    const grp = this.layout.groups[gi];
    const buffer = this.buffers[gi];
    let v: Value;
    if (start === 0 && end === grp.size) {
      // The whole buffer: no copy (a Reshape when the shapes differ, which ORT does in place).
      const same = buffer.shape.length === shape.length && buffer.shape.every((d, i) => d === shape[i]);
      v = same ? buffer : this.g.op('Reshape', [buffer, this.g.ints(shape)]);
    } else {
      const { g } = this;
      v = g.op('Reshape', [g.op('Slice', [buffer, g.ints([start]), g.ints([end]), g.ints([0])]), g.ints(shape)]);
    }
    if (!this.made.some((m) => m.value === v)) this.made.push({ value: v, group: gi, start, end });
    return v;
  }
}
