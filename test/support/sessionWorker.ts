/**
 * A session worker for the crash harness: resumes (or creates) the one session under ROOT and runs every
 * task that is not done. "Running" a task leaves a marker file first (the side effect an agent would
 * have), then journals usage and done. The harness kills it with SIGKILL at random moments.
 * MODE "writer" journals by hand; MODE "engine" runs the real engine (three tasks at once) with an agent
 * whose only work is the marker.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Engine, type TaskAgent } from '../../src/core/engine/engine';
import { planSchema } from '../../src/core/model/plan';
import { SessionWriter } from '../../src/core/session/sessionStore';

async function main(): Promise<void> {
  const [root, markers, taskCount, mode = 'writer'] = process.argv.slice(2) as [string, string, string, string?];
  // Loading the modules takes a while (the engine pulls in execa): the harness times its kill from here.
  process.stdout.write('ready\n');
  const existing = (await readdir(root)).filter((n) => !n.startsWith('.'));
  let writer: SessionWriter;
  if (existing.length === 0) {
    const plan = planSchema.parse({
      version: 1,
      name: 'crash',
      strategy: { mode: mode === 'engine' ? 'parallel' : 'sequential', maxConcurrent: mode === 'engine' ? 3 : 1 },
      tasks: Array.from({ length: Number(taskCount) }, (_, i) => ({
        id: String(i + 1),
        title: `write f${i + 1}.txt`,
        dependsOn: i % 4 === 3 ? [String(i)] : [],
      })),
    });
    writer = await SessionWriter.create(root, plan, { snapshotEvery: 25 });
  } else {
    writer = (await SessionWriter.resume(path.join(root, existing[0]!), { snapshotEvery: 25 })).writer;
  }
  if (mode === 'engine') {
    const agent: TaskAgent = {
      async *run(request) {
        const taskId = /^# Task (\S+):/.exec(request.freshPrompt ?? request.prompt)?.[1] ?? 'unknown';
        await writeFile(path.join(markers, `${taskId}.${process.pid}.${Date.now()}.${Math.random()}`), '');
        yield { type: 'agent', provider: 'claude-code', event: { type: 'session', sessionId: `s-${taskId}` } };
        await new Promise((resolve) => setTimeout(resolve, 3 + Math.random() * 5)); // the agent's work
        return {
          outcome: 'done',
          provider: 'claude-code',
          message: `did ${taskId}`,
          usage: { inputTokens: 10, outputTokens: 5, cachedTokens: 0 },
          durationMs: 1,
          runs: 1,
        };
      },
    };
    await new Engine({ writer, agent, workspace: markers, resources: false, retryBackoff: { baseMs: 0, maxMs: 0 } }).run();
    await writer.close();
    return;
  }
  for (const task of writer.state.plan.tasks) {
    const run = writer.state.tasks[task.id]!;
    if (run.state === 'done') {
      continue;
    }
    await writer.append({ type: 'task_started', taskId: task.id, attempt: run.attempts + 1 });
    await writeFile(path.join(markers, `${task.id}.${process.pid}.${Date.now()}`), '');
    await new Promise((resolve) => setTimeout(resolve, 2)); // the work, so that kills land mid-run
    await writer.append({ type: 'task_usage', taskId: task.id, inputTokens: 10, outputTokens: 5 });
    await writer.append({ type: 'task_done', taskId: task.id });
  }
  await writer.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
