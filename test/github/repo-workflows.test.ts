// The repository's own workflows (.github/workflows): valid for GitHub's workflow parser, CI runs
// .ci/run, the dist check uploads the expected dist/, and the `uses: ./` job passes only inputs the
// action declares, with values the schema accepts.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  convertWorkflowTemplate,
  isLiteral,
  isMapping,
  isSequence,
  isString,
  NoOperationTraceWriter,
  parseWorkflow,
} from '@actions/workflow-parser';
import type { MappingToken, StringToken } from '@actions/workflow-parser/templates/tokens/index';
import { parseFlags } from '../../src/config/parse.js';
import { flagsFor } from '../../src/config/schema.js';

const dir = join(process.cwd(), '.github', 'workflows');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();
const read = (f: string) => readFileSync(join(dir, f), 'utf8');

test('CI, the dist check and the action job exist', () => {
  expect(files).toEqual(['action.yml', 'check-dist.yml', 'ci.yml']);
});

test.each(files)('%s is a valid workflow', async (file) => {
  const parsed = parseWorkflow({ name: file, content: read(file) }, new NoOperationTraceWriter());
  const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : undefined;
  const errors = [
    ...parsed.context.errors.getErrors().map((e) => e.message),
    ...(template?.errors ?? []).map((e: { Message: string }) => e.Message),
  ];
  expect(errors).toEqual([]);
  expect(template!.jobs.length).toBeGreaterThan(0);
});

/** Every step of every job as a map of its literal keys (expressions become undefined). */
function steps(file: string): Record<string, unknown>[] {
  const root = parseWorkflow({ name: file, content: read(file) }, new NoOperationTraceWriter()).value as MappingToken;
  const out: Record<string, unknown>[] = [];
  for (const { value: job } of root.find('jobs') as MappingToken) {
    const s = (job as MappingToken).find('steps');
    if (!s || !isSequence(s)) continue;
    for (const step of s) {
      if (!isMapping(step)) continue;
      const o: Record<string, unknown> = {};
      for (const { key, value } of step) {
        const k = (key as StringToken).value;
        if (k === 'with' && isMapping(value)) {
          o.with = Object.fromEntries(
            [...value].map(({ key: wk, value: wv }) => [
              (wk as StringToken).value,
              isLiteral(wv) ? String(wv) : undefined,
            ]),
          );
        } else o[k] = isString(value) ? value.value : undefined;
      }
      out.push(o);
    }
  }
  return out;
}

test('CI runs .ci/run (the same install and test steps as the team machines)', () => {
  expect(steps('ci.yml').some((s) => s.run === 'bash .ci/run')).toBe(true);
  expect(readFileSync(join(process.cwd(), '.ci', 'run'), 'utf8')).toContain('npm run lint');
});

test('the dist check rebuilds, compares dist/ and action.yml, and uploads the expected dist when they differ', () => {
  const s = steps('check-dist.yml');
  expect(s.some((x) => x.run === 'npm run build')).toBe(true);
  const upload = s.find((x) => String(x.uses).startsWith('actions/upload-artifact@'))!;
  expect(upload).toBeDefined();
  expect(String((upload.with as Record<string, string>).path)).toContain('dist/');
});

test('the action job runs uses: ./ without node_modules and with inputs the action declares', () => {
  const s = steps('action.yml');
  const i = s.findIndex((x) => x.uses === './');
  expect(i).toBeGreaterThan(0);
  expect(s.slice(0, i).some((x) => x.run === 'rm -rf node_modules')).toBe(true);
  const inputs = s[i].with as Record<string, string | undefined>;
  const names = flagsFor('action').map((f) => f.name);
  for (const k of Object.keys(inputs)) expect(names).toContain(k);
  const literal = Object.fromEntries(Object.entries(inputs).filter((e): e is [string, string] => e[1] !== undefined));
  expect(() => parseFlags(literal, 'action')).not.toThrow();
  expect(Object.keys(inputs)).toEqual(expect.arrayContaining(['datastore', 'model_name_or_path']));
});
