import path from 'node:path';
import * as vscode from 'vscode';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import type { Logger } from '../core/common/logger';
import type { Plan } from '../core/model/plan';
import { formatProblem, type Problem } from '../core/model/problems';
import { loadParser } from './lazyLoader';

export interface LoadedPlan {
  readonly uri: vscode.Uri;
  readonly workspaceRoot: string;
  readonly plan: Plan;
  readonly problems: readonly Problem[];
  /** True when the plan was refined by a model since it was parsed. */
  readonly analyzed: boolean;
  /** True when the plan was edited in the plan panel since it was parsed. */
  readonly edited?: boolean;
}

/** Where the plan panel saves an edited plan: `<tasks file name>.aca-plan.json` beside the tasks file. */
export function editedPlanFile(tasksFile: vscode.Uri): string {
  return path.join(path.dirname(tasksFile.fsPath), `${path.basename(tasksFile.fsPath).replace(/\.[^.]+$/, '')}.aca-plan.json`);
}

/** What the window showed last (workspace state): restored after a reload or a restart. */
const LAST_PLAN_KEY = 'aca.lastPlan';
interface LastPlan {
  readonly uri: string;
  readonly edited: boolean;
}

/** How long file changes settle before a re-parse: editors save in bursts. */
const REPARSE_DELAY_MS = 300;

/**
 * Owns the plan shown in the Tasks view: parses a tasks file through the core, publishes its problems to
 * the Problems panel, and re-parses (debounced) when the file changes on disk.
 */
export class PlanController extends DisposableBase {
  private readonly _onDidChangePlan = this._register(new Emitter<LoadedPlan | undefined>());
  readonly onDidChangePlan = this._onDidChangePlan.event;

  private readonly _diagnostics = this._register(vscode.languages.createDiagnosticCollection('aca'));
  private _current: LoadedPlan | undefined;
  private _watcher: vscode.FileSystemWatcher | undefined;
  private _reparseTimer: NodeJS.Timeout | undefined;
  private _parseGeneration = 0;

  constructor(
    private readonly _logger: Logger,
    private readonly _memory?: vscode.Memento,
  ) {
    super();
    this._register({ dispose: () => this._stopWatching() });
  }

  /**
   * Shows again the plan this workspace showed last (after a reload, a restart): the tasks file is parsed
   * afresh and, when the plan had been edited in the panel, its saved edits are laid over it. A file that
   * is gone or no longer parses is left alone, with a line in the log.
   */
  async restore(): Promise<LoadedPlan | undefined> {
    // Called by activate() without waiting: the parser bundle loads after activation has returned, so
    // activation itself does not pay for it.
    await new Promise<void>((resolve) => setImmediate(resolve));
    const last = this._memory?.get<LastPlan>(LAST_PLAN_KEY);
    if (!last || typeof last.uri !== 'string' || this._current) {
      return undefined;
    }
    const uri = vscode.Uri.parse(last.uri);
    let loaded: LoadedPlan;
    try {
      loaded = await this.parse(uri);
    } catch (error) {
      this._logger.info(`the last plan (${uri.fsPath}) was not restored: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
    if (last.edited) {
      const file = editedPlanFile(uri);
      try {
        const saved = await loadParser(this._logger).readPlanFile(file, 'json');
        this.replacePlan(mergeFileIntoEdited(saved, loaded.plan), 'edited');
      } catch (error) {
        this._logger.warn(`the panel's edits in ${file} were not restored: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return this._current;
  }

  private _remember(): void {
    if (this._current) {
      void this._memory?.update(LAST_PLAN_KEY, { uri: this._current.uri.toString(), edited: this._current.edited === true } satisfies LastPlan);
    }
  }

  get current(): LoadedPlan | undefined {
    return this._current;
  }

  /** `keepEdits`: a re-parse after the file changed keeps the plan panel's edits (an explicit parse does not). */
  async parse(uri: vscode.Uri, options: { keepEdits?: boolean } = {}): Promise<LoadedPlan> {
    const generation = ++this._parseGeneration;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const workspaceRoot = folder?.uri.fsPath ?? vscode.Uri.joinPath(uri, '..').fsPath;
    const parsed = await loadParser(this._logger).planFromTasksFile(uri.fsPath, { workspaceRoot });
    const { problems } = parsed;
    // A re-parse of the same file keeps the edits made in the plan panel: the file brings its checkboxes
    // and lines (ACA's own write-back changes them during a run), the edited plan keeps the rest.
    const previous = this._current;
    const keepEdits = options.keepEdits === true && previous?.edited === true && previous.uri.toString() === uri.toString();
    const plan = keepEdits ? mergeFileIntoEdited(previous.plan, parsed.plan) : parsed.plan;
    const loaded: LoadedPlan = { uri, workspaceRoot, plan, problems, analyzed: keepEdits ? previous.analyzed : false, ...(keepEdits ? { edited: true } : {}) };
    if (generation !== this._parseGeneration) {
      return loaded; // a newer parse started meanwhile; it will publish
    }
    this._publish(loaded);
    if (this._watcher === undefined || this._current?.uri.toString() !== uri.toString()) {
      this._watch(uri);
    }
    this._current = loaded;
    this._remember();
    this._onDidChangePlan.fire(loaded);
    const errors = problems.filter((p) => p.severity === 'error').length;
    this._logger.info(`parsed ${plan.source?.path ?? uri.fsPath}: ${plan.tasks.length} tasks, ${errors} errors, ${problems.length - errors} warnings`);
    return loaded;
  }

  /** Replaces the current plan with a refined (analysis) or edited (plan panel) one; the tasks file is not changed. */
  replacePlan(plan: Plan, how: 'analyzed' | 'edited' = 'analyzed'): void {
    if (!this._current) {
      return;
    }
    this._current = { ...this._current, plan, analyzed: this._current.analyzed || how === 'analyzed', edited: this._current.edited || how === 'edited' };
    this._remember();
    this._onDidChangePlan.fire(this._current);
  }

  private _publish(loaded: LoadedPlan): void {
    this._diagnostics.clear();
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const problem of loaded.problems) {
      const file = vscode.Uri.file(path.isAbsolute(problem.file) ? problem.file : path.join(loaded.workspaceRoot, problem.file)).toString();
      const line = Math.max(0, (problem.line ?? 1) - 1);
      const diagnostic = new vscode.Diagnostic(
        new vscode.Range(line, 0, line, Number.MAX_SAFE_INTEGER),
        problem.field ? `${problem.field}: ${problem.message}` : problem.message,
        problem.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning,
      );
      diagnostic.source = 'ACA';
      diagnostic.code = problem.code;
      byFile.set(file, [...(byFile.get(file) ?? []), diagnostic]);
    }
    for (const [file, diagnostics] of byFile) {
      this._diagnostics.set(vscode.Uri.parse(file), diagnostics);
    }
    for (const problem of loaded.problems) {
      this._logger.debug(formatProblem(problem));
    }
  }

  private _watch(uri: vscode.Uri): void {
    this._stopWatching();
    const folder = vscode.Uri.joinPath(uri, '..');
    const name = uri.path.split('/').pop() ?? '';
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, name));
    const schedule = (): void => {
      clearTimeout(this._reparseTimer);
      this._reparseTimer = setTimeout(() => {
        this.parse(uri, { keepEdits: true }).catch((error: unknown) => this._logger.error(`re-parse of ${uri.fsPath} failed`, error));
      }, REPARSE_DELAY_MS);
    };
    watcher.onDidChange(schedule);
    watcher.onDidCreate(schedule);
    watcher.onDidDelete(() => {
      this._logger.warn(`${uri.fsPath} was deleted; the Tasks view keeps its last plan`);
    });
    this._watcher = watcher;
  }

  private _stopWatching(): void {
    clearTimeout(this._reparseTimer);
    this._watcher?.dispose();
    this._watcher = undefined;
  }
}

/** The edited plan, with each task's checkbox status and source line as the file has them now. */
function mergeFileIntoEdited(edited: Plan, fromFile: Plan): Plan {
  const byId = new Map(fromFile.tasks.map((t) => [t.id, t]));
  return {
    ...edited,
    source: fromFile.source,
    tasks: edited.tasks.map((task) => {
      const now = byId.get(task.id);
      return now && task.status !== 'skipped' ? { ...task, status: now.status, source: now.source } : task;
    }),
  };
}
