import assert from 'node:assert/strict';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EXIT_BAD_INPUT, runCli, type CliIo } from '../../src/cli/main';
import { writeBackCheckbox, writeBackTaskMaster } from '../../src/core/engine/writeBack';
import { parseTaskMaster } from '../../src/core/parse/taskMaster';
import { planFromTasksFile } from '../../src/core/plan/buildPlan';
import { useTempDirs } from '../support/processes';

/** A Task Master project as `task-master init` + `parse-prd` leave it: tagged tasks.json, 2-space indent. */
const TAGGED = {
  master: {
    tasks: [
      {
        id: 1,
        title: 'Set up the project',
        description: 'Scaffold the repository.',
        details: 'Use npm init.',
        testStrategy: 'npm test passes.',
        priority: 'high',
        dependencies: [],
        status: 'done',
        subtasks: [],
      },
      {
        id: 2,
        title: 'Build the parser',
        description: 'Parse the input.',
        status: 'pending',
        dependencies: [1],
        priority: 'medium',
        subtasks: [
          { id: 1, title: 'Write the lexer', description: '', dependencies: [], status: 'pending' },
          { id: 2, title: 'Write the grammar', description: '', dependencies: [1], status: 'pending' },
        ],
      },
      { id: 3, title: 'Document it', description: 'Write the README.', status: 'pending', dependencies: ['2.2', 1], priority: 'low', subtasks: [] },
    ],
    metadata: { created: '2025-01-01T00:00:00.000Z', updated: '2025-01-01T00:00:00.000Z', description: 'Tasks for master context' },
  },
  'feature-x': {
    tasks: [{ id: 1, title: 'Feature X only task', description: '', status: 'pending', dependencies: [] }],
    metadata: { created: '2025-01-02T00:00:00.000Z' },
  },
};

function io(cwd: string): CliIo & { output: { out: string; err: string } } {
  const output = { out: '', err: '' };
  return {
    output,
    out: (t) => (output.out += t),
    err: (t) => (output.err += t),
    cwd,
    env: { ACA_CLAUDE_PATH: '/nonexistent/claude', ACA_CODEX_PATH: '/nonexistent/codex' },
    home: '/nonexistent-home',
  };
}

describe('Task Master tasks.json', () => {
  const dirs = useTempDirs('ws');

  async function project(data: unknown, state?: unknown): Promise<string> {
    await mkdir(path.join(dirs.ws, '.taskmaster', 'tasks'), { recursive: true });
    const file = path.join(dirs.ws, '.taskmaster', 'tasks', 'tasks.json');
    await writeFile(file, JSON.stringify(data, null, 2));
    if (state !== undefined) {
      await writeFile(path.join(dirs.ws, '.taskmaster', 'state.json'), JSON.stringify(state, null, 2));
    }
    return file;
  }

  describe('defect kind 10: a Task Master file is read as Task Master, not refused as a plan', () => {
    it('parses a tagged tasks.json into its tasks, subtasks and dependencies', async () => {
      const file = await project(TAGGED);
      const { plan, problems } = await planFromTasksFile(file, { workspaceRoot: dirs.ws });
      assert.deepEqual(problems, []);
      assert.equal(plan.source?.format, 'task-master');
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.parent, t.status, t.dependsOn]),
        [
          ['1', null, 'done', []],
          ['2', null, 'pending', ['1']],
          ['2.1', '2', 'pending', []],
          ['2.2', '2', 'pending', ['2.1']],
          ['3', null, 'pending', ['2.2', '1']],
        ],
      );
    });

    it('aca run --dry-run reads it and lists the tasks (no schema errors)', async () => {
      await project(TAGGED);
      const cli = io(dirs.ws);
      const code = await runCli(['run', '.taskmaster/tasks/tasks.json', '--dry-run'], cli);
      assert.equal(code, 0, cli.output.err);
      assert.match(cli.output.out, /Build the parser/);
      assert.match(cli.output.out, /2\.2 {2}Write the grammar/);
      assert.doesNotMatch(cli.output.err, /plan-invalid|Required|expected/);
    });
  });
  describe('reader', () => {
    const read = (data: unknown, options: { tag?: string; currentTag?: string } = {}): ReturnType<typeof parseTaskMaster> =>
      parseTaskMaster(typeof data === 'string' ? data : JSON.stringify(data, null, 2), { file: 'tasks.json', ...options });

    it('reads the legacy { "tasks": [...] } of older projects (tasks/tasks.json)', async () => {
      await mkdir(path.join(dirs.ws, 'tasks'));
      const file = path.join(dirs.ws, 'tasks', 'tasks.json');
      await writeFile(
        file,
        JSON.stringify(
          {
            meta: { projectName: 'Old' },
            tasks: [
              { id: 1, title: 'Only', status: 'pending', dependencies: [] },
              { id: 2, title: 'Next', dependencies: [1] },
            ],
          },
          null,
          2,
        ),
      );
      const { plan, problems } = await planFromTasksFile(file, { workspaceRoot: dirs.ws });
      assert.deepEqual(problems, []);
      assert.equal(plan.source?.format, 'task-master');
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.title, t.dependsOn, t.source?.line]),
        [
          ['1', 'Only', [], 6],
          ['2', 'Next', ['1'], 12],
        ],
      );
    });

    it('reads the current tag of .taskmaster/state.json, and --tag chooses another', async () => {
      const file = await project(TAGGED, { currentTag: 'feature-x', lastSwitched: '2025-01-02T00:00:00.000Z', branchTagMapping: {} });
      const current = await planFromTasksFile(file, { workspaceRoot: dirs.ws });
      assert.deepEqual(current.problems, []);
      assert.deepEqual(
        current.plan.tasks.map((t) => t.title),
        ['Feature X only task'],
      );
      assert.equal(current.plan.name, 'Task Master (feature-x)');
      const chosen = await planFromTasksFile(file, { workspaceRoot: dirs.ws, tag: 'master' });
      assert.equal(chosen.plan.tasks.length, 5);
      const cli = io(dirs.ws);
      assert.equal(await runCli(['run', '.taskmaster/tasks/tasks.json', '-n', '--tag', 'master'], cli), 0, cli.output.err);
      assert.match(cli.output.out, /Document it/);
    });

    it('an unknown tag is an error listing the tags', async () => {
      await project(TAGGED);
      const cli = io(dirs.ws);
      assert.equal(await runCli(['run', '.taskmaster/tasks/tasks.json', '-n', '--tag', 'nope'], cli), EXIT_BAD_INPUT);
      assert.match(cli.output.err, /tasks\.json: no tag "nope" in this tasks\.json; its tags: "master", "feature-x"/);
      const stale = read(TAGGED, { currentTag: 'gone' });
      assert.deepEqual(
        stale.problems.map((p) => p.code),
        ['task-master-unknown-tag'],
      );
      assert.match(stale.problems[0]!.message, /current tag "gone" \(from \.taskmaster\/state\.json\).*"master", "feature-x"; choose one with --tag/);
    });

    it('--help of aca run tells of --tag', async () => {
      const cli = io(dirs.ws);
      assert.equal(await runCli(['run', '--help'], cli), 0);
      assert.match(cli.output.out, /--tag <name> +Task Master: read this tag of tasks\.json/);
    });

    it('maps every Task Master status, and keeps a group done only when its subtasks are', () => {
      const words = ['pending', 'in-progress', 'done', 'review', 'deferred', 'cancelled', 'blocked'];
      const parsed = read({ tasks: words.map((status, i) => ({ id: i + 1, title: `Task ${status}`, status })) });
      assert.deepEqual(parsed.problems, []);
      assert.deepEqual(
        parsed.tasks.map((t) => t.status),
        ['pending', 'in_progress', 'done', 'in_progress', 'skipped', 'skipped', 'pending'],
      );
      const groups = read({
        tasks: [
          {
            id: 1,
            title: 'All done',
            status: 'pending',
            subtasks: [
              { id: 1, title: 'a', status: 'done' },
              { id: 2, title: 'b', status: 'cancelled' },
            ],
          },
          {
            id: 2,
            title: 'Marked done, one left',
            status: 'done',
            subtasks: [
              { id: 1, title: 'c', status: 'done' },
              { id: 2, title: 'd', status: 'pending' },
            ],
          },
        ],
      });
      assert.deepEqual(
        groups.tasks.map((t) => [t.id, t.parent, t.status]),
        [
          ['1', null, 'done'],
          ['1.1', '1', 'done'],
          ['1.2', '1', 'skipped'],
          ['2', null, 'in_progress'],
          ['2.1', '2', 'done'],
          ['2.2', '2', 'pending'],
        ],
      );
      const odd = read({ tasks: [{ id: 1, title: 'Odd', status: 'someday' }] });
      assert.equal(odd.tasks[0]!.status, 'pending');
      assert.deepEqual(
        odd.problems.map((p) => [p.severity, p.code]),
        [['warning', 'task-master-status']],
      );
    });

    it('reads priority, and details and test strategy into the description under headings', () => {
      const parsed = read({
        tasks: [
          { id: 1, title: 'A', description: 'Do A.', details: 'Edit src/a.ts.', testStrategy: 'Run npm test.', priority: 'high' },
          { id: 2, title: 'B', priority: 'medium' },
          { id: 3, title: 'C', priority: 'low', description: 'Only C.' },
        ],
      });
      assert.deepEqual(
        parsed.tasks.map((t) => t.priority),
        ['high', 'normal', 'low'],
      );
      assert.equal(parsed.tasks[0]!.description, 'Do A.\n\n### Details\n\nEdit src/a.ts.\n\n### Test strategy\n\nRun npm test.');
      assert.equal(parsed.tasks[2]!.description, 'Only C.');
    });

    it('resolves dependencies: numbers, "5.1" strings, a subtask\'s number as its sibling; unknown ones warn', () => {
      const parsed = read({
        tasks: [
          { id: '1', title: 'One', dependencies: [] },
          {
            id: '5',
            title: 'Five',
            dependencies: ['1'],
            subtasks: [
              { id: 1, title: 'Five one', dependencies: [] },
              { id: 2, title: 'Five two', dependencies: [1, '1', 5, 9] },
            ],
          },
          { id: 6, title: 'Six', dependencies: ['5.1', 5, 42] },
        ],
      });
      assert.deepEqual(
        parsed.tasks.map((t) => [t.id, t.dependsOn]),
        [
          ['1', []],
          ['5', ['1']],
          ['5.1', []],
          ['5.2', ['5.1']],
          ['6', ['5.1', '5']],
        ],
      );
      assert.deepEqual(
        parsed.problems.map((p) => [p.severity, p.code, p.message]),
        [
          ['warning', 'dependency-unresolved', 'task 5.2 depends on "9", which names no task of this file; the dependency is ignored'],
          ['warning', 'dependency-unresolved', 'task 6 depends on "42", which names no task of this file; the dependency is ignored'],
        ],
      );
    });

    it('a malformed file names the task and the field', () => {
      const parsed = read({
        master: { tasks: [{ id: 1, title: 'Fine' }, { id: 7, title: 'Bad', dependencies: '3' }, { id: 8, title: '' }, { title: 'No id' }, 'text'] },
      });
      assert.deepEqual(
        parsed.problems.map((p) => [p.code, p.message, p.line]),
        [
          ['task-master-invalid', 'task 7: field "dependencies": expected an array of ids, found "3"', 11],
          ['task-master-invalid', 'task 8: field "title": expected a non-empty string, found ""', 15],
          ['task-master-invalid', 'task 4: field "id": missing', 17],
          ['task-master-invalid', 'task 5: expected an object, found "text"', 20],
        ],
      );
      const cli = read('{"tasks": [{"id": 1, "title": "x", "subtasks": [{"id": 1, "title": "y", "status": 3}]}]}');
      assert.deepEqual(
        cli.problems.map((p) => p.message),
        ['subtask 1.1: field "status": expected a string, found 3'],
      );
    });

    it('a JSON that is not a known task format says what was expected and what was found', async () => {
      assert.match(
        read({ name: 'pkg', version: '1.0.0', scripts: {} }).problems[0]!.message,
        /^not a known task format: expected a Task Master tasks\.json: \{"<tag>": \{"tasks": \[\.\.\.\].*\} \(legacy\); found an object with the keys "name", "version", "scripts"$/,
      );
      assert.match(read([1, 2]).problems[0]!.message, /found an array of 2$/);
      assert.deepEqual(
        read('{"tasks": [').problems.map((p) => p.code),
        ['task-master-syntax'],
      );
      assert.deepEqual(
        read('{"__proto__": {"tasks": []}, "tasks": []}').problems.map((p) => p.code),
        ['task-master-forbidden-key'],
      );
      assert.deepEqual(
        read(`${'['.repeat(100)}${']'.repeat(100)}`).problems.map((p) => p.code),
        ['task-master-too-deep'],
      );
      // Through the CLI: one line saying so, instead of a page of schema errors; ACA plans still load as plans.
      await writeFile(path.join(dirs.ws, 'package.json'), JSON.stringify({ name: 'pkg', version: '1.0.0' }));
      const cli = io(dirs.ws);
      assert.equal(await runCli(['run', 'package.json', '-n'], cli), EXIT_BAD_INPUT);
      assert.match(cli.output.err, /^package\.json: not a known task format: expected a Task Master tasks\.json/);
      assert.doesNotMatch(cli.output.err, /Invalid input/);
      await writeFile(path.join(dirs.ws, 'plan.json'), JSON.stringify({ version: 1, name: 'p', tasks: [{ id: 'a', title: 'A' }] }));
      const plan = io(dirs.ws);
      assert.equal(await runCli(['run', 'plan.json', '-n'], plan), 0, plan.output.err);
      assert.equal(await runCli(['run', 'plan.json', '-n', '--tag', 'x'], io(dirs.ws)), EXIT_BAD_INPUT);
    });
  });
  describe('status write-back', () => {
    /** Task Master's own layout: 2-space indent, no newline at the end, fields ACA does not know. */
    const layout = (data: unknown): string => JSON.stringify(data, null, 2);
    const withStatus = (change: (data: typeof TAGGED) => void): string => {
      const copy = JSON.parse(JSON.stringify(TAGGED)) as typeof TAGGED;
      change(copy);
      return layout(copy);
    };

    it('writes "status" into the task or subtask and changes nothing else (other tags, fields, order, indentation)', async () => {
      const file = await project(TAGGED);
      const { plan } = await planFromTasksFile(file, { workspaceRoot: dirs.ws });
      const line = (id: string): number => plan.tasks.find((t) => t.id === id)!.source!.line;
      assert.equal(await writeBackTaskMaster(file, '2.1', 'Write the lexer', line('2.1'), 'in-progress', dirs.ws), 'written');
      assert.equal(
        await readFile(file, 'utf8'),
        withStatus((d) => (d.master.tasks[1]!.subtasks[0]!.status = 'in-progress')),
      );
      assert.equal(await writeBackTaskMaster(file, '2.1', 'Write the lexer', line('2.1'), 'done', dirs.ws), 'written');
      assert.equal(await writeBackTaskMaster(file, '2', 'Build the parser', line('2'), 'done', dirs.ws), 'written');
      assert.equal(
        await readFile(file, 'utf8'),
        withStatus((d) => {
          d.master.tasks[1]!.subtasks[0]!.status = 'done';
          d.master.tasks[1]!.status = 'done';
        }),
      );
      // Task 1 of "feature-x" has the same id as task 1 of master: its title tells them apart.
      assert.equal(await writeBackTaskMaster(file, '1', 'Feature X only task', 50, 'done', dirs.ws), 'written');
      assert.equal(JSON.parse(await readFile(file, 'utf8')).master.tasks[0].status, 'done');
      assert.equal(JSON.parse(await readFile(file, 'utf8'))['feature-x'].tasks[0].status, 'done');
    });

    it("compares before writing: the user's status, a renamed task and a done task are left alone", async () => {
      const file = await project(TAGGED);
      const before = withStatus((d) => (d.master.tasks[2]!.status = 'cancelled'));
      await writeFile(file, before);
      assert.equal(await writeBackTaskMaster(file, '3', 'Document it', 40, 'done', dirs.ws), 'changed');
      assert.equal(await writeBackTaskMaster(file, '3', 'Document it', 40, 'pending', dirs.ws), 'unchanged');
      assert.equal(await writeBackTaskMaster(file, '3', 'Something else now', 40, 'in-progress', dirs.ws), 'not-found');
      assert.equal(await writeBackTaskMaster(file, '9', 'Document it', 40, 'in-progress', dirs.ws), 'not-found');
      assert.equal(await writeBackTaskMaster(file, '1', 'Set up the project', 5, 'done', dirs.ws), 'unchanged');
      assert.equal(await readFile(file, 'utf8'), before);
    });

    it('adds a missing "status" in the file\'s own indentation, and keeps CRLF and a legacy layout', async () => {
      await mkdir(path.join(dirs.ws, 'tasks'));
      const file = path.join(dirs.ws, 'tasks', 'tasks.json');
      const text = `{\r\n    "tasks": [\r\n        {\r\n            "id": 1,\r\n            "title": "No status yet"\r\n        }\r\n    ]\r\n}\r\n`;
      await writeFile(file, text);
      assert.equal(await writeBackTaskMaster(file, '1', 'No status yet', 3, 'in-progress', dirs.ws), 'written');
      assert.equal(
        await readFile(file, 'utf8'),
        `{\r\n    "tasks": [\r\n        {\r\n            "id": 1,\r\n            "title": "No status yet",\r\n            "status": "in-progress"\r\n        }\r\n    ]\r\n}\r\n`,
      );
    });

    it('refuses a tasks.json that is a symlink leading out of the workspace', async () => {
      const outside = path.join(path.dirname(dirs.ws), `${path.basename(dirs.ws)}-outside.json`);
      await writeFile(outside, layout(TAGGED));
      await mkdir(path.join(dirs.ws, '.taskmaster', 'tasks'), { recursive: true });
      const link = path.join(dirs.ws, '.taskmaster', 'tasks', 'tasks.json');
      await symlink(outside, link);
      try {
        await assert.rejects(writeBackTaskMaster(link, '3', 'Document it', 40, 'done', dirs.ws));
        assert.equal(await readFile(outside, 'utf8'), layout(TAGGED));
      } finally {
        await rm(outside, { force: true });
      }
    });

    it('marks spec-kit\'s heading layout: the [ ] inside "### T001: [ ] Title"', async () => {
      const file = path.join(dirs.ws, 'tasks.md');
      await writeFile(file, '# Tasks\r\n\r\n### T001: [ ] Create the project\r\n**Depends On**: None\r\n\r\n### T002: [X] [P] Second task\r\n');
      assert.equal(await writeBackCheckbox(file, 3, 'Create the project', '-', dirs.ws), 'written');
      assert.equal(await writeBackCheckbox(file, 3, 'Create the project', 'X', dirs.ws), 'written');
      assert.equal(await writeBackCheckbox(file, 6, 'Second task', 'x', dirs.ws), 'unchanged');
      assert.equal(
        await readFile(file, 'utf8'),
        '# Tasks\r\n\r\n### T001: [X] Create the project\r\n**Depends On**: None\r\n\r\n### T002: [X] [P] Second task\r\n',
      );
    });
  });
});
