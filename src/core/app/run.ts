/**
 * Starting (or going on with) a run, for both faces: the provider dispatcher, the per-task file snapshots
 * and the engine, from one validated RunSettings. Heavy: it loads the engine and the providers (VS Code
 * reaches it through app/heavy.ts, loaded on the first run).
 */
import type { AcaConfig } from '../config/config';
import { Engine } from '../engine/engine';
import { createDispatcher, type ProviderEnvironment } from '../providers/factory';
import type { SessionWriter } from '../session/sessionStore';
import { taskFileSnapshots } from '../workspace/fileCheckpoints';
import type { RunSettings } from './runSettings';

export interface RunContext {
  readonly workspace: string;
  /** aca.toml (the CLI) or the `aca.*` settings in its shape (VS Code). */
  readonly config: AcaConfig;
  /** Keys, executables, the command question, VS Code's models. */
  readonly environment: ProviderEnvironment;
  /** Something the user should know but that does not stop the run (file snapshots are off). */
  readonly warn: (message: string) => void;
  /** Adapt concurrency to the machine's memory and load (default true; `aca interactive` runs one task at a time). */
  readonly resources?: false;
}

/**
 * The engine of a run of the session `writer` owns. With `retryFailed`, failed, blocked and cancelled
 * tasks are reset (with their dependents) before it starts, the same way for both faces.
 */
export async function prepareRun(writer: SessionWriter, settings: RunSettings, context: RunContext): Promise<{ engine: Engine }> {
  const dispatcher = createDispatcher(context.config, {
    provider: settings.provider,
    ...(settings.model ? { model: settings.model } : {}),
    environment: context.environment,
  });
  const files = settings.fileSnapshots ? await taskFileSnapshots(context.workspace, writer.dir, writer.state.sessionId) : {};
  if (files.problem) {
    context.warn(files.problem);
  }
  const engine = new Engine({
    writer,
    agent: dispatcher,
    workspace: context.workspace,
    ...(files.snapshots ? { fileSnapshots: files.snapshots } : {}),
    ...(settings.concurrency !== undefined ? { concurrency: settings.concurrency } : {}),
    ...(settings.maxAttempts !== undefined ? { maxAttempts: settings.maxAttempts } : {}),
    ...(settings.failurePolicy ? { failurePolicy: settings.failurePolicy } : {}),
    ...(settings.verify.length ? { defaultVerify: [...settings.verify] } : {}),
    ...(context.resources === false ? { resources: false } : {}),
    includeOptional: settings.includeOptional,
    writeBack: settings.writeBack,
    budgets: settings.budgets,
  });
  if (settings.retryFailed) {
    await engine.retryTasks();
  }
  return { engine };
}
