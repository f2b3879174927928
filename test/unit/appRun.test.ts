import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { analysisReferenceContext, analyzeTasks, prepareRun } from '../../src/core/app/heavy';
import { validateRunSettings } from '../../src/core/app/runSettings';
import { planSchema } from '../../src/core/model/plan';
import type { CompletionRequest } from '../../src/core/plan/analyze';
import { SessionWriter } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';

describe('app: analysis and runs', function () {
  this.timeout(30_000);
  const dirs = useTempDirs('ws');

  it('gives each task the files it names, a truncated one marked as such, for both faces', async () => {
    await writeFile(path.join(dirs.ws, 'small.md'), 'small file\n');
    await writeFile(path.join(dirs.ws, 'big.txt'), 'x'.repeat(100 * 1024));
    const tasksFile = path.join(dirs.ws, 'tasks.md');
    await writeFile(tasksFile, '- [ ] one\n- [ ] two\n');
    const plan = planSchema.parse({
      version: 1,
      name: 'refs',
      tasks: [
        { id: '1', title: 'one', references: [{ path: 'small.md', found: true }] },
        { id: '2', title: 'two', references: [{ path: 'big.txt', found: true }] },
        { id: '3', title: 'three' },
      ],
    });
    const context = await analysisReferenceContext(plan, tasksFile, dirs.ws);
    assert.deepEqual([...context.keys()], ['1', '2']);
    assert.equal(context.get('1'), '--- small.md\nsmall file\n');
    assert.match(context.get('2') ?? '', /^--- big\.txt \(truncated\)\nx+$/);

    const prompts: string[] = [];
    const port = {
      id: 'fake:model',
      complete: async (request: CompletionRequest) => {
        prompts.push(request.prompt);
        return { text: '{"tasks": []}' };
      },
    };
    const result = await analyzeTasks(plan, tasksFile, dirs.ws, { port });
    assert.equal(result.plan.tasks.length, 3);
    assert.match(prompts[0] ?? '', /--- big\.txt \(truncated\)/);
  });

  it('prepares the engine of a run; retrying resets failed, blocked and cancelled tasks the same way for both faces', async () => {
    const plan = planSchema.parse({
      version: 1,
      name: 'retry',
      tasks: [
        { id: '1', title: 'a' },
        { id: '2', title: 'b', dependsOn: ['1'] },
        { id: '3', title: 'c' },
      ],
    });
    const writer = await SessionWriter.create(path.join(dirs.ws, '.aca', 'sessions'), plan);
    try {
      await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
      await writer.append({ type: 'task_failed', taskId: '1', error: 'no', retryable: false });
      await writer.append({ type: 'task_blocked', taskId: '2', reason: 'task 1 failed' });
      await writer.append({ type: 'task_started', taskId: '3', attempt: 1 });
      await writer.append({ type: 'task_done', taskId: '3' });
      const warnings: string[] = [];
      const settings = validateRunSettings({ retryFailed: true, fileSnapshots: false });
      const { engine } = await prepareRun(writer, settings, {
        workspace: dirs.ws,
        config: {},
        environment: { claudePath: '/nonexistent/claude' },
        warn: (m) => warnings.push(m),
      });
      assert.ok(engine);
      assert.deepEqual(
        Object.entries(writer.state.tasks).map(([id, run]) => [id, run.state]),
        [
          ['1', 'pending'],
          ['2', 'pending'],
          ['3', 'done'],
        ],
      );
      assert.deepEqual(warnings, []);
    } finally {
      await writer.close();
    }
  });
});
