// Every example workflow must pass GitHub's own workflow schema (@actions/workflow-parser), and its
// uses of this action must only set inputs the action has.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  parseWorkflow,
  convertWorkflowTemplate,
  NoOperationTraceWriter,
  isLiteral,
  isMapping,
  isSequence,
  isString,
} from '@actions/workflow-parser';
import type { MappingToken, StringToken } from '@actions/workflow-parser/templates/tokens/index';
import { flagsFor } from '../../src/config/schema.js';
import { parseFlags } from '../../src/config/parse.js';
import { parse as parseYaml } from 'yaml';
import { evaluateValue } from '../helpers/workflow-expr.js';

const dir = join(process.cwd(), 'examples');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.yml'))
  .sort();

test('the five example workflows exist', () => {
  expect(files).toEqual(['chatops-train.yml', 'nightly.yml', 'sweep.yml', 'train-on-pr.yml', 'train-then-predict.yml']);
});

async function validate(name: string, content: string) {
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  const template = parsed.value ? await convertWorkflowTemplate(parsed.context, parsed.value) : undefined;
  return { errors: [...errors, ...(template?.errors ?? []).map((e: { Message: string }) => e.Message)], template };
}

test.each(files)('%s is a valid workflow', async (file) => {
  const content = readFileSync(join(dir, file), 'utf8');
  const { errors, template } = await validate(file, content);
  expect(errors).toEqual([]);
  expect(template!.jobs.length).toBeGreaterThan(0);
});

/** `uses: org/textclf-action@…` steps of every job, with their `with:` values (undefined = an expression). */
function actionSteps(content: string, name: string): Record<string, string | undefined>[] {
  const root = parseWorkflow({ name, content }, new NoOperationTraceWriter()).value!;
  const out: Record<string, string | undefined>[] = [];
  const jobs = (root as MappingToken).find('jobs') as MappingToken;
  for (const { value: job } of jobs) {
    const steps = (job as MappingToken).find('steps');
    if (!steps || !isSequence(steps)) continue;
    for (const step of steps) {
      if (!isMapping(step)) continue;
      const uses = step.find('uses');
      if (!uses || !isString(uses) || !uses.value.startsWith('org/textclf-action@')) continue;
      const inputs: Record<string, string | undefined> = {};
      const w = step.find('with');
      if (w && isMapping(w))
        for (const { key, value } of w)
          inputs[(key as StringToken).value] = isLiteral(value) ? String(value) : undefined;
      out.push(inputs);
    }
  }
  return out;
}

test.each(files)('%s only passes inputs the action declares, with valid literal values', (file) => {
  const steps = actionSteps(readFileSync(join(dir, file), 'utf8'), file);
  expect(steps.length).toBeGreaterThan(0);
  const inputs = flagsFor('action', 'any').map((s) => s.name);
  for (const step of steps) {
    for (const key of Object.keys(step)) expect(inputs).toContain(key);
    const literal = Object.fromEntries(Object.entries(step).filter((e): e is [string, string] => e[1] !== undefined));
    expect(() => parseFlags(literal, 'action')).not.toThrow();
  }
});

test('the input check sees every action step (chatops: check, then train)', () => {
  const steps = actionSteps(readFileSync(join(dir, 'chatops-train.yml'), 'utf8'), 'chatops-train.yml');
  expect(steps.map((s) => s.mode)).toEqual(['chatops', 'train']);
  expect(actionSteps(readFileSync(join(dir, 'sweep.yml'), 'utf8'), 'sweep.yml').map((s) => s.mode)).toEqual([
    'plan',
    undefined,
    'aggregate',
  ]);
});

test('every example uses the action as the README does: org/textclf-action@v1', () => {
  const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
  expect(readme).toContain('      - uses: org/textclf-action@v1\n');
  for (const f of files) {
    const uses = [...readFileSync(join(dir, f), 'utf8').matchAll(/uses: (\S+)/g)].map((m) => m[1]);
    const ours = uses.filter((u) => !u.startsWith('actions/'));
    expect([f, ours.length > 0, ours.filter((u) => u !== 'org/textclf-action@v1')]).toEqual([f, true, []]);
  }
});

test('the sweep trial passes every key a sweep may set: unset keys are empty (the default), gpus 1 unless set', () => {
  const wf = parseYaml(readFileSync(join(dir, 'sweep.yml'), 'utf8')) as {
    jobs: { trial: { steps: { uses?: string; with?: Record<string, unknown> }[] } };
  };
  const step = wf.jobs.trial.steps.find((s) => s.uses === 'org/textclf-action@v1')!;
  const values = Object.fromEntries(Object.entries(step.with!).map(([k, v]) => [k, String(v)]));
  const sweepable = flagsFor('chatops').map((s) => s.name);
  for (const key of sweepable) expect([key, key in values]).toEqual([key, true]);
  const fill = (matrix: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(values).map(([k, v]) => [k, evaluateValue(v, { matrix })]));
  const none = fill({ trial: 'trial-1' });
  for (const key of sweepable) expect([key, none[key]]).toEqual([key, key === 'gpus' ? '1' : '']);
  expect(none.artifact_name).toBe('textclf-sweep-trial-1');
  const set = fill({ trial: 'trial-2', gpus: 0, warmup_ratio: 0.1, lr_scheduler: 'cosine' });
  expect([set.gpus, set.warmup_ratio, set.lr_scheduler]).toEqual(['0', '0.1', 'cosine']);
  expect(parseFlags(set, 'action')).toMatchObject({ gpus: 0, warmup_ratio: 0.1, lr_scheduler: 'cosine' });
});

test('the ChatOps example says that /train values win over its with: values', () => {
  const content = readFileSync(join(dir, 'chatops-train.yml'), 'utf8');
  expect(content).toContain(
    "# The comment's keys win over the same keys here (`/train max_epochs=3` trains 3 epochs, not\n      # 2)",
  );
  expect(actionSteps(content, 'chatops-train.yml')[1].max_epochs).toBe('2');
  expect(readFileSync(join(process.cwd(), 'README.md'), 'utf8')).toContain(
    "the comment's values win over the same keys\nin the train step's `with:`",
  );
});

test('the validator really rejects a broken workflow', async () => {
  const bad =
    'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    strategy:\n      matrix: 3\n    stepz:\n      - run: echo hi\n';
  const { errors } = await validate('bad.yml', bad);
  expect(errors.length).toBeGreaterThan(0);
});

test('examples/README.md shows every workflow verbatim as a copy-paste snippet', () => {
  const readme = readFileSync(join(dir, 'README.md'), 'utf8');
  for (const f of files) expect(readme).toContain('```yaml\n' + readFileSync(join(dir, f), 'utf8').trimEnd() + '\n```');
});
