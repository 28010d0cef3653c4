// The export of a BERT checkpoint is the generic one (src/models/export.ts).
export { buildInferenceGraph, writeModelDir, type ExportOptions } from '../export.js';
