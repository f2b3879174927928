/**
 * `aca interactive`: a prompt loop in the terminal. Each line is a task, run at once by the agent in the
 * current session (journaled like any other, so `aca resume` and VS Code see it); `status`, `help` and
 * `quit` are commands.
 */
import { createInterface } from 'node:readline';
import { prepareRun } from '../core/app/run';
import { RunSettingsError, validateRunSettings, type RunSettings } from '../core/app/runSettings';
import type { AcaConfig } from '../core/config/config';
import { planSchema, taskSchema } from '../core/model/plan';
import type { SessionState } from '../core/session/events';
import { SessionWriter } from '../core/session/sessionStore';
import { formatDuration } from '../core/session/progress';
import { cliEnvironment } from './cliIo';

export interface InteractiveIo {
  readonly err: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  readonly input: NodeJS.ReadableStream;
}

const HELP = [
  'Type a task and press Enter: the agent does it now, in this workspace.',
  '  status   the tasks of this session and how they ended',
  '  help     this text',
  '  quit     leave (the session is kept; aca resume shows it)',
].join('\n');

export async function interactive(
  root: string,
  workspace: string,
  config: AcaConfig,
  options: { provider?: string; model?: string },
  io: InteractiveIo,
): Promise<number> {
  let settings: RunSettings;
  try {
    // One task at a time, one attempt each, no file snapshots: the user watches each line being done.
    settings = validateRunSettings({
      provider: options.provider ?? config.provider,
      model: options.model ?? config.model,
      maxAttempts: 1,
      fileSnapshots: false,
    });
  } catch (error) {
    if (RunSettingsError.is(error)) {
      io.err(`aca: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const { provider, model } = settings;
  const writer = await SessionWriter.create(root, planSchema.parse({ version: 1, name: 'interactive', tasks: [] }));
  const { engine } = await prepareRun(writer, settings, {
    workspace,
    config,
    environment: cliEnvironment(io, { withEnv: false }),
    warn: (message) => io.err(`warning: ${message}\n`),
    resources: false,
  });
  engine.onEvent((event) => {
    if (event.type === 'agent' && event.event.type === 'agent' && (event.event.event.type === 'tool' || event.event.event.type === 'command')) {
      const e = event.event.event;
      io.err(`  │ ${e.type === 'tool' ? `${e.name} ${e.summary}` : `$ ${e.command} → ${e.exitCode}`}\n`);
    }
  });
  io.err(`ACA interactive, session ${writer.state.sessionId}, ${provider}${model ? ` (${model})` : ''}. "help" for commands.\n`);
  const lines = createInterface({ input: io.input, terminal: false });
  let next = 1;
  const prompt = (): void => io.err('aca> ');
  prompt();
  try {
    for await (const raw of lines) {
      const line = raw.trim();
      if (line === '') {
        prompt();
        continue;
      }
      if (line === 'quit' || line === 'exit') {
        break;
      }
      if (line === 'help') {
        io.err(`${HELP}\n`);
      } else if (line === 'status') {
        io.err(statusOf(writer.state));
      } else {
        const id = String(next++);
        // The line goes to the agent as it is: a prompt on stdin or one argument, never a shell.
        await engine.addTasks([
          taskSchema.parse({ id, title: line.length > 120 ? `${line.slice(0, 119)}…` : line, description: line.length > 120 ? line : '' }),
        ]);
        const summary = await engine.run();
        const run = writer.state.tasks[id];
        io.err(run?.state === 'done' ? `✔ ${id}: ${run.summary ?? 'done'}\n` : `✘ ${id}: ${run?.error ?? summary.outcome}\n`);
      }
      prompt();
    }
  } finally {
    lines.close();
    await writer.close();
  }
  io.err(`\nSession ${writer.state.sessionId} kept in ${writer.dir}.\n`);
  return 0;
}

/** The tasks of this session and how they ended. */
function statusOf(state: SessionState): string {
  const tasks = state.plan.tasks;
  if (tasks.length === 0) {
    return 'No task yet.\n';
  }
  const lines = tasks.map((t) => {
    const run = state.tasks[t.id];
    return `  ${t.id}. ${t.title}: ${run?.state ?? 'pending'}${run?.durationMs !== undefined ? `, ${formatDuration(run.durationMs)}` : ''}${run && run.costUsd > 0 ? `, $${run.costUsd.toFixed(4)}` : ''}`;
  });
  return `${lines.join('\n')}\n`;
}
