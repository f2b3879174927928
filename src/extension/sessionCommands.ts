import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/common/logger';
import { createCheckpoint, readCheckpoints, workspaceSessionsRoot, type CheckpointFile } from '../core/session/sessions';
import { SessionError, SessionWriter } from '../core/session/sessionStore';
import { FileCheckpoints, type FileChange } from '../core/workspace/fileCheckpoints';
import type { PlanController } from './planController';
import type { SessionsView } from './sessionsView';
import { readSettings } from './settings';

/** Where new sessions go: the extension's storage (default) or `.aca/sessions` in the workspace. */
function newSessionsRoot(context: vscode.ExtensionContext, workspace: string): string {
  const location = readSettings().sessionsLocation;
  return location === 'workspace' || !context.storageUri ? workspaceSessionsRoot(workspace) : path.join(context.storageUri.fsPath, 'sessions');
}

function requireTrust(): boolean {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(vscode.l10n.t('ACA runs no command in a restricted workspace (checkpoints use git). Trust this workspace first.'));
  }
  return vscode.workspace.isTrusted;
}

function workspaceFolder(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

export function registerSessionCommands(context: vscode.ExtensionContext, plans: PlanController, sessions: SessionsView, logger: Logger): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };

  register('aca.refreshSessions', () => sessions.refresh());

  register('aca.createSession', async () => {
    const loaded = plans.current;
    const workspace = loaded?.workspaceRoot ?? workspaceFolder();
    if (!loaded || !workspace) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Parse a tasks file first: its plan becomes the session.'));
      return undefined;
    }
    if (!requireTrust()) {
      return undefined;
    }
    const root = newSessionsRoot(context, workspace);
    const settings = readSettings();
    const writer = await SessionWriter.create(root, loaded.plan, { syncEvery: settings.syncEvery });
    try {
      const files = await FileCheckpoints.open(workspace, { sessionDir: writer.dir, sessionId: writer.state.sessionId, exclude: ['.aca'] });
      await createCheckpoint(writer, vscode.l10n.t('session start'), 'manual', files, settings.retention);
    } finally {
      await writer.close();
    }
    logger.info(`session ${writer.state.sessionId} created in ${writer.dir}`);
    await sessions.refresh();
    return writer.state.sessionId;
  });

  register('aca.createCheckpoint', async (description?: string) => {
    const workspace = workspaceFolder();
    if (!workspace || !requireTrust()) {
      return undefined;
    }
    await sessions.refresh();
    const session = sessions.sessions.find((s) => !s.finished && !s.problem && !s.foreign);
    if (!session) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No unfinished session to checkpoint.'));
      return undefined;
    }
    const text =
      typeof description === 'string'
        ? description
        : await vscode.window.showInputBox({ title: vscode.l10n.t('Checkpoint of "{0}"', session.name), prompt: vscode.l10n.t('What is this checkpoint for?'), value: vscode.l10n.t('manual checkpoint') });
    if (!text) {
      return undefined;
    }
    try {
      const settings = readSettings();
      const { writer } = await SessionWriter.resume(session.dir, { syncEvery: settings.syncEvery });
      try {
        const files = await FileCheckpoints.open(workspace, { sessionDir: writer.dir, sessionId: writer.state.sessionId, exclude: ['.aca'] });
        const checkpoint = await createCheckpoint(writer, text, 'manual', files, settings.retention);
        await sessions.refresh();
        return checkpoint.id;
      } finally {
        await writer.close();
      }
    } catch (error) {
      const message = SessionError.is(error) ? error.message : String(error);
      logger.error('cannot create a checkpoint', error);
      void vscode.window.showErrorMessage(vscode.l10n.t('ACA cannot create the checkpoint: {0}', message));
      return undefined;
    }
  });

  register('aca.restoreCheckpoint', async () => {
    const workspace = workspaceFolder();
    if (!workspace || !requireTrust()) {
      return undefined;
    }
    await sessions.refresh();
    const items: Array<vscode.QuickPickItem & { dir: string; sessionId: string; commit: string; checkpoint: CheckpointFile }> = [];
    // Not the checkpoints of a session from elsewhere (a clone can bring one, with its own git store).
    for (const session of sessions.sessions.filter((s) => !s.foreign)) {
      for (const checkpoint of (await readCheckpoints(session.dir)).reverse()) {
        if (checkpoint.fileCommit) {
          items.push({ label: checkpoint.description, description: `${session.name} · ${checkpoint.created}`, dir: session.dir, sessionId: session.id, commit: checkpoint.fileCommit, checkpoint });
        }
      }
    }
    const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Restore the workspace files of which checkpoint?') });
    if (!picked) {
      return undefined;
    }
    const files = await FileCheckpoints.open(workspace, { sessionDir: picked.dir, sessionId: picked.sessionId, exclude: ['.aca'] });
    const { changes, notCovered } = await files.plan(picked.commit);
    if (changes.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('The workspace files already match this checkpoint.'));
      return [];
    }
    const preview = changes.map((c) => `${c.kind === 'create' ? '+' : c.kind === 'delete' ? '−' : '~'} ${c.path}`);
    const restore = vscode.l10n.t('Restore {0} files', changes.length);
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Restoring "{0}" puts the session\'s task states back and changes these files:', picked.label),
      {
        modal: true,
        detail:
          preview.slice(0, 30).join('\n') +
          (preview.length > 30 ? `\n… ${preview.length - 30} more` : '') +
          // Never deleted: the checkpoint did not cover them, so they may have existed then.
          (notCovered.length ? `\n\n${vscode.l10n.t('Not covered by the checkpoint (ignored or too large then), left as they are:')}\n${notCovered.slice(0, 12).join('\n')}${notCovered.length > 12 ? `\n… ${notCovered.length - 12} more` : ''}` : ''),
      },
      restore,
    );
    if (choice !== restore) {
      return undefined;
    }
    // The session's task states go back with the files: work undone on disk is not done in the session. The
    // session is locked first, and the restore is journaled only once the files are back.
    const { writer } = await SessionWriter.resume(picked.dir);
    let restored: FileChange[];
    try {
      restored = await files.restore(picked.commit);
      await writer.append({ type: 'checkpoint_restored', checkpointId: picked.checkpoint.id, tasks: picked.checkpoint.state.tasks });
    } finally {
      await writer.close();
    }
    logger.info(`restored session state and ${restored.length} files to checkpoint "${picked.label}"${notCovered.length ? `; not covered, left as they are: ${notCovered.join(', ')}` : ''}`);
    await sessions.refresh();
    return restored;
  });

  // Sessions already on disk (also the CLI's) are listed at start-up.
  void sessions.refresh();
}
