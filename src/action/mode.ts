// What the action's entry hands a mode, and what a mode hands back (modes.ts).
import type { FlagsFor } from '../config/schema.js';
import type { OrtRuntime } from '../runtime/provision.js';

/** The action's flags (inputs) for training. */
export type ActionFlags = FlagsFor<'action'>;

export interface MainOptions {
  /** The onnxruntime-node the bootstrap resolved (index.ts). */
  ort?: OrtRuntime;
  /** Seconds between progress lines. */
  progressSeconds?: number;
  /** Seconds the bootstrap spent finding or provisioning onnxruntime-node (the report's Time section). */
  provisioningSeconds?: number;
}

export interface ModeResult {
  outputs: Record<string, string>;
  /** Fails the step once the outputs are set (a failed upload, a quality gate, a cancel). */
  failure?: unknown;
}
