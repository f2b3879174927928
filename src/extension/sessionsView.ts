import * as vscode from 'vscode';
import type { SessionPlaces } from '../core/app/sessionPlaces';
import type { ListOptions } from '../core/app/sessions';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import type { Logger } from '../core/common/logger';
import type { SessionOwner } from '../core/session/owner';
import type { CheckpointFile, SessionSummary } from '../core/session/sessions';
import { loadSessions } from './lazyLoader';
import { readSettings } from './settings';

export const SESSIONS_VIEW_ID = 'aca.sessions';

export type SessionNode =
  | { readonly kind: 'session'; readonly session: SessionSummary }
  | { readonly kind: 'checkpoint'; readonly session: SessionSummary; readonly checkpoint: CheckpointFile };

export interface SessionRow {
  readonly label: string;
  readonly description: string;
  readonly children: SessionRow[];
}

/**
 * Where this window's sessions live (src/core/app/sessionPlaces.ts): the extension's storage, where new ones
 * go by default, and every workspace folder's `.aca/sessions` (the CLI's). Undefined without a folder open.
 */
export function sessionPlaces(context: vscode.ExtensionContext): SessionPlaces | undefined {
  const [first, ...others] = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
  if (first === undefined) {
    return undefined;
  }
  return {
    workspace: first,
    ...(context.storageUri ? { storageDir: context.storageUri.fsPath } : {}),
    location: readSettings().sessionsLocation,
    ...(others.length ? { otherFolders: others } : {}),
  };
}

/**
 * Every folder sessions are looked for in: the extension's storage first, then the workspace folders'.
 * Loads the session store (dist/sessions.js) if it is not yet: only callers about to read sessions call it.
 */
export function sessionRoots(context: vscode.ExtensionContext, logger?: Logger): string[] {
  const store = loadSessions(logger);
  const places = sessionPlaces(context);
  const storage = store.privateSessionsRoot(storagePlaces(context));
  return places ? store.sessionRoots(places) : storage !== undefined ? [storage] : [];
}

/** The extension's storage alone (no workspace folder is needed to know the private root). */
function storagePlaces(context: vscode.ExtensionContext): SessionPlaces {
  return { workspace: '', ...(context.storageUri ? { storageDir: context.storageUri.fsPath } : {}) };
}

/**
 * The sessions of these folders, newest first. One in a workspace's `.aca/sessions` that the user did not
 * make there (a clone brought it, another machine or user made it, or an ACA before owners were recorded) is
 * `foreign`: it is not offered, and resuming it needs confirmForeignSession.
 */
export async function listSessionsIn(roots: readonly string[], context: vscode.ExtensionContext, logger?: Logger): Promise<SessionSummary[]> {
  const store = loadSessions(logger);
  return store.listSessionsIn(roots, listOptions(context, await store.sessionOwner(), logger));
}

/** The listing options of this window: the storage root is the private one (no repository can bring a session there). */
export function listOptions(context: vscode.ExtensionContext, owner?: SessionOwner, logger?: Logger): ListOptions {
  return loadSessions(logger).listOptionsOf(storagePlaces(context), owner);
}

/**
 * Asks, in a modal that lists what the session runs, whether to resume a session that is not the user's.
 * Yes makes it theirs (it is not asked about again).
 */
export async function confirmForeignSession(session: SessionSummary, logger?: Logger): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    return false; // nothing runs in a restricted workspace anyway; it stays foreign
  }
  const store = loadSessions(logger);
  const { state } = await store.loadSession(session.dir);
  const resume = vscode.l10n.t('Resume and Run These');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Session "{0}" is from another machine or user (it may have come with the repository). Resuming it runs:', session.name),
    { modal: true, detail: store.describeSessionRun(state).join('\n') },
    resume,
  );
  if (choice !== resume) {
    return false;
  }
  await store.adoptSession(session.dir, await store.sessionOwner());
  return true;
}

/**
 * The Sessions view: unfinished and finished sessions, newest first, with their checkpoints. It reads the
 * session folders through the session store (dist/sessions.js), loaded on its first refresh: `start()`
 * schedules that one after activate() has returned.
 */
export class SessionsView extends DisposableBase implements vscode.TreeDataProvider<SessionNode> {
  private readonly _onDidChangeTreeData = this._register(new Emitter<SessionNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private _sessions: SessionSummary[] = [];
  private _refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly _context: vscode.ExtensionContext,
    private readonly _logger: Logger,
  ) {
    super();
    this._register(vscode.window.createTreeView(SESSIONS_VIEW_ID, { treeDataProvider: this }));
    // Sessions written by the CLI (or another window) appear without a manual refresh.
    const watcher = this._register(vscode.workspace.createFileSystemWatcher('**/.aca/sessions/**'));
    const schedule = (): void => {
      clearTimeout(this._refreshTimer);
      this._refreshTimer = setTimeout(() => void this.refresh(), 500);
    };
    this._register(watcher.onDidCreate(schedule));
    this._register(watcher.onDidChange(schedule));
    this._register({ dispose: () => clearTimeout(this._refreshTimer) });
  }

  get sessions(): readonly SessionSummary[] {
    return this._sessions;
  }

  async refresh(): Promise<void> {
    this._sessions = await listSessionsIn(sessionRoots(this._context, this._logger), this._context, this._logger);
    this._onDidChangeTreeData.fire(undefined);
  }

  /**
   * The first listing of the sessions already on disk (also the CLI's), once activate() has returned: it
   * loads the session store, which activation does not pay for.
   */
  start(): void {
    const first = setImmediate(() => void this.refresh().catch((error: unknown) => this._logger.warn(`cannot list the sessions: ${String(error)}`)));
    this._register({ dispose: () => clearImmediate(first) });
  }

  getTreeItem(node: SessionNode): vscode.TreeItem {
    if (node.kind === 'checkpoint') {
      const item = new vscode.TreeItem(node.checkpoint.description, vscode.TreeItemCollapsibleState.None);
      item.id = `${node.session.id}/${node.checkpoint.id}`;
      item.description = `${age(new Date(node.checkpoint.created))} · ${node.checkpoint.fileCommit ? 'state + files' : 'state'}`;
      item.iconPath = new vscode.ThemeIcon('history');
      item.contextValue = node.checkpoint.fileCommit ? 'checkpoint:files' : 'checkpoint';
      return item;
    }
    const session = node.session;
    const item = new vscode.TreeItem(session.name, session.checkpoints > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = session.id;
    item.description = session.foreign ? `${vscode.l10n.t('from another machine or user')} · ${sessionDescription(session)}` : sessionDescription(session);
    const foreignNote = session.foreign
      ? `\n${vscode.l10n.t('Not made by you in this folder (it may have come with the repository): resuming it asks first and shows what it runs.')}`
      : '';
    item.tooltip = `${session.id}\n${session.dir}${session.problem ? `\n${session.problem}` : ''}${foreignNote}`;
    item.iconPath =
      session.problem || session.foreign
        ? new vscode.ThemeIcon('warning')
        : session.finished
          ? new vscode.ThemeIcon('pass')
          : new vscode.ThemeIcon('debug-pause');
    item.contextValue = session.foreign ? 'session:foreign' : session.finished ? 'session:finished' : 'session:unfinished';
    return item;
  }

  async getChildren(node?: SessionNode): Promise<SessionNode[]> {
    if (!node) {
      return this._sessions.map((session) => ({ kind: 'session', session }));
    }
    if (node.kind === 'session') {
      return (await loadSessions(this._logger).readCheckpoints(node.session.dir))
        .reverse()
        .map((checkpoint) => ({ kind: 'checkpoint', session: node.session, checkpoint }));
    }
    return [];
  }

  async rows(): Promise<SessionRow[]> {
    const rows: SessionRow[] = [];
    for (const node of await this.getChildren()) {
      const item = this.getTreeItem(node);
      const children = (await this.getChildren(node)).map((child) => {
        const childItem = this.getTreeItem(child);
        return { label: String(childItem.label), description: String(childItem.description ?? ''), children: [] };
      });
      rows.push({ label: String(item.label), description: String(item.description ?? ''), children });
    }
    return rows;
  }
}

function sessionDescription(session: SessionSummary): string {
  const parts = [`${session.done}/${session.total} done`, age(session.updated)];
  if (session.costUsd > 0) {
    parts.push(`$${session.costUsd.toFixed(2)}`);
  }
  return parts.join(' · ');
}

function age(date: Date): string {
  const seconds = Math.max(0, (Date.now() - date.getTime()) / 1000);
  if (seconds < 60) return vscode.l10n.t('just now');
  if (seconds < 3600) return vscode.l10n.t('{0} min ago', Math.round(seconds / 60));
  if (seconds < 86_400) return vscode.l10n.t('{0} h ago', Math.round(seconds / 3600));
  return vscode.l10n.t('{0} days ago', Math.round(seconds / 86_400));
}
