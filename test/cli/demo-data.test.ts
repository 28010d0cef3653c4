// `textclf demo-data`: the demo's datastore and untrained tiny BERT (what the repo's own `uses: ./`
// workflow trains the action on), usable as --datastore and --model_name_or_path.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { main } from '../../src/cli/main.js';

test('demo-data writes train/valid/test CSVs and a tiny BERT without a classifier, and prints their paths', async () => {
  const out = mkdtempSync(join(tmpdir(), 'textclf-demo-data-'));
  const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    expect(await main(['demo-data', '--output_dir', out, '--seed', '7'])).toBe(0);
    const printed = write.mock.calls.map((c) => String(c[0])).join('');
    expect(printed).toContain(`datastore:          ${join(out, 'data')}`);
    expect(printed).toContain(`model_name_or_path: ${join(out, 'tiny-bert')}`);
    for (const f of ['train.csv', 'valid.csv', 'test.csv']) expect(existsSync(join(out, 'data', f))).toBe(true);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json'])
      expect(existsSync(join(out, 'tiny-bert', f))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'tiny-bert', 'config.json'), 'utf8')).model_type).toBe('bert');
    expect(readFileSync(join(out, 'data', 'train.csv'), 'utf8').split('\n')[0]).toMatch(/review|text/);
    // no training happened: nothing else in the folder
    expect(existsSync(join(out, 'metrics.json'))).toBe(false);
  } finally {
    write.mockRestore();
    rmSync(out, { recursive: true, force: true });
  }
});

test('demo-data refuses training flags (it trains nothing)', async () => {
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    expect(await main(['demo-data', '--max_epochs', '3'])).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0])).join('')).toContain('demo-data takes --output_dir and --seed only');
  } finally {
    err.mockRestore();
  }
});
