import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'smol-toml';
import { planSchema, type Plan } from '../../src/core/model/plan';
import { PlanError } from '../../src/core/model/problems';
import { problemsOf } from '../support/problems';
import { REPO_ROOT } from '../support/processes';
import { SEED_UNLIMITED_CONCURRENCY, convertSeedPlan, isSeedPlan, seedTaskUuid } from '../../src/core/plan/seedPlan';

const FIXTURES = path.join(REPO_ROOT, 'test', 'fixtures', 'plans');
const JSON_FILE = path.join(FIXTURES, 'seed-plan.json');
const TOML_FILE = path.join(FIXTURES, 'seed-plan.toml');

type Json = Record<string, unknown>;

function loadJson(): Json {
  return JSON.parse(readFileSync(JSON_FILE, 'utf8')) as Json;
}

function loadToml(): Json {
  return parse(readFileSync(TOML_FILE, 'utf8')) as Json;
}

function convert(value: unknown, file = 'plan.json'): Plan {
  return planSchema.parse(convertSeedPlan(value, file));
}

/** A minimal seed plan around the given task specs. */
function seedWith(taskSpecs: unknown[], extra: Json = {}): Json {
  return { setup_commands: [], task_specs: taskSpecs, execution_mode: 'Sequential', metadata: { name: 'p' }, ...extra };
}

/** Every `[secs, nanos]` duration rewritten as std::time::Duration's `{ secs, nanos }`. */
function withObjectDurations(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withObjectDurations);
  if (typeof value !== 'object' || value === null) return value;
  const out: Json = {};
  for (const [key, field] of Object.entries(value)) {
    const isDuration = ['estimated_duration', 'timeout', 'delay'].includes(key) && Array.isArray(field);
    out[key] = isDuration ? { secs: (field as number[])[0], nanos: (field as number[])[1] } : withObjectDurations(field);
  }
  return out;
}

describe('seed plans (the Rust aca tool’s execution plans)', () => {
  describe('isSeedPlan', () => {
    it('recognises the JSON and TOML fixtures', () => {
      assert.equal(isSeedPlan(loadJson()), true);
      assert.equal(isSeedPlan(loadToml()), true);
    });

    it('rejects ACA’s own plan format and non-objects', () => {
      assert.equal(isSeedPlan({ version: 1, name: 'x', tasks: [] }), false);
      assert.equal(isSeedPlan({ version: 1, name: 'x', tasks: [], execution_mode: 'Sequential' }), false);
      for (const value of [null, undefined, 'task_specs', 3, [], [{ task_specs: [] }], {}]) {
        assert.equal(isSeedPlan(value), false, JSON.stringify(value));
      }
    });

    it('still claims a broken seed plan, so its problems are precise', () => {
      assert.equal(isSeedPlan({ task_specs: 'oops' }), true);
      assert.equal(isSeedPlan({ execution_mode: 'Sequential' }), true);
    });
  });

  describe('the tool’s task ids', () => {
    it('are UUID v5 of "llm-task-<title>" in the DNS namespace', () => {
      // Computed independently with Python's uuid.uuid5(uuid.NAMESPACE_DNS, ...).
      assert.equal(seedTaskUuid('Phase 1: Project scaffolding'), '43532cad-8e6d-5bd8-87f3-0f7077abca55');
      assert.equal(seedTaskUuid('Add --json output flag'), '4c673f92-97e2-5d74-8d83-dcefdfe26209');
    });
  });

  describe('convertSeedPlan on the JSON fixture', () => {
    const plan = convert(loadJson(), JSON_FILE);

    it('takes the name from metadata and the strategy from execution_mode', () => {
      assert.equal(plan.version, 1);
      assert.equal(plan.name, 'Tasks from tasks.md');
      assert.equal(plan.source, null);
      assert.deepEqual(plan.strategy, { mode: 'parallel', maxConcurrent: 3 });
    });

    it('pins ids, titles, dependencies, priority, complexity and status', () => {
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.title, t.dependsOn, t.priority, t.complexity, t.status, t.parent]),
        [
          ['1', 'Phase 1: Project scaffolding', [], 'critical', 'simple', 'pending', null],
          ['2', 'Create user model and migrations', ['1'], 'high', 'moderate', 'pending', null],
          ['3', 'Implement login and token refresh endpoints', ['2'], 'high', 'complex', 'pending', null],
          ['4', 'Write integration tests for authentication', ['2', '3'], 'normal', 'moderate', 'pending', null],
          ['5', 'Document the public API in README', ['3'], 'low', null, 'pending', null],
          ['6', 'Tidy clippy warnings', [], 'background', 'trivial', 'pending', null],
        ],
      );
    });

    it('keeps descriptions and turns context files and file refs into unchecked references', () => {
      assert.match(plan.tasks[0]?.description ?? '', /^Create the Cargo workspace/);
      assert.deepEqual(plan.tasks[1]?.references, [
        { path: 'docs/data-model.md', found: false },
        { path: 'src/models/user.rs', found: false },
        { path: 'migrations/001_users.sql', found: false },
      ]);
      assert.deepEqual(plan.tasks[3]?.references, []);
      assert.ok(plan.tasks.every((t) => t.source === null));
    });
  });

  describe('convertSeedPlan on the TOML fixture', () => {
    const plan = convert(loadToml(), TOML_FILE);

    it('falls back to the file name when metadata has no name', () => {
      assert.equal(plan.name, 'seed-plan');
      assert.deepEqual(plan.strategy, { mode: 'intelligent', maxConcurrent: 1 });
    });

    it('pins the tasks, with a complexity TOML left out read as null', () => {
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.title, t.dependsOn, t.priority, t.complexity, t.status]),
        [
          ['1', 'Add --json output flag', [], 'high', 'moderate', 'pending'],
          ['2', 'Serialize report structs with serde', ['1'], 'normal', 'simple', 'pending'],
          ['3', 'Cover JSON output with snapshot tests', ['1', '2'], 'normal', 'simple', 'pending'],
          ['4', 'Mention JSON output in the changelog', ['3'], 'low', null, 'pending'],
        ],
      );
      assert.deepEqual(plan.tasks[1]?.references, [{ path: 'src/report.rs', found: false }]);
    });
  });

  describe('durations', () => {
    it('load as [secs, nanos] and as { secs, nanos }, to the same plan', () => {
      const asTuples = loadJson();
      const asObjects = withObjectDurations(asTuples) as Json;
      const firstSpec = (asObjects['task_specs'] as Json[])[0] as Json;
      assert.deepEqual((firstSpec['metadata'] as Json)['estimated_duration'], { secs: 1800, nanos: 0 });
      assert.deepEqual(convert(asObjects, JSON_FILE), convert(asTuples, JSON_FILE));
    });

    it('in any other shape are reported with their field path', () => {
      const problems = problemsOf(() => convertSeedPlan(seedWith([{ title: 'a', metadata: { estimated_duration: '2h' } }]), 'bad.json'));
      assert.equal(problems.length, 1);
      assert.equal(problems[0]?.field, 'task_specs[0].metadata.estimated_duration');
      assert.match(problems[0]?.message ?? '', /\[secs, nanos\]/);
    });
  });

  describe('broken seed plans', () => {
    it('name the field path and the file of a task without a title', () => {
      const seed = loadJson();
      delete ((seed['task_specs'] as Json[])[1] as Json)['title'];
      const problems = problemsOf(() => convertSeedPlan(seed, 'plans/broken.json'));
      assert.deepEqual(problems, [
        {
          severity: 'error',
          code: 'seed-plan-invalid',
          file: 'plans/broken.json',
          field: 'task_specs[1].title',
          message: 'aca execution plan: the task has no title',
        },
      ]);
    });

    it('report every problem, not just the first', () => {
      const seed = seedWith(
        [
          { title: 'a', metadata: { priority: 'Urgent' } },
          { title: '   ', dependencies: 'x' },
        ],
        { execution_mode: 'Fast' },
      );
      const problems = problemsOf(() => convertSeedPlan(seed, 'p.json'));
      assert.deepEqual(problems.map((p) => p.field).sort(), [
        'execution_mode',
        'task_specs[0].metadata.priority',
        'task_specs[1].dependencies',
        'task_specs[1].title',
      ]);
      assert.ok(problems.every((p) => p.severity === 'error' && p.code === 'seed-plan-invalid' && p.file === 'p.json'));
    });

    it('report a wrong type at the root or for task_specs', () => {
      assert.equal(problemsOf(() => convertSeedPlan('nope', 'p.json'))[0]?.field, '(root)');
      assert.equal(problemsOf(() => convertSeedPlan({ task_specs: { title: 'a' } }, 'p.json'))[0]?.field, 'task_specs');
      assert.equal(
        problemsOf(() => convertSeedPlan(seedWith([], { execution_mode: { Parallel: { max_concurrent: 'two' } } }), 'p.json'))[0]?.field,
        'execution_mode.Parallel.max_concurrent',
      );
    });

    it('puts the file and field in the error message', () => {
      assert.throws(
        () => convertSeedPlan(seedWith([{ description: 'no title' }]), 'x/seed.toml'),
        (error: unknown) => PlanError.is(error) && error.message.includes('x/seed.toml: task_specs[0].title:'),
      );
    });
  });

  describe('tolerance', () => {
    it('reads the full Task record’s id, parent_id and status (externally tagged)', () => {
      const plan = convert(
        seedWith([
          { id: 'A0B1C2D3-0000-4000-8000-000000000001', title: 'Group', status: 'Pending' },
          {
            id: 7,
            title: 'Child',
            parent_id: 'a0b1c2d3-0000-4000-8000-000000000001',
            status: { Completed: { completed_at: '2025-01-01T00:00:00Z', result: {} } },
          },
          { title: 'Runs', status: { InProgress: { started_at: '2025-01-01T00:00:00Z', estimated_completion: null } } },
          { title: 'Stuck', status: { Blocked: { reason: 'x', blocked_at: '2025-01-01T00:00:00Z', retry_after: null } } },
          { title: 'Broke', status: { Failed: { failed_at: '2025-01-01T00:00:00Z', error: {}, retry_count: 1 } } },
          { title: 'Dropped', status: { Skipped: { reason: 'x', skipped_at: '2025-01-01T00:00:00Z' } }, dependencies: [7] },
        ]),
      );
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.parent, t.status, t.dependsOn]),
        [
          ['A0B1C2D3-0000-4000-8000-000000000001', null, 'pending', []],
          ['7', 'A0B1C2D3-0000-4000-8000-000000000001', 'done', []],
          ['3', null, 'in_progress', []],
          ['4', null, 'pending', []],
          ['5', null, 'pending', []],
          ['6', null, 'skipped', ['7']],
        ],
      );
    });

    it('keeps a dependency that names no task as written, for ACA’s checks to report', () => {
      const unknown = '11111111-2222-4333-8444-555555555555';
      const plan = convert(seedWith([{ title: 'a', dependencies: [unknown] }]));
      assert.deepEqual(plan.tasks[0]?.dependsOn, [unknown]);
    });

    it('maps numeric priorities by the tool’s discriminants and accepts any case', () => {
      const plan = convert(seedWith([10, 8, 5, 3, 1, 9, 'HIGH', 'background'].map((priority, i) => ({ title: `t${i}`, metadata: { priority } }))));
      assert.deepEqual(
        plan.tasks.map((t) => t.priority),
        ['critical', 'high', 'normal', 'low', 'background', 'high', 'high', 'background'],
      );
    });

    it('defaults what the file leaves out', () => {
      const plan = convert({ task_specs: [{ title: '  Only a title  ' }] }, 'C:\\work\\old-plan.json');
      assert.equal(plan.name, 'old-plan');
      assert.deepEqual(plan.strategy, { mode: 'sequential', maxConcurrent: 1 });
      assert.deepEqual(plan.tasks, [
        {
          id: '1',
          title: 'Only a title',
          description: '',
          parent: null,
          dependsOn: [],
          priority: 'normal',
          complexity: null,
          status: 'pending',
          optional: false,
          checkpoint: false,
          section: [],
          references: [],
          requirements: [],
          validates: [],
          verify: [],
          parallel: false,
          story: null,
          files: [],
          source: null,
        },
      ]);
    });

    it('maps every execution_mode shape, including TOML’s empty Parallel table', () => {
      const strategyOf = (mode: unknown): Plan['strategy'] => convert(seedWith([], { execution_mode: mode })).strategy;
      assert.deepEqual(strategyOf('Sequential'), { mode: 'sequential', maxConcurrent: 1 });
      assert.deepEqual(strategyOf('Intelligent'), { mode: 'intelligent', maxConcurrent: 1 });
      assert.deepEqual(strategyOf({ Parallel: { max_concurrent: 2 } }), { mode: 'parallel', maxConcurrent: 2 });
      assert.deepEqual(strategyOf({ Parallel: { max_concurrent: null } }), {
        mode: 'parallel',
        maxConcurrent: SEED_UNLIMITED_CONCURRENCY,
      });
      assert.deepEqual(strategyOf({ Parallel: {} }), { mode: 'parallel', maxConcurrent: SEED_UNLIMITED_CONCURRENCY });
      assert.deepEqual(strategyOf({ Parallel: { max_concurrent: 500 } }), { mode: 'parallel', maxConcurrent: 64 });
      assert.deepEqual(strategyOf({ Parallel: { max_concurrent: 0 } }), { mode: 'parallel', maxConcurrent: 1 });
    });

    it('ignores unknown fields', () => {
      const plan = convert(seedWith([{ title: 'a', shiny: true, metadata: { tags: ['x'], extra: 1 } }], { future_field: {} }));
      assert.equal(plan.tasks[0]?.title, 'a');
    });
  });
});
