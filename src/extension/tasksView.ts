import path from 'node:path';
import * as vscode from 'vscode';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import type { Reference, Task } from '../core/model/plan';
import { TASKS_FORMAT_LABELS } from '../core/model/tasksFormats';
import type { SessionState, TaskRunState } from '../core/session/events';
import { formatDuration } from '../core/session/progress';
import type { LoadedPlan } from './planController';
import { taskFacts } from '../core/tasks/taskFacts';

export const TASKS_VIEW_ID = 'aca.tasks';

/** A row of the Tasks view: a section heading, a task (or group), or a file a task refers to. */
export type TaskTreeNode =
  | { readonly kind: 'section'; readonly id: string; readonly title: string; readonly children: TaskTreeNode[] }
  | { readonly kind: 'task'; readonly id: string; readonly task: Task; readonly children: TaskTreeNode[] }
  | { readonly kind: 'reference'; readonly id: string; readonly reference: Reference; readonly task: Task; readonly children: TaskTreeNode[] };

/** What the API and tests see of a row. */
export interface TaskTreeSnapshot {
  readonly label: string;
  readonly description: string;
  readonly contextValue: string;
  readonly children: TaskTreeSnapshot[];
}

/** A running session's states win over the file's checkboxes. */
const RUN_ICONS: Record<TaskRunState, vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('circle-large-outline'),
  running: new vscode.ThemeIcon('sync~spin', new vscode.ThemeColor('charts.blue')),
  verifying: new vscode.ThemeIcon('beaker', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  failed: new vscode.ThemeIcon('error', new vscode.ThemeColor('testing.iconFailed')),
  blocked: new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor('problemsWarningIcon.foreground')),
  skipped: new vscode.ThemeIcon('debug-step-over'),
  cancelled: new vscode.ThemeIcon('stop-circle'),
  interrupted: new vscode.ThemeIcon('debug-pause', new vscode.ThemeColor('charts.yellow')),
};

const STATUS_ICONS: Record<Task['status'], vscode.ThemeIcon> = {
  pending: new vscode.ThemeIcon('circle-large-outline'),
  in_progress: new vscode.ThemeIcon('circle-large-filled', new vscode.ThemeColor('charts.blue')),
  done: new vscode.ThemeIcon('pass-filled', new vscode.ThemeColor('testing.iconPassed')),
  skipped: new vscode.ThemeIcon('circle-slash'),
};

/**
 * The Tasks view: section → task → subtask, with references as children. Owns its TreeView and emitter.
 * Node ids are stable across re-parses of an unchanged file, so VS Code keeps the expansion state.
 */
export class TasksView extends DisposableBase implements vscode.TreeDataProvider<TaskTreeNode> {
  private readonly _onDidChangeTreeData = this._register(new Emitter<TaskTreeNode | undefined>());
  readonly onDidChangeTreeData = this._onDidChangeTreeData.event;

  private _roots: TaskTreeNode[] = [];
  private _loaded: LoadedPlan | undefined;
  private _runStates = new Map<string, RunView>();
  private _runPlanShown = false;
  private _runSource: string | undefined;
  readonly treeView: vscode.TreeView<TaskTreeNode>;

  constructor() {
    super();
    this.treeView = this._register(vscode.window.createTreeView(TASKS_VIEW_ID, { treeDataProvider: this, showCollapseAll: true }));
  }

  get roots(): readonly TaskTreeNode[] {
    return this._roots;
  }

  /**
   * The states of a running session, after each journaled event. When the view shows another plan (or
   * none), it switches to the session's plan.
   */
  setRunStates(state: SessionState): void {
    this._runSource = state.plan.source?.path ?? `(plan) ${state.plan.name}`;
    this._runStates = new Map(
      Object.entries(state.tasks).map(([id, run]) => [
        id,
        {
          state: run.state,
          attempts: run.attempts,
          tokens: run.inputTokens + run.outputTokens,
          costUsd: run.costUsd,
          ...(run.durationMs !== undefined ? { durationMs: run.durationMs } : {}),
          ...(run.parkedUntil !== undefined && run.parkedUntil > Date.now() ? { parkedUntil: run.parkedUntil } : {}),
          ...(run.error || run.summary ? { last: (run.state === 'done' ? run.summary : run.error) ?? '' } : {}),
        },
      ]),
    );
    const sameIds =
      this._loaded && this._loaded.plan.tasks.length === state.plan.tasks.length && this._loaded.plan.tasks.every((t, i) => t.id === state.plan.tasks[i]?.id);
    if (!sameIds && !this._runPlanShown) {
      this._runPlanShown = true;
      this._roots = buildTree(state.plan.tasks);
      this.treeView.title = `Tasks — ${state.plan.name}`;
      this.treeView.message = undefined;
    } else if (this._runPlanShown && state.plan.tasks.length !== countTasks(this._roots)) {
      this._roots = buildTree(state.plan.tasks); // subtasks were added
    }
    this._onDidChangeTreeData.fire(undefined);
  }

  show(loaded: LoadedPlan | undefined): void {
    // The run states belong to the plan that ran: another tasks file must not show them on tasks with the same ids.
    if (!loaded || (loaded.plan.source?.path ?? `(plan) ${loaded.plan.name}`) !== this._runSource) {
      this._runStates = new Map();
    }
    this._loaded = loaded;
    this._runPlanShown = false;
    this._roots = loaded ? buildTree(loaded.plan.tasks) : [];
    this.treeView.message = loaded ? summary(loaded) : undefined;
    this.treeView.title = loaded ? `Tasks — ${loaded.plan.name}` : 'Tasks';
    this._onDidChangeTreeData.fire(undefined);
  }

  getTreeItem(node: TaskTreeNode): vscode.TreeItem {
    const collapsible = node.children.length === 0 ? vscode.TreeItemCollapsibleState.None : vscode.TreeItemCollapsibleState.Expanded;
    if (node.kind === 'section') {
      const item = new vscode.TreeItem(node.title, collapsible);
      item.id = node.id;
      item.iconPath = new vscode.ThemeIcon('list-tree');
      item.contextValue = 'section';
      return item;
    }
    if (node.kind === 'reference') {
      const item = new vscode.TreeItem(node.reference.path, vscode.TreeItemCollapsibleState.None);
      item.id = node.id;
      const target = this._referenceUri(node);
      item.iconPath = node.reference.found ? vscode.ThemeIcon.File : new vscode.ThemeIcon('warning', new vscode.ThemeColor('problemsWarningIcon.foreground'));
      item.description = node.reference.found ? 'reference' : 'missing reference';
      item.contextValue = node.reference.found ? 'reference' : 'reference:missing';
      if (target && node.reference.found) {
        item.resourceUri = target;
        item.command = { command: 'vscode.open', title: 'Open Reference', arguments: [target] };
      }
      return item;
    }
    const task = node.task;
    const item = new vscode.TreeItem(task.title, collapsible);
    item.id = node.id;
    const run = this._runStates.get(task.id);
    item.iconPath = run
      ? run.parkedUntil
        ? new vscode.ThemeIcon('clock', new vscode.ThemeColor('charts.yellow'))
        : RUN_ICONS[run.state]
      : task.checkpoint && task.status === 'pending'
        ? new vscode.ThemeIcon('debug-pause')
        : STATUS_ICONS[task.status];
    item.description =
      run && run.state !== 'pending'
        ? `${describeRun(run)} · ${describe(task)}`
        : run?.parkedUntil
          ? `${describeRun(run)} · ${describe(task)}`
          : describe(task);
    item.tooltip = tooltip(task, run);
    // `task:<state>[:group]`: the run's state while a session shows, else the file's checkbox.
    item.contextValue = `task:${run ? run.state : task.status}${node.children.some((c) => c.kind === 'task') ? ':group' : ''}`;
    if (task.source && this._loaded) {
      item.command = { command: 'aca.goToSource', title: 'Go to Source', arguments: [task.id] };
    }
    return item;
  }

  getChildren(node?: TaskTreeNode): TaskTreeNode[] {
    return node ? node.children : this._roots;
  }

  /** A plain copy of the tree, for the API and tests. */
  snapshot(nodes: readonly TaskTreeNode[] = this._roots): TaskTreeSnapshot[] {
    return nodes.map((node) => {
      const item = this.getTreeItem(node);
      const label = typeof item.label === 'string' ? item.label : (item.label?.label ?? '');
      return { label, description: String(item.description ?? ''), contextValue: item.contextValue ?? '', children: this.snapshot(node.children) };
    });
  }

  private _referenceUri(node: Extract<TaskTreeNode, { kind: 'reference' }>): vscode.Uri | undefined {
    if (!this._loaded) {
      return undefined;
    }
    return vscode.Uri.file(path.resolve(path.dirname(this._loaded.uri.fsPath), node.reference.path));
  }
}

interface RunView {
  readonly state: TaskRunState;
  readonly attempts: number;
  readonly tokens: number;
  readonly costUsd: number;
  readonly durationMs?: number;
  readonly parkedUntil?: number;
  /** The agent's summary when done, else the last error. */
  readonly last?: string;
}

/** "failed (attempt 2) · 1m20s · 12k tokens · $0.04", or "waiting until 15:00". */
function describeRun(run: RunView): string {
  if (run.parkedUntil) {
    return `waiting until ${new Date(run.parkedUntil).toLocaleTimeString()}`;
  }
  const parts = [`${run.state}${run.attempts > 1 ? ` (attempt ${run.attempts})` : ''}`];
  if (run.durationMs !== undefined) {
    parts.push(formatDuration(run.durationMs));
  }
  if (run.tokens > 0) {
    parts.push(`${run.tokens >= 1000 ? `${Math.round(run.tokens / 1000)}k` : run.tokens} tokens`);
  }
  if (run.costUsd > 0) {
    parts.push(`$${run.costUsd.toFixed(2)}`);
  }
  return parts.join(' · ');
}

function countTasks(nodes: readonly TaskTreeNode[]): number {
  return nodes.reduce((sum, node) => sum + (node.kind === 'task' ? 1 : 0) + countTasks(node.children), 0);
}

function buildTree(tasks: readonly Task[]): TaskTreeNode[] {
  const roots: TaskTreeNode[] = [];
  const taskNodes = new Map<string, Extract<TaskTreeNode, { kind: 'task' }>>();
  const sections = new Map<string, Extract<TaskTreeNode, { kind: 'section' }>>();
  for (const task of tasks) {
    const node: Extract<TaskTreeNode, { kind: 'task' }> = { kind: 'task', id: `task:${task.id}`, task, children: [] };
    taskNodes.set(task.id, node);
    const parent = task.parent !== null ? taskNodes.get(task.parent) : undefined;
    if (parent) {
      parent.children.push(node);
    } else if (task.section.length > 0) {
      // Nested headings become nested sections.
      let siblings = roots;
      let key = 'section';
      for (const title of task.section) {
        key = `${key}/${title}`;
        let section = sections.get(key);
        if (!section) {
          section = { kind: 'section', id: key, title, children: [] };
          sections.set(key, section);
          siblings.push(section);
        }
        siblings = section.children;
      }
      siblings.push(node);
    } else {
      roots.push(node);
    }
  }
  for (const node of taskNodes.values()) {
    node.task.references.forEach((reference, index) => {
      node.children.push({ kind: 'reference', id: `${node.id}/ref:${index}:${reference.path}`, reference, task: node.task, children: [] });
    });
  }
  return roots;
}

function describe(task: Task): string {
  return [task.id, ...taskFacts(task, '[P]')].join(' · ');
}

function tooltip(task: Task, run?: RunView): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.appendMarkdown(`**${escape(task.title)}**\n\n`);
  if (run?.last) {
    markdown.appendMarkdown(`${run.state}: `);
    markdown.appendCodeblock(run.last.length > 800 ? `${run.last.slice(0, 800)}…` : run.last, 'text');
  }
  markdown.appendMarkdown(
    `$(${STATUS_ICONS[task.status].id}) ${task.status.replace('_', ' ')} · priority ${task.priority}${task.complexity ? ` · ${task.complexity}` : ''}\n\n`,
  );
  if (task.description) {
    markdown.appendCodeblock(task.description.length > 1500 ? `${task.description.slice(0, 1500)}…` : task.description, 'markdown');
  }
  if (task.dependsOn.length) {
    markdown.appendMarkdown(`After: ${task.dependsOn.map(escape).join(', ')}\n\n`);
  }
  if (task.parallel || task.story) {
    markdown.appendMarkdown(
      `${[task.parallel ? 'Parallel-safe \\[P\\]: may run beside the other \\[P\\] tasks of its phase' : '', task.story ? `Story: ${escape(task.story)}` : ''].filter(Boolean).join(' · ')}\n\n`,
    );
  }
  if (task.files.length) {
    markdown.appendMarkdown(`Files it will change: ${task.files.map(escape).join(', ')}\n\n`);
  }
  if (task.references.length) {
    markdown.appendMarkdown(`References: ${task.references.map((r) => `\`${escape(r.path)}\`${r.found ? '' : ' (missing)'}`).join(', ')}\n\n`);
  }
  if (task.requirements.length) {
    markdown.appendMarkdown(`Requirements: ${task.requirements.join(', ')}\n\n`);
  }
  if (task.source) {
    markdown.appendMarkdown(`${escape(task.source.file)}, line ${task.source.line}`);
  }
  return markdown;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

/** "Read as spec-kit tasks · 12 tasks · 1 warning": which reader ACA chose, and what came of it. */
function summary(loaded: LoadedPlan): string | undefined {
  const errors = loaded.problems.filter((p) => p.severity === 'error').length;
  const warnings = loaded.problems.length - errors;
  const format = loaded.plan.source?.format;
  const parts = [
    format ? `Read as ${TASKS_FORMAT_LABELS[format]}` : '',
    `${loaded.plan.tasks.length} tasks`,
    errors ? `${errors} error${errors === 1 ? '' : 's'}` : '',
    warnings ? `${warnings} warning${warnings === 1 ? '' : 's'}` : '',
    loaded.analyzed ? 'refined by AI (not saved)' : '',
  ].filter(Boolean);
  return format || loaded.plan.tasks.length === 0 || errors || warnings || loaded.analyzed ? parts.join(' · ') : undefined;
}
