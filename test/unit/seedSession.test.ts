import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { PlanError } from '../../src/core/model/problems';
import { applyEvent, sessionStateSchema, type SessionState } from '../../src/core/session/events';
import { isSeedSession, migrateSeedSession } from '../../src/core/session/seedSession';
import { checkTaskGraph } from '../../src/core/tasks/graph';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import { loadSession } from '../../src/core/session/sessionStore';
import { listSessions } from '../../src/core/session/sessions';
import { problemsOf } from '../support/problems';
import { REPO_ROOT } from '../support/processes';

const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'sessions', 'seed-session.json');
const FILE = '.aca/sessions/3865e3c3-4460-4131-9478-c7931e76d154/meta/session.json';

// The fixture's tasks (UUIDs, as the Rust tool writes them).
const SESSION_ID = '3865e3c3-4460-4131-9478-c7931e76d154';
const SCAFFOLD = '4aa7f966-8906-49d0-9d65-98239076f5d1'; // Completed, root
const AUTH = '0edc8f9e-9d96-4950-8901-484e9ce83c5f'; // InProgress, parent of the next three
const USER_MODEL = 'a100cca7-1145-4326-bb8a-ebd34f376ee5'; // Completed
const LOGIN = 'ad235e28-b59e-4b5f-8ada-678f113c0abf'; // InProgress: running when the tool saved
const RESET = '9e34dbaf-e587-417b-9f57-c935a0a2d862'; // Failed (BuildError), two execution records
const TESTS = '22657a6d-c18f-40b6-8889-a6019dceac20'; // Pending
const CI = 'ffa6e526-488f-4d84-aab0-a313535f969f'; // Blocked
const DOCS = 'aeda884a-23c6-4d47-b883-8a386fa93daa'; // Skipped

type Json = Record<string, unknown>;

function loadFixture(): Json {
  return JSON.parse(readFileSync(FIXTURE, 'utf8')) as Json;
}

/** The fixture's task `id`, for editing a copy. */
function taskOf(session: Json, id: string): Json {
  const tree = session.task_tree as { tasks: Record<string, Json> };
  const task = tree.tasks[id];
  assert.ok(task, `fixture task ${id}`);
  return task;
}

function migrate(value: unknown = loadFixture()): SessionState {
  return migrateSeedSession(value, FILE);
}

/** The problems' field paths, sorted, for comparing with a list in any order. */
function fieldsOf(problems: PlanError['problems']): string[] {
  return problems.map((p) => p.field ?? '').sort();
}

describe('seed sessions (the Rust aca tool’s persisted sessions)', () => {
  describe('isSeedSession', () => {
    it('recognises the tool’s session.json', () => {
      assert.equal(isSeedSession(loadFixture()), true);
    });

    it('rejects ACA’s own session state, snapshots, headers and plans', () => {
      const plan = planSchema.parse({ version: 1, name: 'p', tasks: [{ id: '1', title: 'a' }] });
      const state = applyEvent(undefined, { type: 'session_created', sessionId: 's1', plan }, 1);
      assert.equal(isSeedSession(state), false);
      assert.equal(isSeedSession(migrate()), false, 'a migrated session is ACA’s own');
      assert.equal(isSeedSession({ version: 1, crc: '00000000', state }), false);
      assert.equal(isSeedSession({ version: 1, sessionId: 's1', created: '2025-01-01T00:00:00Z', name: 'p' }), false);
      assert.equal(isSeedSession(plan), false);
      assert.equal(isSeedSession({ task_specs: [], metadata: { name: 'p' } }), false, 'the tool’s plan is not a session');
      for (const value of [null, undefined, 'task_tree', 3, [], [loadFixture()], {}]) {
        assert.equal(isSeedSession(value), false, JSON.stringify(value));
      }
    });

    it('still claims a broken seed session, so its problems are precise', () => {
      assert.equal(isSeedSession({ task_tree: 'oops' }), true);
      assert.equal(isSeedSession({ metadata: {}, execution_context: {}, file_system_state: {} }), true);
    });
  });

  describe('migrateSeedSession', () => {
    it('gives a session state that ACA’s schema accepts, with a plan that passes the graph checks', () => {
      const state = migrate();
      assert.deepEqual(sessionStateSchema.parse(state), state);
      assert.deepEqual(planSchema.parse(state.plan), state.plan);
      assert.deepEqual(checkTaskGraph(state.plan.tasks, FILE), []);
      assert.equal(state.version, 1);
      assert.equal(state.sessionId, SESSION_ID);
      assert.equal(state.seq, 0);
      assert.deepEqual(state.checkpoints, []);
      assert.equal(state.plan.name, 'todo-api: authentication milestone');
      assert.deepEqual(state.plan.strategy, { mode: 'sequential', maxConcurrent: 1 });
    });

    it('keeps the tool’s task ids, in tree order: roots as listed, each parent followed by its children', () => {
      const { plan, tasks } = migrate();
      assert.deepEqual(
        plan.tasks.map((t) => t.id),
        [SCAFFOLD, AUTH, USER_MODEL, LOGIN, RESET, TESTS, CI, DOCS],
      );
      assert.deepEqual(Object.keys(tasks).sort(), plan.tasks.map((t) => t.id).sort());
    });

    it('keeps titles, descriptions, parents and dependencies', () => {
      const byId = new Map(migrate().plan.tasks.map((t) => [t.id, t]));
      assert.equal(byId.get(LOGIN)?.title, 'Add JWT login endpoint');
      assert.match(byId.get(LOGIN)?.description ?? '', /^POST \/auth\/login/);
      assert.deepEqual(
        [...byId.values()].filter((t) => t.parent !== null).map((t) => [t.id, t.parent]),
        [
          [USER_MODEL, AUTH],
          [LOGIN, AUTH],
          [RESET, AUTH],
        ],
      );
      assert.deepEqual(Object.fromEntries([...byId.values()].map((t) => [t.id, t.dependsOn])), {
        [SCAFFOLD]: [],
        [AUTH]: [SCAFFOLD],
        [USER_MODEL]: [SCAFFOLD],
        [LOGIN]: [USER_MODEL],
        [RESET]: [USER_MODEL],
        [TESTS]: [AUTH],
        [CI]: [],
        [DOCS]: [SCAFFOLD],
      });
    });

    it('maps priorities, complexities and references as seed plans do', () => {
      const byId = new Map(migrate().plan.tasks.map((t) => [t.id, t]));
      assert.deepEqual(
        [SCAFFOLD, AUTH, TESTS, RESET, CI].map((id) => byId.get(id)?.priority),
        ['critical', 'high', 'normal', 'low', 'background'],
      );
      assert.equal(byId.get(AUTH)?.complexity, 'epic');
      assert.equal(byId.get(CI)?.complexity, null);
      assert.deepEqual(byId.get(LOGIN)?.references, [
        { path: 'src/models/user.rs', found: false },
        { path: 'src/auth/login.rs', found: false },
        { path: 'src/auth/jwt.rs', found: false },
      ]);
    });

    it('maps every status to a run state: InProgress was interrupted, so it runs again', () => {
      const { tasks, plan } = migrate();
      assert.deepEqual(Object.fromEntries(Object.entries(tasks).map(([id, run]) => [id, run.state])), {
        [SCAFFOLD]: 'done',
        [AUTH]: 'interrupted',
        [USER_MODEL]: 'done',
        [LOGIN]: 'interrupted',
        [RESET]: 'failed',
        [TESTS]: 'pending',
        [CI]: 'pending', // Blocked
        [DOCS]: 'skipped',
      });
      // The plan's own status follows seed plans: failed and blocked tasks are still to do.
      assert.deepEqual(
        plan.tasks.map((t) => t.status),
        ['done', 'in_progress', 'done', 'in_progress', 'pending', 'pending', 'pending', 'skipped'],
      );
    });

    it('keeps the failure’s text, the skip reason and the attempts; usage starts at 0', () => {
      const { tasks } = migrate();
      assert.deepEqual(tasks[RESET], {
        state: 'failed',
        // Two execution records; retry_count (1) restarted after the Blocked retry.
        attempts: 2,
        inputTokens: 0,
        outputTokens: 0,
        costUsd: 0,
        error: 'build failed (exit code 101): error[E0425]: cannot find value `smtp_transport` in this scope\n  --> src/auth/reset.rs:42:9',
        transcripts: [],
      });
      assert.equal(tasks[DOCS]?.error, 'Superseded by the generated OpenAPI spec');
      assert.equal(tasks[SCAFFOLD]?.attempts, 1);
      assert.equal(tasks[LOGIN]?.attempts, 0);
      assert.equal(tasks[CI]?.error, undefined, 'a blocked task runs again from scratch');
    });

    it('describes each kind of task error', () => {
      const failedWith = (error: unknown, retryCount = 3): SessionState['tasks'][string] | undefined => {
        const session = loadFixture();
        taskOf(session, RESET).status = { Failed: { failed_at: '2025-09-14T10:58:11Z', error, retry_count: retryCount } };
        taskOf(session, RESET).execution_history = [];
        return migrate(session).tasks[RESET];
      };
      assert.equal(failedWith({ ClaudeError: { message: 'overloaded', error_code: '529', retry_possible: true } })?.error, 'Claude error: overloaded (529)');
      assert.equal(
        failedWith({ TimeoutError: { operation: 'claude_code_execution', timeout_duration: { secs: 300, nanos: 0 }, elapsed_time: [301, 0] } })?.error,
        'claude_code_execution timed out after 300s',
      );
      assert.equal(failedWith({ Other: { message: 'disk full', source: null } })?.error, 'disk full');
      assert.equal(failedWith({ SomethingNew: { message: 'from a later version' } })?.error, 'SomethingNew: from a later version');
      assert.equal(failedWith('hand-written')?.attempts, 3, 'retry_count counts attempts when there are no records');
    });

    it('accepts std Durations, missing optional fields, extra fields and unit variants written as objects', () => {
      const session = loadFixture();
      const tree = session.task_tree as Json & { metadata: { statistics: Json } };
      tree.metadata.statistics.average_completion_time = { secs: 2340, nanos: 262946945 };
      taskOf(session, SCAFFOLD).metadata = { priority: 'Critical', estimated_duration: { secs: 900, nanos: 0 }, from_the_future: true };
      taskOf(session, TESTS).status = { Pending: null };
      delete taskOf(session, CI).execution_history;
      delete taskOf(session, CI).children;
      delete taskOf(session, CI).metadata;
      taskOf(session, DOCS).status = { Cancelled: { reason: 'not needed' } };
      session.new_top_level_field = [1, 2, 3];
      const state = migrate(session);
      assert.equal(state.tasks[TESTS]?.state, 'pending');
      assert.equal(state.tasks[CI]?.attempts, 0);
      assert.equal(state.plan.tasks.find((t) => t.id === CI)?.priority, 'normal');
      assert.equal(state.tasks[DOCS]?.state, 'skipped', 'Cancelled is skipped');
      assert.equal(state.tasks[DOCS]?.error, 'not needed');
    });

    it('orders tasks from roots and children, not from the JSON object’s key order', () => {
      const session = loadFixture();
      const tree = session.task_tree as { tasks: Record<string, Json> };
      tree.tasks = Object.fromEntries(Object.entries(tree.tasks).reverse());
      assert.deepEqual(
        migrate(session).plan.tasks.map((t) => t.id),
        [SCAFFOLD, AUTH, USER_MODEL, LOGIN, RESET, TESTS, CI, DOCS],
      );
    });
  });

  describe('broken sessions', () => {
    it('throw a PlanError naming the file and the field path of a wrong type', () => {
      const session = loadFixture();
      (taskOf(session, RESET).status as { Failed: Json }).Failed.retry_count = 'once';
      const problems = problemsOf(() => migrate(session));
      assert.equal(problems.length, 1);
      assert.deepEqual(
        { ...problems[0], message: undefined },
        {
          severity: 'error',
          code: 'seed-session-invalid',
          file: FILE,
          field: `task_tree.tasks.${RESET}.status.Failed.retry_count`,
          message: undefined,
        },
      );
      assert.match(problems[0]?.message ?? '', /^aca session: /);
    });

    it('report every problem, each with its own path', () => {
      const session = loadFixture();
      taskOf(session, LOGIN).dependencies = 'a100cca7';
      taskOf(session, TESTS).title = 42;
      (session.metadata as Json).created_at = 'yesterday';
      (session.task_tree as Json).roots = [SCAFFOLD, 7.5];
      const problems = problemsOf(() => migrate(session));
      assert.deepEqual(
        fieldsOf(problems),
        ['metadata.created_at', 'task_tree.roots[1]', `task_tree.tasks.${LOGIN}.dependencies`, `task_tree.tasks.${TESTS}.title`].sort(),
      );
      assert.ok(problems.every((p) => p.code === 'seed-session-invalid' && p.file === FILE));
      assert.match(problems.find((p) => p.field === 'metadata.created_at')?.message ?? '', /RFC 3339/);
    });

    it('report bad durations, statuses and error payloads where they are', () => {
      const session = loadFixture();
      (taskOf(session, SCAFFOLD).metadata as Json).estimated_duration = '15m';
      taskOf(session, CI).status = 'Paused';
      const history = taskOf(session, RESET).execution_history as Array<{ status: { Failed: { error: Json } } }>;
      history[0]!.status.Failed.error = { TimeoutError: { operation: 'run', timeout_duration: 'PT5M' } };
      assert.deepEqual(
        fieldsOf(problemsOf(() => migrate(session))),
        [
          `task_tree.tasks.${CI}.status`,
          `task_tree.tasks.${RESET}.execution_history[0].status.Failed.error.TimeoutError.timeout_duration`,
          `task_tree.tasks.${SCAFFOLD}.metadata.estimated_duration`,
        ].sort(),
      );
    });

    it('report what seed-plan conversion rejects at the task’s path in the session', () => {
      const session = loadFixture();
      (taskOf(session, CI).metadata as Json).priority = 'Urgent';
      taskOf(session, DOCS).title = '   ';
      const problems = problemsOf(() => migrate(session));
      assert.deepEqual(fieldsOf(problems), [`task_tree.tasks.${CI}.metadata.priority`, `task_tree.tasks.${DOCS}.title`].sort());
      assert.ok(problems.every((p) => p.code === 'seed-session-invalid'));
    });

    it('report parents and dependencies that name no task, and dependency cycles', () => {
      const session = loadFixture();
      taskOf(session, TESTS).dependencies = [AUTH, AUTH.toUpperCase(), '00000000-0000-4000-8000-000000000000'];
      taskOf(session, CI).parent_id = '11111111-1111-4111-8111-111111111111';
      taskOf(session, SCAFFOLD).dependencies = [DOCS];
      const problems = problemsOf(() => migrate(session));
      assert.deepEqual(
        fieldsOf(problems),
        [
          `task_tree.tasks.${CI}.parent_id`,
          // The cycle SCAFFOLD → DOCS → SCAFFOLD, named at its first task.
          `task_tree.tasks.${SCAFFOLD}.dependencies`,
          // The duplicate (the same UUID in capitals) is folded away; the unknown id keeps its index in the file.
          `task_tree.tasks.${TESTS}.dependencies[2]`,
        ].sort(),
      );
      assert.match(problems.find((p) => p.field?.endsWith('.dependencies'))?.message ?? '', /cycle/);
    });

    it('report parents that form a loop, and names that only look like variants', () => {
      const session = loadFixture();
      taskOf(session, AUTH).parent_id = LOGIN; // LOGIN's parent is AUTH
      taskOf(session, CI).status = 'constructor';
      taskOf(session, DOCS).status = { Failed: { error: 42 } };
      assert.deepEqual(fieldsOf(problemsOf(() => migrate(session))), [`task_tree.tasks.${CI}.status`, `task_tree.tasks.${DOCS}.status.Failed.error`].sort());
      delete taskOf(session, CI).status;
      delete taskOf(session, DOCS).status;
      taskOf(session, TESTS).status = { Failed: { error: { constructor: { message: 'odd' } } } };
      const problems = problemsOf(() => migrate(session));
      assert.deepEqual(fieldsOf(problems), [`task_tree.tasks.${AUTH}.parent_id`]);
      assert.match(problems[0]?.message ?? '', /parents come first/);
    });

    it('report a task whose id differs from its key, and a file that is no session at all', () => {
      const session = loadFixture();
      taskOf(session, LOGIN).id = USER_MODEL;
      assert.deepEqual(
        problemsOf(() => migrate(session)).map((p) => p.field),
        [`task_tree.tasks.${LOGIN}.id`],
      );
      assert.equal(problemsOf(() => migrate('nope'))[0]?.field, '(root)');
      assert.deepEqual(
        problemsOf(() => migrate({ metadata: { id: SESSION_ID } })).map((p) => p.field),
        ['task_tree'],
      );
      assert.deepEqual(
        problemsOf(() => migrate({ task_tree: { tasks: {} } })).map((p) => p.field),
        ['metadata'],
      );
    });

    it('put the file and the field in the error message', () => {
      const session = loadFixture();
      taskOf(session, TESTS).status = { InProgress: { started_at: 12 } };
      assert.throws(
        () => migrate(session),
        (error: Error) => error.message.startsWith(`${FILE}: task_tree.tasks.${TESTS}.status.InProgress.started_at: aca session: `),
      );
    });
  });
});

describe('loading a session of the original aca', () => {
  it('migrates it forward once, keeping the original file unchanged', async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'aca-seed-sessions-'));
    try {
      const dir = path.join(root, 'rust-session');
      await mkdir(path.join(dir, 'meta'), { recursive: true });
      const fixture = path.join(REPO_ROOT, 'test', 'fixtures', 'sessions', 'seed-session.json');
      await copyFile(fixture, path.join(dir, 'meta', 'session.json'));
      const first = await loadSession(dir, { repair: true });
      assert.match(first.repairs[0]?.what ?? '', /migrated from the original aca session format/);
      assert.ok(
        Object.values(first.state.tasks).some((run) => run.state === 'interrupted'),
        'tasks that were in progress run again',
      );
      const again = await loadSession(dir, { repair: true });
      assert.deepEqual(again.repairs, [], 'migrated once');
      assert.deepEqual(again.state.tasks, first.state.tasks);
      assert.equal(await readFile(path.join(dir, 'meta', 'session.json'), 'utf8'), await readFile(fixture, 'utf8'));
      assert.equal((await listSessions(root))[0]?.problem, undefined);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
