import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { flagsFor } from '../../src/config/schema.js';
import { EXTRA_INPUTS, OUTPUTS, renderActionYml } from '../../src/action/metadata.js';

const committed = readFileSync(new URL('../../action.yml', import.meta.url), 'utf8');

describe('action.yml', () => {
  test('matches the flag schema (run `npm run build` to regenerate)', () => {
    expect(committed).toBe(renderActionYml());
  });

  test('parses as YAML with every action flag as an input: name, description, default', () => {
    const doc = parse(committed);
    const flags = flagsFor('action', 'any');
    expect(Object.keys(doc.inputs)).toEqual([...flags.map((f) => f.name), ...EXTRA_INPUTS.map((e) => e.name)]);
    for (const f of flags) {
      expect(doc.inputs[f.name].description).toBe(f.help);
      if (f.name === 'github_token') expect(doc.inputs[f.name].default).toBe('${{ github.token }}');
      // no default where unset means the checkpoint's value (max_length in mode predict/evaluate)
      else if (f.checkpointDefault) expect(doc.inputs[f.name].default).toBeUndefined();
      else expect(doc.inputs[f.name].default).toBe(f.default === undefined ? undefined : String(f.default));
    }
    for (const name of [
      'train_file',
      'valid_file',
      'test_file',
      'max_epochs',
      'gpus',
      'batch_size',
      'learning_rate',
      'datastore',
      'datastore_version',
      'datastore_sha256',
      'model_name_or_path',
      'github_token',
      'artifact_name',
      'retention_days',
      'save_checkpoints',
      'allow_cpu_fallback',
    ])
      expect(doc.inputs).toHaveProperty(name);
    expect(doc.inputs.learning_rate.default).toBe('0.00002');
    expect(Object.keys(doc.outputs)).toEqual(Object.keys(OUTPUTS));
    expect(Object.keys(doc.outputs).slice(0, 7)).toEqual([
      'accuracy',
      'f1',
      'loss',
      'checkpoint_dir',
      'artifact_id',
      'artifact_url',
      'report_path',
    ]);
    expect(doc.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
    expect(doc.branding).toEqual({ icon: 'cpu', color: 'purple' });
  });
});
