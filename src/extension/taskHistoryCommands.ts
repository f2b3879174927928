/**
 * What a task left behind, from the session where it ran: Open Transcript (a read-only document read from
 * the session when opened), Show Changes (a diff between the file snapshots taken around the task) and
 * Restore Files to Before This Task.
 */
import * as vscode from 'vscode';
import type { SessionState } from '../core/session/events';
import type { FileChange, FileCheckpoints } from '../core/workspace/fileCheckpoints';
import { loadSessions } from './lazyLoader';
import type { RunController } from './runController';

const TRANSCRIPT_SCHEME = 'aca-transcript';
const SNAPSHOT_SCHEME = 'aca-snapshot';

type TaskRun = SessionState['tasks'][string];

/** A task id from the Tasks view's context menu (a TaskTreeNode) or given as a string. */
export function taskIdOf(arg: unknown): string | undefined {
  return typeof arg === 'string' ? arg : taskOf(arg)?.id;
}

function taskOf(arg: unknown): { id?: string; title?: string } | undefined {
  if (typeof arg !== 'object' || arg === null || !('task' in arg) || typeof arg.task !== 'object' || arg.task === null) {
    return undefined;
  }
  const task = arg.task as { id?: unknown; title?: unknown };
  return { ...(typeof task.id === 'string' ? { id: task.id } : {}), ...(typeof task.title === 'string' ? { title: task.title } : {}) };
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/** Loads a session for a document provider; a session that cannot be read shows as an empty document. */
async function stateOf(dir: string): Promise<SessionState | undefined> {
  const store = loadSessions(); // outside the try: a bundle that cannot load is an error, not an empty document
  try {
    return (await store.loadSession(dir)).state;
  } catch {
    return undefined; // a removed or unreadable session: the document is empty, as before a run
  }
}

export function registerTaskHistoryCommands(context: vscode.ExtensionContext, runs: RunController): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  const checkpoints = new SessionCheckpointsCache();
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, { provideTextDocumentContent: (uri) => transcriptText(uri) }),
    vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, { provideTextDocumentContent: (uri) => snapshotText(uri, checkpoints) }),
  );
  register('aca.openTranscript', async (arg?: unknown) => {
    const found = await sessionOf(runs, arg);
    if (!found) {
      return undefined;
    }
    const uri = vscode.Uri.from({
      scheme: TRANSCRIPT_SCHEME,
      path: `/transcript-${found.id}.log`,
      query: new URLSearchParams({ session: found.dir, task: found.id }).toString(),
    });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
    return document.getText();
  });
  register('aca.showTaskChanges', async (arg?: unknown) => showTaskChanges(runs, arg));
  register('aca.restoreFilesBeforeTask', async (arg?: unknown) => restoreFilesBeforeTask(runs, arg));
}

async function transcriptText(uri: vscode.Uri): Promise<string> {
  const query = new URLSearchParams(uri.query);
  const [dir, taskId] = [query.get('session') ?? '', query.get('task') ?? ''];
  const store = loadSessions();
  const { entries } = await store.readTranscript(dir, taskId);
  const state = await stateOf(dir);
  return store.formatTranscript(taskId, state?.plan.tasks.find((t) => t.id === taskId)?.title ?? '', entries);
}

async function snapshotText(uri: vscode.Uri, checkpoints: SessionCheckpointsCache): Promise<string> {
  const query = new URLSearchParams(uri.query);
  const [dir, commit, file] = [query.get('session') ?? '', query.get('commit') ?? '', query.get('file') ?? ''];
  const workspace = workspaceFolder();
  const state = workspace ? await stateOf(dir) : undefined;
  if (!workspace || !state || !commit) {
    return '';
  }
  const files = await checkpoints.open(workspace, dir, state.sessionId);
  return (await files.fileAt(commit, file)) ?? '';
}

/**
 * Both sides of a diff ask at once: one opening per session, so that two `git init`s of a shadow repository
 * never race (a lost race showed as "the editor could not be opened").
 */
class SessionCheckpointsCache {
  private readonly _opened = new Map<string, Promise<FileCheckpoints>>();

  open(workspace: string, dir: string, sessionId: string): Promise<FileCheckpoints> {
    let files = this._opened.get(dir);
    if (!files) {
      files = loadSessions().sessionFileCheckpoints(workspace, dir, sessionId);
      this._opened.set(dir, files);
      // A failed opening is forgotten so that the next diff tries again; the caller sees the error itself.
      files.catch(() => this._opened.delete(dir));
    }
    return files;
  }
}

/** The session where the tree's task (or a task id) ran; says so when it has not run. */
async function sessionOf(runs: RunController, arg: unknown): Promise<{ id: string; dir: string; run: TaskRun; title: string; sessionId: string } | undefined> {
  const id = taskIdOf(arg);
  if (!id) {
    return undefined;
  }
  const found = await runs.sessionOfTask(id, taskOf(arg)?.title);
  const run = found?.state.tasks[id];
  if (!found || !run) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} has not run in a session of this workspace.', id));
    return undefined;
  }
  return { id, dir: found.dir, run, title: found.title, sessionId: found.state.sessionId };
}

interface TaskSnapshots {
  readonly id: string;
  readonly dir: string;
  readonly title: string;
  readonly before: string;
  readonly after: string | undefined;
  readonly files: FileCheckpoints;
}

/** The task's file snapshots in the session where it ran, or a message saying why there are none. */
async function snapshotsOf(runs: RunController, arg: unknown): Promise<TaskSnapshots | undefined> {
  const found = await sessionOf(runs, arg);
  const workspace = workspaceFolder();
  if (!found || !workspace) {
    return undefined;
  }
  const { id, dir, run, title, sessionId } = found;
  if (!run.filesBefore) {
    void vscode.window.showInformationMessage(vscode.l10n.t('ACA has no snapshot of the files around task {0}: it ran with file snapshots off.', id));
    return undefined;
  }
  return { id, dir, title, before: run.filesBefore, after: run.filesAfter, files: await loadSessions().sessionFileCheckpoints(workspace, dir, sessionId) };
}

async function showTaskChanges(runs: RunController, arg: unknown): Promise<FileChange[] | undefined> {
  const found = await snapshotsOf(runs, arg);
  if (!found?.after) {
    if (found) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} has not ended yet: its changes show once it has.', found.id));
    }
    return undefined;
  }
  const { id, dir, before, after, files, title } = found;
  const changes = await files.changesBetween(before, after);
  if (changes.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} changed no file.', id));
    return changes;
  }
  const side = (commit: string, file: string): vscode.Uri =>
    vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: `/${file}`, query: new URLSearchParams({ session: dir, commit, file }).toString() });
  const picked =
    changes.length === 1
      ? changes[0]
      : (
          await vscode.window.showQuickPick(
            changes.map((change) => ({ label: change.path, description: changeKindLabel(change), change })),
            { title: vscode.l10n.t('Files task {0} changed', id) },
          )
        )?.change;
  if (picked) {
    await vscode.commands.executeCommand(
      'vscode.diff',
      side(before, picked.path),
      side(after, picked.path),
      vscode.l10n.t('{0} (task {1}: {2})', picked.path, id, title),
    );
  }
  return changes;
}

function changeKindLabel(change: FileChange): string {
  return change.kind === 'create' ? vscode.l10n.t('created') : change.kind === 'delete' ? vscode.l10n.t('deleted') : vscode.l10n.t('changed');
}

/** Up to 12 paths, one a line, and how many more. */
function shortList(lines: readonly string[]): string {
  return lines.slice(0, 12).join('\n') + (lines.length > 12 ? `\n… ${lines.length - 12} more` : '');
}

async function restoreFilesBeforeTask(runs: RunController, arg: unknown): Promise<FileChange[] | undefined> {
  if (runs.active) {
    void vscode.window.showWarningMessage(vscode.l10n.t('A session is running: pause or cancel it before restoring files.'));
    return undefined;
  }
  const found = await snapshotsOf(runs, arg);
  if (!found) {
    return undefined;
  }
  const { changes, notCovered } = await found.files.plan(found.before);
  // Files the snapshot did not cover (ignored or too large then) are never deleted: say which stay.
  const leftAlone =
    notCovered.length > 0 ? vscode.l10n.t('Not covered by the snapshot (ignored or too large then), left as they are:\n{0}', shortList(notCovered)) : '';
  if (changes.length === 0) {
    void vscode.window.showInformationMessage(
      [vscode.l10n.t('The files are already as they were before task {0}.', found.id), leftAlone].filter(Boolean).join('\n'),
    );
    return changes;
  }
  const restore = vscode.l10n.t('Restore');
  const list = changes
    .slice(0, 12)
    .map((c) => `${c.kind === 'create' ? '+' : c.kind === 'delete' ? '−' : '~'} ${c.path}`)
    .join('\n');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Restore {0} files to how they were before task {1} ("{2}")?', changes.length, found.id, found.title),
    {
      modal: true,
      detail:
        vscode.l10n.t(
          'Every file goes back to that moment, with what later tasks and you changed since.\n\n{0}{1}',
          list,
          changes.length > 12 ? `\n… ${changes.length - 12} more` : '',
        ) + (leftAlone ? `\n\n${leftAlone}` : ''),
    },
    restore,
  );
  if (choice !== restore) {
    return undefined;
  }
  const restored = await found.files.restore(found.before);
  runs.logInfo(
    `restored ${restored.length} files to before task ${found.id}${notCovered.length ? `; not covered, left as they are: ${notCovered.join(', ')}` : ''}`,
  );
  const done = vscode.l10n.t('Restored {0} files to before task {1}.', restored.length, found.id);
  void vscode.window.showInformationMessage(
    notCovered.length
      ? `${done} ${vscode.l10n.t('{0} files the snapshot did not cover are left as they are: {1}', notCovered.length, notCovered.slice(0, 5).join(', '))}`
      : done,
  );
  return restored;
}
