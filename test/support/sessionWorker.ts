/**
 * A session worker for the crash harness: resumes (or creates) the one session under ROOT and runs every
 * task that is not done. "Running" a task leaves a marker file first (the side effect an agent would
 * have), then journals usage and done. The harness kills it with SIGKILL at random moments.
 */
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { SessionWriter } from '../../src/core/session/sessionStore';

async function main(): Promise<void> {
  const [root, markers, taskCount] = process.argv.slice(2) as [string, string, string];
  const existing = (await readdir(root)).filter((n) => !n.startsWith('.'));
  let writer: SessionWriter;
  if (existing.length === 0) {
    const plan = planSchema.parse({ version: 1, name: 'crash', tasks: Array.from({ length: Number(taskCount) }, (_, i) => ({ id: String(i + 1), title: `task ${i + 1}` })) });
    writer = await SessionWriter.create(root, plan, { snapshotEvery: 25 });
  } else {
    writer = (await SessionWriter.resume(path.join(root, existing[0]!), { snapshotEvery: 25 })).writer;
  }
  for (const task of writer.state.plan.tasks) {
    const run = writer.state.tasks[task.id]!;
    if (run.state === 'done') {
      continue;
    }
    await writer.append({ type: 'task_started', taskId: task.id, attempt: run.attempts + 1 });
    await writeFile(path.join(markers, `${task.id}.${process.pid}.${Date.now()}`), '');
    await writer.append({ type: 'task_usage', taskId: task.id, inputTokens: 10, outputTokens: 5 });
    await writer.append({ type: 'task_done', taskId: task.id });
  }
  await writer.close();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
