/**
 * The session use cases of both faces: create a session with its first checkpoint, checkpoint the newest
 * one, restore a checkpoint, choose the session to resume, find the session a task ran in, and the one
 * interrupted session worth offering. Light: no engine, no providers (VS Code loads it at activation).
 */
import type { Plan } from '../model/plan';
import type { SessionState } from '../session/events';
import { sessionHasRun } from '../session/hasRun';
import { lockHolderAlive } from '../session/lock';
import type { SessionOwner } from '../session/owner';
import {
  createCheckpoint,
  DEFAULT_RETENTION,
  listSessions,
  readCheckpoints,
  type CheckpointFile,
  type RetentionPolicy,
  type SessionSummary,
} from '../session/sessions';
import { loadSession, SessionWriter, type Repair } from '../session/sessionStore';
import { sessionFileCheckpoints, type FileChange, type FileCheckpoints } from '../workspace/fileCheckpoints';
import { newSessionsRoot, privateSessionsRoot, sessionRoots, type SessionPlaces } from './sessionPlaces';

export interface SessionOptions {
  /** Whose sessions are the user's (default: the user of `os.homedir()`). */
  readonly owner?: SessionOwner;
  /** fsync ordinary events after this many appends (`[sessions] sync_every`, `aca.sessions.syncEvery`). */
  readonly syncEvery?: number;
  readonly retention?: RetentionPolicy;
}

export interface ListOptions {
  readonly owner?: SessionOwner;
  /** The private root (VS Code's storage): every session in it is the user's. */
  readonly privateRoot?: string;
}

/** How many recent sessions are searched for the one a task ran in. */
export const SESSIONS_SEARCHED = 10;

function writerOptions(options: SessionOptions): { syncEvery?: number; owner?: SessionOwner } {
  return { ...(options.syncEvery !== undefined ? { syncEvery: options.syncEvery } : {}), ...(options.owner ? { owner: options.owner } : {}) };
}

/** The file checkpoints of a session, with the one exclude rule of every caller (`.aca` and the sessions folder). */
export function openSessionFiles(workspace: string, session: { readonly dir: string; readonly sessionId: string }): Promise<FileCheckpoints> {
  return sessionFileCheckpoints(workspace, session.dir, session.sessionId);
}

/** A new session of `plan` where new sessions go, with a first checkpoint of its state and the workspace's files. */
export async function createSession(
  places: SessionPlaces,
  plan: Plan,
  options: SessionOptions & { readonly description: string },
): Promise<{ sessionId: string; dir: string }> {
  const writer = await SessionWriter.create(newSessionsRoot(places), plan, writerOptions(options));
  try {
    const files = await openSessionFiles(places.workspace, { dir: writer.dir, sessionId: writer.state.sessionId });
    await createCheckpoint(writer, options.description, 'manual', files, options.retention ?? DEFAULT_RETENTION);
  } finally {
    await writer.close();
  }
  return { sessionId: writer.state.sessionId, dir: writer.dir };
}

/** The sessions of these folders, newest first. A folder that cannot be read lists nothing, like an empty one. */
export async function listSessionsIn(roots: readonly string[], options: ListOptions = {}): Promise<SessionSummary[]> {
  const lists = await Promise.all(
    roots.map(async (root) => listSessions(root, { ...(options.owner ? { owner: options.owner } : {}), privateRoot: root === options.privateRoot })),
  );
  return lists.flat().sort((a, b) => b.updated.getTime() - a.updated.getTime() || b.id.localeCompare(a.id));
}

/** The listing options of these places: the storage root is the private one. */
export function listOptionsOf(places: SessionPlaces, owner?: SessionOwner): ListOptions {
  const privateRoot = privateSessionsRoot(places);
  return { ...(owner ? { owner } : {}), ...(privateRoot !== undefined ? { privateRoot } : {}) };
}

/** Unfinished, readable sessions, newest first (also those of others: callers decide about `foreign`). */
export async function unfinishedSessions(
  roots: readonly string[],
  owner?: SessionOwner,
  options: { readonly privateRoot?: string } = {},
): Promise<SessionSummary[]> {
  return (await listSessionsIn(roots, { ...options, ...(owner ? { owner } : {}) })).filter((s) => !s.finished && !s.problem);
}

/**
 * Checkpoints the newest unfinished session of the user's (its state and the workspace's files). The
 * description may be asked for once the session is known; undefined (no session, or no description) does nothing.
 */
export async function checkpointNewestSession(
  places: SessionPlaces,
  description: string | ((session: SessionSummary) => Promise<string | undefined>),
  options: SessionOptions = {},
): Promise<{ session?: SessionSummary; checkpoint?: CheckpointFile }> {
  const listing = listOptionsOf(places, options.owner);
  const session = (await unfinishedSessions(sessionRoots(places), listing.owner, listing)).find((s) => !s.foreign);
  if (!session) {
    return {};
  }
  const text = typeof description === 'string' ? description : await description(session);
  if (!text) {
    return { session };
  }
  const { writer } = await SessionWriter.resume(session.dir, writerOptions(options));
  try {
    const files = await openSessionFiles(places.workspace, { dir: writer.dir, sessionId: writer.state.sessionId });
    return { session, checkpoint: await createCheckpoint(writer, text, 'manual', files, options.retention ?? DEFAULT_RETENTION) };
  } finally {
    await writer.close();
  }
}

export interface FoundCheckpoint {
  readonly sessionDir: string;
  readonly session: SessionSummary;
  readonly checkpoint: CheckpointFile;
}

/**
 * The checkpoints of the user's own sessions, newest session first, each session's oldest first. Not those
 * of a session from elsewhere (a clone can bring one, with its own git store): they are not the user's to restore.
 */
export async function checkpointsOf(roots: readonly string[], options: ListOptions = {}): Promise<FoundCheckpoint[]> {
  const found: FoundCheckpoint[] = [];
  for (const session of (await listSessionsIn(roots, options)).filter((s) => !s.foreign)) {
    for (const checkpoint of await readCheckpoints(session.dir)) {
      found.push({ sessionDir: session.dir, session, checkpoint });
    }
  }
  return found;
}

/** The checkpoint with this id (a prefix is enough), or without one the newest of any of the user's sessions. */
export async function findCheckpoint(roots: readonly string[], id: string | undefined, options: ListOptions = {}): Promise<FoundCheckpoint | undefined> {
  let found: FoundCheckpoint | undefined;
  for (const candidate of await checkpointsOf(roots, options)) {
    const { checkpoint } = candidate;
    if (id !== undefined ? checkpoint.id === id || checkpoint.id.startsWith(id) : !found || checkpoint.created > found.checkpoint.created) {
      found = candidate;
    }
  }
  return found;
}

export interface RestorePreview {
  /** The files of the checkpoint; absent when it holds only the session's state. */
  readonly files?: FileCheckpoints;
  readonly changes: readonly FileChange[];
  /** Files the checkpoint did not cover (ignored or too large then): never deleted, left as they are. */
  readonly notCovered: readonly string[];
}

/** What restoring a checkpoint would change in the workspace (nothing is changed). */
export async function previewRestore(workspace: string, found: Pick<FoundCheckpoint, 'sessionDir' | 'checkpoint'>): Promise<RestorePreview> {
  const { checkpoint, sessionDir } = found;
  if (!checkpoint.fileCommit) {
    return { changes: [], notCovered: [] };
  }
  const files = await openSessionFiles(workspace, { dir: sessionDir, sessionId: checkpoint.state.sessionId });
  const { changes, notCovered } = await files.plan(checkpoint.fileCommit);
  return { files, changes, notCovered };
}

/**
 * Puts a session back to a checkpoint: the workspace's files, then its task states (work undone on disk is
 * not done in the session). The session is locked first, and the restore journaled only once the files are
 * back: a restore that fails half-way leaves the task states as they were.
 */
export async function restoreCheckpoint(
  workspace: string,
  found: Pick<FoundCheckpoint, 'sessionDir' | 'checkpoint'>,
  preview?: RestorePreview,
): Promise<FileChange[]> {
  const { checkpoint, sessionDir } = found;
  const files = preview ? preview.files : (await previewRestore(workspace, found)).files;
  const { writer } = await SessionWriter.resume(sessionDir);
  try {
    const restored = files && checkpoint.fileCommit ? await files.restore(checkpoint.fileCommit) : [];
    await writer.append({ type: 'checkpoint_restored', checkpointId: checkpoint.id, tasks: checkpoint.state.tasks });
    return restored;
  } finally {
    await writer.close();
  }
}

/**
 * The session to resume: the one with this id (a prefix is enough), else the newest unfinished one of the
 * user's. A session that is not the user's (a repository can bring one) is never picked without being
 * named: those passed over are listed in `skippedForeign`.
 */
export async function sessionToResume(
  roots: readonly string[],
  id: string | undefined,
  options: ListOptions & { readonly unfinishedOnly?: boolean } = {},
): Promise<{ session?: SessionSummary; skippedForeign: SessionSummary[] }> {
  const all = await listSessionsIn(roots, options);
  if (id !== undefined) {
    const candidates = options.unfinishedOnly ? all.filter((s) => !s.finished && !s.problem) : all;
    const session = candidates.find((s) => s.id === id) ?? candidates.find((s) => s.id.startsWith(id));
    return { ...(session ? { session } : {}), skippedForeign: [] };
  }
  const unfinished = all.filter((s) => !s.finished && !s.problem);
  const session = unfinished.find((s) => !s.foreign);
  return { ...(session ? { session } : {}), skippedForeign: unfinished.filter((s) => s.foreign) };
}

/**
 * Takes a session's lock once, which repairs what is safe (reported), and with `adopt` makes a session from
 * elsewhere the owner's, once the user chose to resume it (it is not asked about again).
 */
export async function repairSession(dir: string, options: { readonly adopt?: SessionOwner } = {}): Promise<readonly Repair[]> {
  const { writer, loaded } = await SessionWriter.resume(dir);
  try {
    if (options.adopt) {
      await writer.adopt(options.adopt);
    }
  } finally {
    await writer.close();
  }
  return loaded.repairs;
}

/** Makes a session from elsewhere the user's (see repairSession). */
export async function adoptSession(dir: string, owner: SessionOwner): Promise<void> {
  await repairSession(dir, { adopt: owner });
}

export interface TaskSession {
  readonly dir: string;
  readonly state: SessionState;
  readonly title: string;
}

/**
 * The session a task ran in: `preferDir` (the one run last in this window) first, then the newest of these
 * folders, whose plan has a task with this id — and this title, when known (plans of other tasks files
 * reuse ids). The newest SESSIONS_SEARCHED are searched.
 */
export async function findSessionOfTask(
  roots: readonly string[],
  taskId: string,
  options: { readonly title?: string; readonly preferDir?: string } = {},
): Promise<TaskSession | undefined> {
  const newest = (await listSessionsIn(roots)).filter((s) => !s.problem);
  const dirs = [...new Set([...(options.preferDir !== undefined ? [options.preferDir] : []), ...newest.map((s) => s.dir)])].slice(0, SESSIONS_SEARCHED);
  for (const dir of dirs) {
    const state = await loadSession(dir).then(
      (loaded) => loaded.state,
      // A session that cannot be read (being written, damaged) is not where the task is shown from.
      () => undefined,
    );
    const task = state?.plan.tasks.find((t) => t.id === taskId);
    if (state && task && state.tasks[taskId] && (options.title === undefined || task.title === options.title)) {
      return { dir, state, title: task.title };
    }
  }
  return undefined;
}

/**
 * The one session worth offering to resume: the user's own, unfinished, not offered before, some task of
 * which ran (a session only created is not "stopped"), and whose lock no live process holds (the CLI or
 * another window may be running it).
 */
export async function interruptedSessionToOffer(
  roots: readonly string[],
  options: ListOptions & { readonly alreadyOffered: readonly string[] },
): Promise<SessionSummary | undefined> {
  for (const session of await unfinishedSessions(roots, options.owner, options.privateRoot !== undefined ? { privateRoot: options.privateRoot } : {})) {
    // Never a session from elsewhere: one click must not run what a cloned repository put there.
    if (session.foreign || options.alreadyOffered.includes(session.id) || (await lockHolderAlive(session.dir))) {
      continue;
    }
    const state = await loadSession(session.dir).then(
      (loaded) => loaded.state,
      // Unreadable now (it was listed a moment ago): nothing to offer from it.
      () => undefined,
    );
    if (state && sessionHasRun(state)) {
      return session;
    }
  }
  return undefined;
}
