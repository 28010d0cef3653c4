// action.yml is generated from the flag schema (build.mjs writes it; a test fails on drift), so
// the action's inputs, the CLI flags and `/train` arguments can never disagree.
import { flagsFor, type FlagSpec } from '../config/schema.js';

/** Inputs the action reads that are not training flags (runner plumbing). */
export const EXTRA_INPUTS: { name: string; help: string; default?: string }[] = [];

export const OUTPUTS: Record<string, string> = {
  accuracy:
    'Final accuracy (test split, else the validation of the epoch checkpoints/final holds; multi-label: subset accuracy; mode evaluate: of the input)',
  f1: 'Final macro F1 (test split, else the validation of the epoch checkpoints/final holds; mode evaluate: of the input)',
  loss: 'Final loss (test split, else the validation of the epoch checkpoints/final holds; mode evaluate: of the input)',
  checkpoint_dir:
    'Local directory of the final checkpoint (the best epoch by monitor unless test_on is last; the interrupted one when cancelled); resume_from accepts it',
  artifact_id: 'ID of the uploaded artifact',
  artifact_url: 'URL of the uploaded artifact',
  report_path: 'Local path of report.md (the job summary text)',
  resumed_from: 'The checkpoint a re-run continued from (resume: auto), when it did',
  hub_commit_url: 'push_to_hub: the Hugging Face Hub commit of the pushed model, when the push landed',
  // mode: predict / evaluate
  predictions_path: 'mode predict: local path of the predictions file',
  rows: 'mode predict / evaluate: number of rows scored',
  // mode: chatops (src/github/chatops.ts)
  accepted: 'mode chatops: true when the /train comment was accepted',
  reason: 'mode chatops: why the comment was not accepted',
  flags: 'mode chatops: the accepted /train flags as JSON',
  head_sha: 'mode chatops: head commit of the pull request to check out',
  head_ref: 'mode chatops: head branch of the pull request',
  pr_number: 'mode chatops: the pull request number',
  // mode: plan / aggregate (src/github/sweep*.ts)
  matrix: 'mode plan: the sweep as JSON for strategy.matrix',
  trials: 'mode plan/aggregate: number of sweep trials',
  best: 'mode aggregate: artifact name of the best trial',
};

/** Input defaults as the runner should see them; the token defaults to the workflow token. */
export function inputDefault(s: FlagSpec): string | undefined {
  if (s.name === 'github_token') return '${{ github.token }}';
  // Unset means the checkpoint's value for some modes: the runner must pass '' then, not a default.
  if (s.checkpointDefault) return undefined;
  return s.default === undefined ? undefined : String(s.default);
}

/** Renders action.yml. JSON strings are valid YAML double-quoted scalars, so no YAML library. */
export function renderActionYml(): string {
  const q = JSON.stringify;
  const lines = [
    '# Generated from src/config/schema.ts and src/action/metadata.ts by `npm run build`; do not edit.',
    `name: ${q('textclf: fine-tune transformer text classifiers')}`,
    `description: ${q('Fine-tune BERT, RoBERTa, DistilBERT or ModernBERT text classifiers on ONNX Runtime (CPU, WebGPU or CUDA): datastore, training, metrics, job summary, checkpoints as artifacts')}`,
    `author: ${q('textclf-action')}`,
    'branding:',
    '  icon: "cpu"',
    '  color: "purple"',
    'inputs:',
  ];
  const input = (name: string, help: string, def: string | undefined) => {
    lines.push(`  ${name}:`, `    description: ${q(help)}`, '    required: false');
    if (def !== undefined) lines.push(`    default: ${q(def)}`);
  };
  for (const s of flagsFor('action', 'any')) input(s.name, s.help, inputDefault(s));
  for (const e of EXTRA_INPUTS) input(e.name, e.help, e.default);
  lines.push('outputs:');
  for (const [name, desc] of Object.entries(OUTPUTS)) lines.push(`  ${name}:`, `    description: ${q(desc)}`);
  lines.push('runs:', '  using: "node24"', '  main: "dist/index.js"', '');
  return lines.join('\n');
}
