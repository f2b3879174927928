import * as vscode from 'vscode';
import { DisposableBase, Emitter } from '../core/common/lifecycle';

export const TASKS_VIEW_ID = 'aca.tasks';

/** A row of the Tasks view. Plans fill it (see the parse feature); until then it is empty. */
export interface TaskTreeNode {
  readonly id: string;
  readonly label: string;
  readonly children: readonly TaskTreeNode[];
}

/**
 * The Tasks view: owns its TreeView, its change emitter and subscriptions. With no roots VS Code shows
 * the `viewsWelcome` content contributed in package.json, which tells the user how to start.
 */
export class TasksView extends DisposableBase implements vscode.TreeDataProvider<TaskTreeNode> {
  private readonly _onDidChangeTreeData = this._register(new Emitter<TaskTreeNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  private _roots: readonly TaskTreeNode[] = [];
  readonly treeView: vscode.TreeView<TaskTreeNode>;

  constructor() {
    super();
    this.treeView = this._register(
      vscode.window.createTreeView(TASKS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true }),
    );
  }

  get roots(): readonly TaskTreeNode[] {
    return this._roots;
  }

  setRoots(roots: readonly TaskTreeNode[]): void {
    this._roots = roots;
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: TaskTreeNode): vscode.TreeItem {
    const item = new vscode.TreeItem(
      node.label,
      node.children.length > 0 ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None,
    );
    item.id = node.id;
    return item;
  }

  getChildren(node?: TaskTreeNode): TaskTreeNode[] {
    return [...(node ? node.children : this._roots)];
  }
}
