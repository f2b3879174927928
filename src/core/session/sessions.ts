/**
 * Sessions of a workspace: listing them (newest first, with progress), and named checkpoints: a snapshot of
 * the session state plus a file checkpoint of the workspace, with retention by count and age.
 */
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { redactSecrets } from '../common/redact';
import type { FileCheckpoints } from '../workspace/fileCheckpoints';
import { SESSION_SCHEMA_VERSION, sessionStateSchema, type SessionState } from './events';
import { sessionOwner, type SessionOwner } from './owner';
import { loadSession, readSessionFile, SessionError, uuidv7, writeFileAtomic, type SessionWriter } from './sessionStore';
import { progressReport } from './progress';

/** The CLI's default, and the extension's when the user keeps sessions in the workspace. */
export function workspaceSessionsRoot(workspace: string): string {
  return path.join(workspace, '.aca', 'sessions');
}

export interface SessionSummary {
  readonly id: string;
  readonly dir: string;
  readonly name: string;
  readonly done: number;
  readonly total: number;
  readonly finished: boolean;
  /** Last change (the journal's or newest snapshot's modification time). */
  readonly updated: Date;
  readonly checkpoints: number;
  readonly costUsd: number;
  /** Set when the session could not be read; it is listed anyway, so nothing disappears silently. */
  readonly problem?: string;
  /**
   * Not made by this user in this folder (another machine, another user, a clone that brought it, an ACA
   * before owners were recorded): it is not resumed without an explicit choice (see owner.ts).
   */
  readonly foreign: boolean;
}

export interface ListOptions {
  /** Whose sessions are the user's own; default: the user of `os.homedir()`. */
  readonly owner?: SessionOwner;
  /**
   * A folder no repository can bring (VS Code's workspaceStorage): every session in it is the user's,
   * also those made before owners were recorded.
   */
  readonly privateRoot?: boolean;
}

/** Every session under `root`, newest first. Reading repairs nothing on disk that it does not report. */
export async function listSessions(root: string, options: ListOptions = {}): Promise<SessionSummary[]> {
  // No sessions folder yet (or an unreadable one): no sessions to list.
  const names = (await readdir(root).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  const owner = options.privateRoot ? undefined : (options.owner ?? (await sessionOwner()));
  const summaries: SessionSummary[] = [];
  for (const name of names) {
    const dir = path.join(root, name);
    const updated = await lastChange(dir);
    try {
      const loaded = await loadSession(dir);
      const { state } = loaded;
      const foreign = owner ? !(await owner.owns(loaded.owner, state.sessionId, dir)) : false;
      summaries.push({ ...progressOf(state), id: state.sessionId, dir, name: state.plan.name, updated, checkpoints: state.checkpoints.length, foreign });
    } catch (error) {
      const problem = SessionError.is(error) ? error.message : String(error);
      summaries.push({ id: name, dir, name, done: 0, total: 0, finished: false, updated, checkpoints: 0, costUsd: 0, problem, foreign: owner !== undefined });
    }
  }
  return summaries.sort((a, b) => b.updated.getTime() - a.updated.getTime() || b.id.localeCompare(a.id));
}

export function progressOf(state: SessionState): { done: number; total: number; finished: boolean; costUsd: number } {
  const { done, total } = progressReport(state);
  const costUsd = Object.values(state.tasks).reduce((sum, run) => sum + run.costUsd, 0);
  return { done, total, finished: done === total, costUsd };
}

/**
 * What resuming a session runs, for the user to see before resuming one that is not theirs: the tasks that
 * may run (their text is the agent's instructions), their verify commands, the provider conversations it
 * continues. Text from the session is shown with control characters escaped (no terminal tricks).
 */
export function describeSessionRun(state: SessionState): string[] {
  const titles = new Map(state.plan.tasks.map((task) => [task.id, task]));
  const toRun = Object.entries(state.tasks)
    .filter(([, run]) => run.state !== 'done' && run.state !== 'skipped')
    .map(([id]) => id);
  const lines = [`  ${toRun.length} task${toRun.length === 1 ? '' : 's'} to run (their titles and descriptions are the agent's instructions):`];
  for (const id of toRun.slice(0, 20)) {
    lines.push(`    ${printable(id)}: ${printable(titles.get(id)?.title ?? '')}`);
  }
  if (toRun.length > 20) {
    lines.push(`    … ${toRun.length - 20} more`);
  }
  const verify = toRun.flatMap((id) => (titles.get(id)?.verify ?? []).map((command) => `    ${printable(id)}: ${printable(command)}`));
  lines.push(verify.length ? '  verify commands:' : '  verify commands: none (only yours, from --verify or your settings)', ...verify);
  const conversations = toRun.flatMap((id) => {
    const run = state.tasks[id];
    return run?.providerSessionId && run.provider
      ? [`    ${printable(run.provider)} continues its conversation ${printable(run.providerSessionId)} (task ${printable(id)})`]
      : [];
  });
  const providers = [...new Set(toRun.map((id) => state.tasks[id]?.provider).filter((p): p is string => Boolean(p)))];
  lines.push(
    `  providers: ${providers.length ? `${providers.map(printable).join(', ')} before; ` : ''}the one you choose now (--provider or your configuration)`,
    ...conversations,
  );
  lines.push("  base URLs: none are stored in a session; the provider's comes from your configuration");
  return lines;
}

/** Control characters (escape sequences, newlines) of untrusted text, shown as \xNN. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

async function lastChange(dir: string): Promise<Date> {
  const times = await Promise.all(
    ['journal.jsonl', 'session.json', 'snapshots'].map((f) =>
      stat(path.join(dir, f)).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  ); // a missing file adds no time
  return new Date(Math.max(...times));
}

// --- named checkpoints ----------------------------------------------------------------------------------

export type CheckpointTrigger = 'manual' | 'task_completed' | 'interval' | 'before_risky_step' | 'on_error';

const checkpointFileSchema = z.object({
  version: z.number().int(),
  id: z.string(),
  description: z.string(),
  trigger: z.string(),
  created: z.string(),
  /** The workspace's files at that moment (a git commit), when file checkpoints are on. */
  fileCommit: z.string().optional(),
  state: sessionStateSchema,
});
export type CheckpointFile = z.infer<typeof checkpointFileSchema>;

export interface RetentionPolicy {
  /** Keep at most this many checkpoints per session (the newest always stays). */
  readonly maxCount: number;
  /** Drop checkpoints older than this (the newest always stays). */
  readonly maxAgeDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { maxCount: 20, maxAgeDays: 30 };

/** Journals a checkpoint, saves the state (and the workspace's files) under its UUIDv7, applies retention. */
export async function createCheckpoint(
  writer: SessionWriter,
  description: string,
  trigger: CheckpointTrigger,
  files?: FileCheckpoints,
  retention: RetentionPolicy = DEFAULT_RETENTION,
): Promise<CheckpointFile> {
  const id = uuidv7();
  const safeDescription = redactSecrets(description); // it goes into a commit message and a file
  const fileCommit = files ? (await files.create(id, `ACA checkpoint: ${safeDescription}`)).commit : undefined;
  await writer.append({ type: 'checkpoint_created', checkpointId: id, description: safeDescription, trigger });
  const checkpoint: CheckpointFile = {
    version: SESSION_SCHEMA_VERSION,
    id,
    description: safeDescription,
    trigger,
    created: new Date().toISOString(),
    ...(fileCommit ? { fileCommit } : {}),
    state: writer.state,
  };
  await mkdir(path.join(writer.dir, 'checkpoints'), { recursive: true });
  await writeFileAtomic(path.join(writer.dir, 'checkpoints', `${id}.json`), JSON.stringify(checkpoint));
  await pruneCheckpoints(writer.dir, retention, files);
  return checkpoint;
}

export async function readCheckpoints(sessionDir: string): Promise<CheckpointFile[]> {
  const dir = path.join(sessionDir, 'checkpoints');
  // A session without a checkpoints folder has no checkpoints.
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const checkpoints: CheckpointFile[] = [];
  for (const name of names) {
    // An unreadable checkpoint file is skipped like one that does not parse.
    const parsed = checkpointFileSchema.safeParse(
      await readSessionFile(path.join(dir, name)).then(
        (t) => JSON.parse(t) as unknown,
        () => undefined,
      ),
    );
    if (parsed.success) {
      checkpoints.push(parsed.data);
    }
  }
  return checkpoints; // UUIDv7 names sort oldest first
}

async function pruneCheckpoints(sessionDir: string, retention: RetentionPolicy, files?: FileCheckpoints): Promise<void> {
  const all = await readCheckpoints(sessionDir);
  const newest = all[all.length - 1];
  const cutoff = Date.now() - retention.maxAgeDays * 86_400_000;
  const keep = new Set(
    all
      .slice(-retention.maxCount)
      .filter((c) => Date.parse(c.created) >= cutoff)
      .map((c) => c.id),
  );
  if (newest) {
    keep.add(newest.id);
  }
  for (const checkpoint of all.filter((c) => !keep.has(c.id))) {
    await rm(path.join(sessionDir, 'checkpoints', `${checkpoint.id}.json`), { force: true });
    await files?.drop(checkpoint.id);
  }
}
