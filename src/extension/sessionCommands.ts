/**
 * The Sessions view's commands: Create Session (the plan in the Tasks view, with a first checkpoint of the
 * files), Create Checkpoint (of the newest unfinished session of the user's) and Restore Checkpoint…. What
 * each does is a use case of src/core/app/sessions.ts; this file asks and tells.
 */
import * as vscode from 'vscode';
import type { FoundCheckpoint } from '../core/app/sessions';
import type { Logger } from '../core/common/logger';
import type { FileChange } from '../core/workspace/fileCheckpoints';
import { isSessionsLoaded, loadSessions } from './lazyLoader';
import type { PlanController } from './planController';
import { listOptions, sessionPlaces, sessionRoots, type SessionsView } from './sessionsView';
import { readSettings } from './settings';

function requireTrust(): boolean {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(vscode.l10n.t('ACA runs no command in a restricted workspace (checkpoints use git). Trust this workspace first.'));
  }
  return vscode.workspace.isTrusted;
}

export function registerSessionCommands(context: vscode.ExtensionContext, plans: PlanController, sessions: SessionsView, logger: Logger): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  register('aca.refreshSessions', () => sessions.refresh());
  register('aca.createSession', async () => newSession(context, plans, sessions, logger));
  register('aca.createCheckpoint', async (description?: string) => {
    try {
      return await checkpointNewest(context, sessions, description, logger);
    } catch (error) {
      // The store's SessionError (dist/sessions.js), told apart by its static is(), never instanceof; none
      // can have been thrown before the store loaded.
      const message = isSessionsLoaded() && loadSessions(logger).SessionError.is(error) ? error.message : String(error);
      logger.error('cannot create a checkpoint', error);
      void vscode.window.showErrorMessage(vscode.l10n.t('ACA cannot create the checkpoint: {0}', message));
      return undefined;
    }
  });
  register('aca.restoreCheckpoint', async () => pickAndRestore(context, sessions, logger));
}

/** Create Session: the plan in the Tasks view becomes a session, with a first checkpoint of the files. */
async function newSession(context: vscode.ExtensionContext, plans: PlanController, sessions: SessionsView, logger: Logger): Promise<string | undefined> {
  const loaded = plans.current;
  const places = sessionPlaces(context);
  const workspace = loaded?.workspaceRoot ?? places?.workspace;
  if (!loaded || !workspace) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Parse a tasks file first: its plan becomes the session.'));
    return undefined;
  }
  if (!requireTrust()) {
    return undefined;
  }
  const settings = readSettings();
  const created = await loadSessions(logger).createSession({ ...places, workspace, location: settings.sessionsLocation }, loaded.plan, {
    syncEvery: settings.syncEvery,
    retention: settings.retention,
    description: vscode.l10n.t('session start'),
  });
  logger.info(`session ${created.sessionId} created in ${created.dir}`);
  await sessions.refresh();
  return created.sessionId;
}

/** Create Checkpoint: of the newest unfinished session of the user's, with a description asked for or given. */
async function checkpointNewest(context: vscode.ExtensionContext, sessions: SessionsView, description: unknown, logger: Logger): Promise<string | undefined> {
  const places = sessionPlaces(context);
  if (!places || !requireTrust()) {
    return undefined;
  }
  const settings = readSettings();
  const ask = async (session: { name: string }): Promise<string | undefined> =>
    typeof description === 'string'
      ? description
      : vscode.window.showInputBox({
          title: vscode.l10n.t('Checkpoint of "{0}"', session.name),
          prompt: vscode.l10n.t('What is this checkpoint for?'),
          value: vscode.l10n.t('manual checkpoint'),
        });
  const store = loadSessions(logger);
  const { session, checkpoint } = await store.checkpointNewestSession(places, ask, {
    owner: await store.sessionOwner(),
    syncEvery: settings.syncEvery,
    retention: settings.retention,
  });
  if (!session) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No unfinished session to checkpoint.'));
    return undefined;
  }
  if (checkpoint) {
    await sessions.refresh();
  }
  return checkpoint?.id;
}

/** The checkpoints with files of the user's sessions: newest session first, each session's newest first. */
async function restorableCheckpoints(context: vscode.ExtensionContext, logger: Logger): Promise<FoundCheckpoint[]> {
  const store = loadSessions(logger);
  const found = (await store.checkpointsOf(sessionRoots(context, logger), listOptions(context, await store.sessionOwner(), logger))).filter(
    (c) => c.checkpoint.fileCommit,
  );
  const rank = new Map<string, number>();
  for (const { sessionDir } of found) {
    rank.set(sessionDir, rank.get(sessionDir) ?? rank.size);
  }
  return found
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => (rank.get(a.entry.sessionDir) ?? 0) - (rank.get(b.entry.sessionDir) ?? 0) || b.index - a.index)
    .map(({ entry }) => entry);
}

/** Restore Checkpoint…: the files of the chosen checkpoint, and the session's task states with them. */
async function pickAndRestore(context: vscode.ExtensionContext, sessions: SessionsView, logger: Logger): Promise<FileChange[] | undefined> {
  const workspace = sessionPlaces(context)?.workspace;
  if (!workspace || !requireTrust()) {
    return undefined;
  }
  const items = (await restorableCheckpoints(context, logger)).map((found) => ({
    label: found.checkpoint.description,
    description: `${found.session.name} · ${found.checkpoint.created}`,
    found,
  }));
  const picked = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('Restore the workspace files of which checkpoint?') });
  if (!picked) {
    return undefined;
  }
  const store = loadSessions(logger);
  const preview = await store.previewRestore(workspace, picked.found);
  const { changes, notCovered } = preview;
  if (changes.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('The workspace files already match this checkpoint.'));
    return [];
  }
  const lines = changes.map((c) => `${c.kind === 'create' ? '+' : c.kind === 'delete' ? '−' : '~'} ${c.path}`);
  const restore = vscode.l10n.t('Restore {0} files', changes.length);
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Restoring "{0}" puts the session\'s task states back and changes these files:', picked.label),
    {
      modal: true,
      detail:
        lines.slice(0, 30).join('\n') +
        (lines.length > 30 ? `\n… ${lines.length - 30} more` : '') +
        // Never deleted: the checkpoint did not cover them, so they may have existed then.
        (notCovered.length
          ? `\n\n${vscode.l10n.t('Not covered by the checkpoint (ignored or too large then), left as they are:')}\n${notCovered.slice(0, 12).join('\n')}${notCovered.length > 12 ? `\n… ${notCovered.length - 12} more` : ''}`
          : ''),
    },
    restore,
  );
  if (choice !== restore) {
    return undefined;
  }
  // The session's task states go back with the files: work undone on disk is not done in the session.
  const restored = await store.restoreCheckpoint(workspace, picked.found, preview);
  logger.info(
    `restored session state and ${restored.length} files to checkpoint "${picked.label}"${notCovered.length ? `; not covered, left as they are: ${notCovered.join(', ')}` : ''}`,
  );
  await sessions.refresh();
  return restored;
}
