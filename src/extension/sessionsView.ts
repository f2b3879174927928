import path from 'node:path';
import * as vscode from 'vscode';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import { listSessions, readCheckpoints, workspaceSessionsRoot, type CheckpointFile, type SessionSummary } from '../core/session/sessions';

export const SESSIONS_VIEW_ID = 'aca.sessions';

export type SessionNode =
  | { readonly kind: 'session'; readonly session: SessionSummary }
  | { readonly kind: 'checkpoint'; readonly session: SessionSummary; readonly checkpoint: CheckpointFile };

export interface SessionRow {
  readonly label: string;
  readonly description: string;
  readonly children: SessionRow[];
}

/** Where sessions are: the extension's storage and every workspace folder's `.aca/sessions` (the CLI's). */
export function sessionRoots(context: vscode.ExtensionContext): string[] {
  const roots = (vscode.workspace.workspaceFolders ?? []).map((folder) => workspaceSessionsRoot(folder.uri.fsPath));
  if (context.storageUri) {
    roots.unshift(path.join(context.storageUri.fsPath, 'sessions'));
  }
  return roots;
}

/** The Sessions view: unfinished and finished sessions, newest first, with their checkpoints. */
export class SessionsView extends DisposableBase implements vscode.TreeDataProvider<SessionNode> {
  private readonly _onDidChangeTreeData = this._register(new Emitter<SessionNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;
  private _sessions: SessionSummary[] = [];
  private _refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly _roots: () => string[]) {
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
    const all = (await Promise.all(this._roots().map((root) => listSessions(root)))).flat();
    this._sessions = all.sort((a, b) => b.updated.getTime() - a.updated.getTime());
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
    item.description = sessionDescription(session);
    item.tooltip = `${session.id}\n${session.dir}${session.problem ? `\n${session.problem}` : ''}`;
    item.iconPath = session.problem ? new vscode.ThemeIcon('warning') : session.finished ? new vscode.ThemeIcon('pass') : new vscode.ThemeIcon('debug-pause');
    item.contextValue = session.finished ? 'session:finished' : 'session:unfinished';
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
