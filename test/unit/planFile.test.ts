import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Plan, PlanInput } from '../../src/core/model/plan';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import { parsePlanText, planFormatOf, serializePlan, validatePlan } from '../../src/core/plan/planFile';
import { PlanError, formatProblem } from '../../src/core/model/problems';
import { SHARED_FIXTURES } from '../support/fixtures';
import { makeTempDir } from '../support/processes';

function plan(tasks: PlanInput['tasks']): PlanInput {
  return { version: 1, name: 'p', tasks };
}

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (PlanError.is(error)) {
      return error.problems.map(formatProblem);
    }
    throw error;
  }
  assert.fail('expected a PlanError');
}

describe('plan files', () => {
  let kiro: Plan;
  before(async () => {
    kiro = (await planFromTasksFile(path.join(SHARED_FIXTURES, 'kiro', 'tasks.md'), { workspaceRoot: SHARED_FIXTURES })).plan;
  });

  it('records the source path and its SHA-256', () => {
    assert.equal(kiro.source?.path, 'kiro/tasks.md');
    assert.match(kiro.source!.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(kiro.strategy, { mode: 'sequential', maxConcurrent: 1 });
  });

  for (const format of ['json', 'toml'] as const) {
    it(`round-trips a plan through ${format.toUpperCase()} without loss`, () => {
      const text = serializePlan(kiro, format);
      assert.deepEqual(parsePlanText(text, `plan.${format}`, format), kiro);
      assert.equal(serializePlan(parsePlanText(text, `plan.${format}`, format), format), text);
    });
  }

  it('keeps unicode exact through TOML', () => {
    const unicode = validatePlan(plan([{ id: '1', title: '「こんにちは」 👩‍💻 « café »', description: 'line\n"quoted" \\ back' }]), 'u');
    assert.deepEqual(parsePlanText(serializePlan(unicode, 'toml'), 'u.toml', 'toml'), unicode);
  });

  it('knows formats by extension, case-insensitively', () => {
    assert.equal(planFormatOf('out.JSON'), 'json');
    assert.equal(planFormatOf('a/b.Toml'), 'toml');
    assert.equal(planFormatOf('tasks.md'), undefined);
  });

  it('names the ids of a dependency cycle, in order', () => {
    const problems = problemsOf(() =>
      validatePlan(
        plan([
          { id: 'a', title: 'A', dependsOn: ['c'] },
          { id: 'b', title: 'B', dependsOn: ['a'] },
          { id: 'c', title: 'C', dependsOn: ['b'] },
        ]),
        'cycle.json',
      ),
    );
    assert.deepEqual(problems, ['cycle.json: tasks[0].dependsOn: dependency cycle: "a" → "c" → "b" → "a"']);
  });

  it('names an unknown dependency, a self-dependency, a duplicate id and a missing parent', () => {
    const problems = problemsOf(() =>
      validatePlan(
        plan([
          { id: '1', title: 'one', dependsOn: ['9'], source: { file: 'tasks.md', line: 4 } },
          { id: '2', title: 'two', dependsOn: ['2'] },
          { id: '1', title: 'again' },
          { id: '3', title: 'three', parent: 'nope' },
        ]),
        'bad.json',
      ),
    );
    assert.deepEqual(problems, [
      'bad.json: tasks[2].id: task id "1" is used twice (also by tasks[0])',
      'bad.json: tasks[0].dependsOn[0]: task "1" depends on "9", which is not a task of this plan',
      'bad.json: tasks[1].dependsOn[0]: task "2" depends on itself',
      'bad.json: tasks[3].parent: task "3" has parent "nope", which is not a task of this plan',
    ]);
  });

  it('names the field path of a schema error', () => {
    const problems = problemsOf(() =>
      validatePlan(
        {
          version: 1,
          name: 'p',
          tasks: [
            { id: '1', title: 'ok' },
            { id: '2', title: 'x', priority: 'urgent', source: { file: 't.md', line: 7 } },
          ],
        },
        'p.json',
      ),
    );
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /^p\.json: tasks\[1\]\.priority: Invalid option: expected one of "critical"\|"high"\|"normal"\|"low"\|"background"$/);
    assert.match(problemsOf(() => validatePlan({ version: 2, name: 'p', tasks: [] }, 'v.json'))[0]!, /^v\.json: version: /);
    assert.match(problemsOf(() => validatePlan({ version: 1, name: 'p', tasks: [], extra: 1 }, 'x.json'))[0]!, /^x\.json: \(root\): Unrecognized key: "extra"/);
  });

  it('names the line of a graph error in a JSON plan file, and in a tasks file', async () => {
    const json =
      '{\n  "version": 1,\n  "name": "p",\n  "tasks": [\n    { "id": "a", "title": "A" },\n    { "id": "b", "title": "B", "dependsOn": ["nope"] }\n  ]\n}\n';
    assert.deepEqual(
      problemsOf(() => parsePlanText(json, 'p.json', 'json')),
      ['p.json:6: tasks[1].dependsOn[0]: task "b" depends on "nope", which is not a task of this plan'],
    );
    const ws = await makeTempDir('graph-md');
    try {
      await writeFile(path.join(ws.dir, 'tasks.md'), '# T\n\n### 1. One\nRequires task #2 first.\n\n### 2. Two\nDepends on task #1.\n');
      const { problems } = await planFromTasksFile(path.join(ws.dir, 'tasks.md'), { workspaceRoot: ws.dir });
      assert.deepEqual(problems.map(formatProblem), ['tasks.md:3: tasks[0].dependsOn: dependency cycle: "1" → "2" → "1"']);
    } finally {
      await ws.cleanup();
    }
  });

  it('says where JSON and TOML syntax errors are', () => {
    assert.deepEqual(
      problemsOf(() => parsePlanText('{\n  "version": 1,\n  "name": \n}', 'broken.json', 'json')),
      ['broken.json:4: not valid JSON: ValueExpected'],
    );
    const wrongType = '{\n  "version": 1,\n  "name": "p",\n  "tasks": [\n    { "id": "1", "title": "t", "optional": "yes" }\n  ]\n}\n';
    assert.match(problemsOf(() => parsePlanText(wrongType, 'typed.json', 'json'))[0]!, /^typed\.json:5: tasks\[0\]\.optional: Invalid input: expected boolean/);
    assert.match(problemsOf(() => parsePlanText('version = 1\nname = "x\n', 'broken.toml', 'toml'))[0]!, /^broken\.toml:2: not valid TOML/);
  });

  it('loads a plan written by the original Rust tool', () => {
    const data = {
      task_specs: [{ title: 'First', description: 'd', metadata: { priority: 'High' }, dependencies: [] }],
      execution_mode: 'Sequential',
      metadata: { name: 'seed' },
    };
    const loaded = parsePlanText(JSON.stringify(data), 'seed.json', 'json');
    assert.deepEqual(
      loaded.tasks.map((t) => [t.id, t.title, t.priority]),
      [['1', 'First', 'high']],
    );
  });

  it('checks references against the workspace: missing files and files outside it are problems at their line', async () => {
    const ws = await makeTempDir('refs');
    try {
      await mkdir(path.join(ws.dir, 'docs'));
      await writeFile(path.join(ws.dir, 'docs', 'spec.md'), '# Spec\n');
      await writeFile(path.join(ws.dir, 'tasks.md'), '# T\n\n- [ ] Good -> docs/spec.md\n- [ ] Missing [x](docs/nope.md)\n- [ ] Escape -> ../../etc/passwd\n');
      const { plan: built, problems } = await planFromTasksFile(path.join(ws.dir, 'tasks.md'), { workspaceRoot: ws.dir });
      assert.deepEqual(
        built.tasks.map((t) => t.references),
        [[{ path: 'docs/spec.md', found: true }], [{ path: 'docs/nope.md', found: false }], [{ path: '../../etc/passwd', found: false }]],
      );
      assert.deepEqual(problems.map(formatProblem), [
        'tasks.md:4: warning: task 2 refers to docs/nope.md, which does not exist',
        'tasks.md:5: task 3 refers to ../../etc/passwd, which is outside the workspace; it will not be read',
      ]);
    } finally {
      await ws.cleanup();
    }
  });
});
