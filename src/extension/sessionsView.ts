import * as vscode from 'vscode';
import { privateSessionsRoot, sessionRoots as rootsOf, type SessionPlaces } from '../core/app/sessionPlaces';
import { adoptSession, listOptionsOf, listSessionsIn as listIn, type ListOptions } from '../core/app/sessions';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import { sessionOwner, type SessionOwner } from '../core/session/owner';
import { describeSessionRun, readCheckpoints, type CheckpointFile, type SessionSummary } from '../core/session/sessions';
import { loadSession } from '../core/session/sessionStore';
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

/** Every folder sessions are looked for in: the extension's storage first, then the workspace folders'. */
export function sessionRoots(context: vscode.ExtensionContext): string[] {
  const places = sessionPlaces(context);
  const storage = privateSessionsRoot(storagePlaces(context));
  return places ? rootsOf(places) : storage !== undefined ? [storage] : [];
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
export async function listSessionsIn(roots: readonly string[], context: vscode.ExtensionContext): Promise<SessionSummary[]> {
  return listIn(roots, listOptions(context, await sessionOwner()));
}

/** The listing options of this window: the storage root is the private one (no repository can bring a session there). */
export function listOptions(context: vscode.ExtensionContext, owner?: SessionOwner): ListOptions {
  return listOptionsOf(storagePlaces(context), owner);
}

/**
 * Asks, in a modal that lists what the session runs, whether to resume a session that is not the user's.
 * Yes makes it theirs (it is not asked about again).
 */
export async function confirmForeignSession(session: SessionSummary): Promise<boolean> {
  if (!vscode.workspace.isTrusted) {
    return false; // nothing runs in a restricted workspace anyway; it stays foreign
  }
  const { state } = await loadSession(session.dir);
  const resume = vscode.l10n.t('Resume and Run These');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Session "{0}" is from another machine or user (it may have come with the repository). Resuming it runs:', session.name),
    { modal: true, detail: describeSessionRun(state).join('\n') },
    resume,
  );
  if (choice !== resume) {
    return false;
  }
  await adoptSession(session.dir, await sessionOwner());
  return true;
}

/** The Sessions view: unfinished and finished sessions, newest first, with their checkpoints. */
export class SessionsView extends DisposableBase implements vscode.TreeDataProvider<SessionNode> {
  private readonly _onDidChangeTreeData = this._register(new Emitter<SessionNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private _sessions: SessionSummary[] = [];
  private _refreshTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly _roots: () => string[],
    private readonly _context: vscode.ExtensionContext,
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
    this._sessions = await listSessionsIn(this._roots(), this._context);
    this._onDidChangeTreeData.fire(undefined);
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
    const foreignNote = session.foreign ? `\n${vscode.l10n.t('Not made by you in this folder (it may have come with the repository): resuming it asks first and shows what it runs.')}` : '';
    item.tooltip = `${session.id}\n${session.dir}${session.problem ? `\n${session.problem}` : ''}${foreignNote}`;
    item.iconPath = session.problem || session.foreign ? new vscode.ThemeIcon('warning') : session.finished ? new vscode.ThemeIcon('pass') : new vscode.ThemeIcon('debug-pause');
    item.contextValue = session.foreign ? 'session:foreign' : session.finished ? 'session:finished' : 'session:unfinished';
    return item;
  }

  async getChildren(node?: SessionNode): Promise<SessionNode[]> {
    if (!node) {
      return this._sessions.map((session) => ({ kind: 'session', session }));
    }
    if (node.kind === 'session') {
      return (await readCheckpoints(node.session.dir)).reverse().map((checkpoint) => ({ kind: 'checkpoint', session: node.session, checkpoint }));
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
