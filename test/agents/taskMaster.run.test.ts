/**
 * A Task Master project end to end: the built `aca` runs `.taskmaster/tasks/tasks.json` (tagged layout, the
 * current tag from state.json) with the real `claude` CLI against the scripted model server. The tasks run in
 * dependency order (not file order), subtasks as tasks of their group, and `"status": "done"` is written back
 * into tasks.json with the rest of the file (other tag, unknown fields, order, indentation) unchanged.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { anthropicPrompt, ModelServer, type ScriptedTurn } from '../support/modelServer';
import { parseJsonLines, runAca, scriptedClaudeEnv, useTempDirs } from '../support/processes';

/** File order is not run order: task 1 waits for 3, which waits for 2; task 4 is already done. */
function project(): Record<string, { tasks: Array<Record<string, unknown>>; metadata: Record<string, unknown> }> {
  return {
    master: {
      tasks: [
        {
          id: 1,
          title: 'Write the usage notes',
          description: 'Document the greeting module.',
          details: 'Create USAGE.md describing greet().',
          testStrategy: 'Read it.',
          priority: 'low',
          dependencies: [3],
          status: 'pending',
          subtasks: [],
          updatedAt: '2025-06-01T00:00:00.000Z',
        },
        {
          id: 2,
          title: 'Create the config',
          description: 'The settings file.',
          details: 'Create config.json with {"greeting": "hello"}.',
          priority: 'high',
          dependencies: [],
          status: 'pending',
          subtasks: [],
        },
        {
          id: 3,
          title: 'Create the greeting module',
          description: 'A module that greets.',
          priority: 'medium',
          dependencies: [2],
          status: 'pending',
          subtasks: [
            { id: 1, title: 'Write greet.py', description: 'The function.', dependencies: [], status: 'pending', parentTaskId: 3 },
            { id: 2, title: 'Write test_greet.py', description: 'Its test.', dependencies: [1], status: 'pending', parentTaskId: 3 },
          ],
        },
        { id: 4, title: 'Choose a licence', description: 'Already chosen.', dependencies: [], status: 'done', subtasks: [] },
      ],
      metadata: { created: '2025-06-01T00:00:00.000Z', updated: '2025-06-01T00:00:00.000Z', description: 'Tasks for master context' },
    },
    experiment: {
      tasks: [{ id: 1, title: 'Try another greeting', description: '', dependencies: [], status: 'pending', subtasks: [] }],
      metadata: { created: '2025-06-02T00:00:00.000Z' },
    },
  };
}

/** What each task creates, in the order the tasks must run. */
const RUN_ORDER: ReadonlyArray<readonly [string, string, string]> = [
  ['2', 'config.json', '{"greeting": "hello"}\n'],
  ['3.1', 'greet.py', 'def greet(name):\n    return f"hello {name}"\n'],
  ['3.2', 'test_greet.py', 'from greet import greet\n\nassert greet("x") == "hello x"\n'],
  ['1', 'USAGE.md', '# Usage\n\ngreet(name) returns a greeting.\n'],
];

describe('aca run: a Task Master project with the real claude CLI', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  it('runs the tasks in dependency order and writes "status": "done" back into tasks.json, the rest unchanged', async () => {
    const taskmaster = path.join(dirs.workspace, '.taskmaster');
    await mkdir(path.join(taskmaster, 'tasks'), { recursive: true });
    const tasksFile = path.join(taskmaster, 'tasks', 'tasks.json');
    await writeFile(tasksFile, JSON.stringify(project(), null, 2));
    await writeFile(
      path.join(taskmaster, 'state.json'),
      JSON.stringify({ currentTag: 'master', lastSwitched: '2025-06-01T00:00:00.000Z', branchTagMapping: {}, migrationNoticeShown: true }, null, 2),
    );
    const turns: ScriptedTurn[] = RUN_ORDER.flatMap(([, name, content]): ScriptedTurn[] => [
      { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.workspace, name), content } },
      { type: 'text', text: `Created ${name}.` },
    ]);
    server = await ModelServer.start({ turns });
    const run = await runAca(['run', '.taskmaster/tasks/tasks.json', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5', '--write-back', '--json'], {
      workspace: dirs.workspace,
      home: dirs.home,
      timeoutMs: 150_000,
      env: scriptedClaudeEnv(server.baseUrl),
    });
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);

    // Dependency order: 2, then 3's subtasks (3 is a group, done with them), then 1; 4 was done already.
    const events = parseJsonLines(run.stdout);
    assert.deepEqual(
      events.filter((e) => e['type'] === 'task_started').map((e) => e['taskId']),
      RUN_ORDER.map(([id]) => id),
    );
    assert.deepEqual(
      events.filter((e) => e['type'] === 'task_done').map((e) => e['taskId']),
      ['2', '3.1', '3.2', '3', '1'],
    );
    for (const [, name, content] of RUN_ORDER) {
      assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
    }
    // Each agent got its own task, with Task Master's details.
    const prompts = server.modelRequests.filter((_, i) => i % 2 === 0).map((r) => anthropicPrompt(r) ?? '');
    assert.match(prompts[0]!, /Create the config[\s\S]*Create config\.json with \{"greeting": "hello"\}/);
    assert.match(prompts[3]!, /Write the usage notes[\s\S]*Test strategy[\s\S]*Read it\./);

    // Written back in Task Master's own layout: only the statuses of the tasks that ran changed.
    const expected = project();
    for (const task of expected['master']!.tasks) {
      if (task['id'] !== 4) {
        task['status'] = 'done';
        for (const subtask of task['subtasks'] as Array<Record<string, unknown>>) {
          subtask['status'] = 'done';
        }
      }
    }
    assert.equal(await readFile(tasksFile, 'utf8'), JSON.stringify(expected, null, 2));
    assert.match(run.stderr, /^6 done, 0 failed, 0 blocked, 0 skipped, 0 cancelled, 0 not run/m);
  });
});
