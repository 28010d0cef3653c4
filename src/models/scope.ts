// Parameters declared once, where the module that uses them is built: a Scope hands out Hugging
// Face names (`bert.encoder.layer.0.attention.self.query.weight`) and records each parameter's
// shape and weight-decay rule, so the parameter list is derived from the module tree rather than
// written a second time.
import type { ParamSpec } from '../engine/contract.js';

export class ParamRegistry {
  readonly specs: ParamSpec[] = [];
  private readonly names = new Set<string>();

  add(spec: ParamSpec): void {
    if (this.names.has(spec.name)) throw new Error(`internal: parameter '${spec.name}' is declared twice`);
    this.names.add(spec.name);
    this.specs.push(spec);
  }

  root(): Scope {
    return new Scope(this, '');
  }
}

export class Scope {
  constructor(
    private readonly registry: ParamRegistry,
    readonly prefix: string,
  ) {}

  /** The scope of a submodule (HF attribute name, or a layer index). */
  child(name: string | number): Scope {
    return new Scope(this.registry, this.prefix ? `${this.prefix}.${name}` : String(name));
  }

  /**
   * Declares a parameter and returns its full name. `decay: false` for biases and normalisation
   * weights (the fine-tuning recipe every Trainer uses: no weight decay on them). `rowsOnly`: the
   * module reads it only through Emitter.rows (embedding tables).
   */
  param(name: string, shape: number[], decay: boolean, opts: { rowsOnly?: boolean } = {}): string {
    const full = this.prefix ? `${this.prefix}.${name}` : name;
    this.registry.add({ name: full, shape, decay, ...(opts.rowsOnly && { rowsOnly: true }) });
    return full;
  }
}
