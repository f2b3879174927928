/**
 * Runs sessions with the engine inside VS Code: Run Plan, Resume Session…, Pause, Cancel Run, Retry
 * Failed Tasks, a status bar item with progress and ETA, the Tasks view following the journal, and — on
 * activation — one offer to resume a session whose process is gone. One run at a time per window.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/common/logger';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import type { CommandDecision } from '../core/agent/workspaceTools';
import { Engine, type Budgets, type EngineEvent, type RunSummary } from '../core/engine/engine';
import { createDispatcher } from '../core/providers/factory';
import { defaultVerifyCommands, providerSetup } from './providerSettings';
import type { SessionState } from '../core/session/events';
import { listSessions, type SessionSummary } from '../core/session/sessions';
import { loadSession, lockHolderPid, SessionWriter } from '../core/session/sessionStore';
import { formatTranscript, readTranscript, type TranscriptEntry } from '../core/session/transcripts';
import { sessionFileCheckpoints, taskFileSnapshots, type FileChange, type FileCheckpoints } from '../core/workspace/fileCheckpoints';
import { formatDuration, progressReport } from '../core/session/progress';
import { confirmForeignSession, listSessionsIn, type SessionsView } from './sessionsView';
import type { TasksView } from './tasksView';
import { readSettings } from './settings';

interface ActiveRun {
  readonly engine: Engine;
  readonly sessionId: string;
  readonly done: Promise<RunSummary>;
}

export class RunController extends DisposableBase {
  private readonly _status = this._register(vscode.window.createStatusBarItem('aca.run', vscode.StatusBarAlignment.Left, 50));
  private readonly _onDidChangeState = this._register(new Emitter<SessionState>());
  /** The running session's state after each journaled event (the API hands these to other extensions). */
  readonly onDidChangeState = this._onDidChangeState.event;
  private readonly _onDidAddTranscript = this._register(new Emitter<{ sessionId: string; taskId: string; entry: TranscriptEntry }>());
  /** A line added to a running task's transcript (redacted): the plan panel streams it. */
  readonly onDidAddTranscript = this._onDidAddTranscript.event;
  private readonly _onDidChangeRunning = this._register(new Emitter<boolean>());
  /** A run started (true) or ended (false) in this window. */
  readonly onDidChangeRunning = this._onDidChangeRunning.event;
  private _active: ActiveRun | undefined;

  constructor(
    private readonly _context: vscode.ExtensionContext,
    private readonly _tasksView: TasksView,
    private readonly _sessions: SessionsView,
    private readonly _logger: Logger,
  ) {
    super();
    this._status.name = 'ACA run';
    this._status.command = 'aca.tasks.focus';
    this._register({ dispose: () => clearTimeout(this._sessionsRefresh) });
  }

  get active(): ActiveRun | undefined {
    return this._active;
  }

  /** The folder of the session run last in this window (its transcripts are read from there). */
  private _lastSessionDir: string | undefined;

  /** Runs (or goes on with) the session in `dir` to its end; resolves with the run's summary. */
  async run(dir: string, options: { retryFailed?: boolean } = {}): Promise<RunSummary | undefined> {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(vscode.l10n.t('ACA runs no agent in a restricted workspace. Trust this workspace first.'));
      return undefined;
    }
    if (this._active || this._starting) {
      void vscode.window.showInformationMessage(vscode.l10n.t('A session is already running in this window; pause or cancel it first.'));
      return undefined;
    }
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!workspace) {
      return undefined;
    }
    // Claimed before the first await: two quick Run/Resume commands must not both start.
    this._starting = true;
    try {
      return await this._start(dir, workspace, options);
    } finally {
      this._starting = false;
    }
  }

  private _starting = false;
  private _sessionsRefresh: ReturnType<typeof setTimeout> | undefined;

  private async _start(dir: string, workspace: string, options: { retryFailed?: boolean }): Promise<RunSummary | undefined> {
    const settings = readSettings();
    const { writer, loaded } = await SessionWriter.resume(dir, { syncEvery: settings.syncEvery });
    this._lastSessionDir = dir;
    try {
      return await this._runWith(writer, loaded.interrupted, workspace, options);
    } catch (error) {
      // Set-up failed: release the session (its lock names this window) and say so.
      await writer.close().catch(() => undefined);
      throw error;
    }
  }

  private async _runWith(writer: SessionWriter, interrupted: readonly string[], workspace: string, options: { retryFailed?: boolean }): Promise<RunSummary | undefined> {
    const config = vscode.workspace.getConfiguration('aca');
    const setup = await providerSetup(this._context.secrets, (command, reason) => this._askCommand(command, reason));
    const dispatcher = createDispatcher(setup.config, { ...(setup.model ? { model: setup.model } : {}), environment: setup.environment });
    const files = config.get<boolean>('run.fileSnapshots', true) ? await taskFileSnapshots(workspace, writer.dir, writer.state.sessionId) : {};
    if (files.problem) {
      this._logger.warn(files.problem);
    }
    const engine = new Engine({
      writer,
      agent: dispatcher,
      workspace,
      ...(files.snapshots ? { fileSnapshots: files.snapshots } : {}),
      writeBack: config.get<boolean>('run.writeBack', true),
      budgets: runBudgets(config),
      ...(defaultVerifyCommands().length ? { defaultVerify: defaultVerifyCommands() } : {}),
      maxAttempts: Math.max(1, config.get<number>('run.maxAttempts', 3)),
      ...(config.get<number>('run.concurrency', 0) > 0 ? { concurrency: config.get<number>('run.concurrency', 0) } : {}),
    });
    if (options.retryFailed) {
      await engine.retryTasks();
    }
    const sessionId = writer.state.sessionId;
    this._logger.info(`running session ${sessionId}${interrupted.length ? `; interrupted tasks continue: ${interrupted.join(', ')}` : ''}`);
    const subscription = engine.onEvent((event) => this._onEngineEvent(event, writer.state));
    this._denials = 0;
    this._showProgress(writer.state);
    void vscode.commands.executeCommand('setContext', 'aca.running', true);
    const done = engine
      .run()
      .finally(async () => {
        subscription.dispose();
        try {
          await writer.close();
        } finally {
          this._active = undefined;
          this._onDidChangeRunning.fire(false);
          this._status.hide();
          void vscode.commands.executeCommand('setContext', 'aca.running', false);
          await this._sessions.refresh().catch(() => undefined);
        }
      })
      .then((summary) => {
        this._report(summary);
        return summary;
      });
    this._active = { engine, sessionId, done };
    this._onDidChangeRunning.fire(true);
    return done;
  }

  /** The window is going away: stop the run (its tasks become interrupted) and release the session, within ~3 s. */
  async shutdown(): Promise<void> {
    const active = this._active;
    if (!active) {
      return;
    }
    this._logger.info(`the window is closing: stopping session ${active.sessionId}; Resume Session continues it`);
    active.engine.stop('the VS Code window closed');
    await Promise.race([active.done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000))]);
  }

  /** ACA's own agent loop wants to run a command that is not on the allowlist: the user decides. */
  private async _askCommand(command: string, reason?: string): Promise<CommandDecision> {
    const [allow, session, deny] = [vscode.l10n.t('Allow'), vscode.l10n.t('Allow for this session'), vscode.l10n.t('Deny')];
    const question = reason ? vscode.l10n.t('The agent wants to run: {0} (asked because {1})', command, reason) : vscode.l10n.t('The agent wants to run: {0}', command);
    const choice = await vscode.window.showWarningMessage(question, allow, session, deny);
    const decision: CommandDecision = choice === allow ? 'allow' : choice === session ? 'allow-session' : 'deny';
    this._logger.info(`command ${decision === 'deny' ? 'denied' : 'allowed'} by the user (${decision}): ${command}`);
    return decision;
  }

  logInfo(message: string): void {
    this._logger.info(message);
  }

  /** Unfinished sessions, newest first, in every place sessions are kept. */
  async unfinishedSessions(): Promise<SessionSummary[]> {
    const all = await listSessionsIn(this._sessionRoots(), this._context);
    return all.filter((s) => !s.finished && !s.problem).sort((a, b) => b.updated.getTime() - a.updated.getTime());
  }

  /**
   * The session in which a task ran: the one run last in this window, else the newest of the workspace,
   * whose plan has a task with this id — and this title, when known (plans of other tasks files reuse ids).
   */
  async sessionOfTask(id: string, title?: string): Promise<{ dir: string; state: SessionState; title: string } | undefined> {
    const all = (await Promise.all(this._sessionRoots().map((root) => listSessions(root).catch(() => [])))).flat();
    const newest = all.filter((s) => !s.problem).sort((a, b) => b.updated.getTime() - a.updated.getTime());
    const dirs = [...new Set([...(this._lastSessionDir ? [this._lastSessionDir] : []), ...newest.map((s) => s.dir)])].slice(0, SESSIONS_SEARCHED);
    for (const dir of dirs) {
      const state = (await loadSession(dir).catch(() => undefined))?.state;
      const task = state?.plan.tasks.find((t) => t.id === id);
      if (state && task && state.tasks[id] && (title === undefined || task.title === title)) {
        return { dir, state, title: task.title };
      }
    }
    return undefined;
  }

  async pickAndResume(sessionId?: string): Promise<RunSummary | undefined> {
    const sessions = await this.unfinishedSessions();
    let chosen = sessionId ? sessions.find((s) => s.id === sessionId || s.id.startsWith(sessionId)) : undefined;
    if (!chosen && !sessionId) {
      const picked = await vscode.window.showQuickPick(
        sessions.map((s) => ({ label: s.name, description: `${s.foreign ? `${vscode.l10n.t('from another machine or user')} · ` : ''}${s.done}/${s.total} done · ${age(s.updated)}`, detail: s.id, session: s })),
        { title: vscode.l10n.t('Resume which session?'), placeHolder: sessions.length ? undefined : vscode.l10n.t('No unfinished session') },
      );
      chosen = picked?.session;
    }
    if (!chosen) {
      if (sessionId) {
        void vscode.window.showWarningMessage(vscode.l10n.t('No unfinished session {0}.', sessionId));
      }
      return undefined;
    }
    // A session the user did not make here (a clone can bring one) runs only after they saw what it runs.
    if (chosen.foreign && !(await confirmForeignSession(chosen))) {
      return undefined;
    }
    return this.run(chosen.dir);
  }

  /** Once per session: offer to resume one whose process is gone (a crash, a closed window, a killed CLI). */
  async offerInterruptedSession(): Promise<void> {
    const offered = this._context.workspaceState.get<string[]>('aca.offeredResume', []);
    for (const session of await this.unfinishedSessions()) {
      // Never a session from elsewhere: one click must not run what a cloned repository put there.
      if (session.foreign || offered.includes(session.id) || (await lockHolderAlive(session.dir)) || !(await wasRunning(session.dir))) {
        continue;
      }
      await this._context.workspaceState.update('aca.offeredResume', [...offered, session.id].slice(-50));
      const resume = vscode.l10n.t('Resume');
      const choice = await vscode.window.showInformationMessage(vscode.l10n.t('Session "{0}" stopped before it finished ({1}/{2} done). Resume it?', session.name, session.done, session.total), resume);
      if (choice === resume) {
        await this.run(session.dir);
      }
      return;
    }
  }

  private _sessionRoots(): string[] {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    return [...(this._context.storageUri ? [path.join(this._context.storageUri.fsPath, 'sessions')] : []), ...(workspace ? [path.join(workspace, '.aca', 'sessions')] : [])];
  }

  private _onEngineEvent(event: EngineEvent, state: SessionState): void {
    if (event.type === 'journal') {
      this._tasksView.setRunStates(state);
      this._showProgress(state);
      this._onDidChangeState.fire(state);
      if (['task_done', 'task_failed', 'task_skipped', 'task_blocked'].includes(event.event.type)) {
        // The Sessions view's counts follow too, at most once a second (it reads the session folders).
        this._sessionsRefresh ??= setTimeout(() => {
          this._sessionsRefresh = undefined;
          void this._sessions.refresh().catch(() => undefined);
        }, 1000);
      }
      if (event.event.type === 'task_failed' && !event.event.retryable) {
        this._logger.warn(`task ${event.event.taskId} failed: ${event.event.error}`);
      }
    } else if (event.type === 'warning') {
      this._logger.warn(event.message);
    } else if (event.type === 'transcript') {
      this._onDidAddTranscript.fire({ sessionId: state.sessionId, taskId: event.taskId, entry: event.entry });
    } else if (event.event.type === 'agent' && event.event.event.type === 'permission_denied') {
      this._denials++;
      this._logger.warn(`task ${event.taskId}: ${event.event.provider} was denied ${event.event.event.tool} ${event.event.event.summary}`);
      this._showProgress(state);
    } else if (event.event.type === 'parked') {
      this._showProgress(state);
      this._logger.info(`task ${event.taskId}: ${event.event.provider} is out until ${new Date(event.event.until).toLocaleString()}; it waits (${event.event.reason})`);
    } else if (event.event.type === 'fallback') {
      this._logger.info(`task ${event.taskId}: continuing on ${event.event.to} (${event.event.from}: ${event.event.reason})`);
    }
  }

  /** `ACA 3/12 · 2 running · $1.84 · ETA 14 min`; the warning colour while something needs attention. */
  private _showProgress(state: SessionState): void {
    const progress = progressReport(state, state.plan.strategy.maxConcurrent);
    const cost = Object.values(state.tasks).reduce((sum, run) => sum + run.costUsd, 0);
    const parked = Object.values(state.tasks).filter((run) => run.parkedUntil !== undefined && run.parkedUntil > Date.now()).length;
    const parts = [`ACA ${progress.done}/${progress.total}`, `${progress.running} running`];
    if (cost > 0) {
      parts.push(`$${cost.toFixed(2)}`);
    }
    if (progress.etaMs !== undefined) {
      parts.push(`ETA ${formatDuration(progress.etaMs)}`);
    }
    const attention = progress.failed > 0 || parked > 0 || this._denials > 0;
    this._status.text = `${attention ? '$(warning)' : '$(sync~spin)'} ${parts.join(' · ')}`;
    this._status.backgroundColor = attention ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this._status.tooltip = [
      vscode.l10n.t('{0}: {1} done, {2} running, {3} failed or blocked', state.plan.name, progress.done, progress.running, progress.failed),
      parked ? vscode.l10n.t('{0} waiting for a usage limit to reset', parked) : '',
      this._denials ? vscode.l10n.t('{0} permission denials (see the log)', this._denials) : '',
    ]
      .filter(Boolean)
      .join('\n');
    this._status.show();
  }

  private _denials = 0;

  /** The status bar text and colour, for tests and the API. */
  statusText(): { text: string; warning: boolean; visible: boolean } {
    return { text: this._status.text, warning: this._status.backgroundColor !== undefined, visible: this._active !== undefined };
  }

  private _report(summary: RunSummary): void {
    const c = summary.counts;
    const line = vscode.l10n.t('{0} done, {1} failed, {2} blocked', c.done, c.failed, c.blocked);
    if (summary.outcome === 'done') {
      void vscode.window.showInformationMessage(vscode.l10n.t('ACA finished the plan: {0}.', line));
    } else if (summary.outcome === 'paused') {
      void vscode.window.showInformationMessage(vscode.l10n.t('ACA paused ({0}): {1}. Resume Session continues it.', summary.reason ?? '', line));
    } else {
      const retry = vscode.l10n.t('Retry Failed Tasks');
      void vscode.window.showWarningMessage(vscode.l10n.t('ACA stopped: {0}.', line), retry).then((choice) => (choice === retry ? vscode.commands.executeCommand('aca.retryFailedTasks') : undefined));
    }
  }
}

function age(date: Date): string {
  const ms = Date.now() - date.getTime();
  return ms < 60_000 ? vscode.l10n.t('just now') : vscode.l10n.t('{0} ago', formatDuration(ms));
}

/** The lock names its owner's pid; a live owner means the session is running elsewhere (the CLI, another window). */
async function lockHolderAlive(dir: string): Promise<boolean> {
  try {
    const pid = await lockHolderPid(dir);
    if (pid === undefined) {
      return false;
    }
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A session some task of which started: worth offering (a session only created is not "stopped"). */
async function wasRunning(dir: string): Promise<boolean> {
  const text = await readFile(path.join(dir, 'journal.jsonl'), 'utf8').catch(() => '');
  return text.includes('"task_started"') || text.includes('"task_interrupted"') || text.includes('"run_paused"');
}

export function registerRunCommands(context: vscode.ExtensionContext, runs: RunController, createSession: () => Promise<string | undefined>, sessionDirOf: (id: string) => Promise<string | undefined>): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  // Run Plan: the plan in the Tasks view becomes a session (with a checkpoint of the files) and runs.
  register('aca.runPlan', async () => {
    const id = await createSession();
    const dir = id ? await sessionDirOf(id) : undefined;
    return dir ? runs.run(dir) : undefined;
  });
  // Open Transcript: the task's transcript as a read-only document, read from the session when opened.
  const TRANSCRIPT_SCHEME = 'aca-transcript';
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(TRANSCRIPT_SCHEME, {
      provideTextDocumentContent: async (uri) => {
        const query = new URLSearchParams(uri.query);
        const [dir, taskId] = [query.get('session') ?? '', query.get('task') ?? ''];
        const { entries } = await readTranscript(dir, taskId);
        const state = (await loadSession(dir).catch(() => undefined))?.state;
        return formatTranscript(taskId, state?.plan.tasks.find((t) => t.id === taskId)?.title ?? '', entries);
      },
    }),
  );
  /** The session where the tree's task (or a task id) ran; says so when it has not run. */
  const sessionOf = async (arg: unknown) => {
    const id = taskIdOf(arg);
    const title = typeof arg === 'object' && arg !== null && 'task' in arg ? (arg as { task: { title: string } }).task.title : undefined;
    const found = id ? await runs.sessionOfTask(id, title) : undefined;
    if (id && !found) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} has not run in a session of this workspace.', id));
    }
    return id && found ? { id, ...found } : undefined;
  };
  register('aca.openTranscript', async (arg?: unknown) => {
    const found = await sessionOf(arg);
    if (!found) {
      return undefined;
    }
    const { id, dir } = found;
    const uri = vscode.Uri.from({ scheme: TRANSCRIPT_SCHEME, path: `/transcript-${id}.log`, query: new URLSearchParams({ session: dir, task: id }).toString() });
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document, { preview: true, preserveFocus: false });
    return document.getText();
  });
  // Show Changes / Restore Files to Before This Task: from the file snapshots taken around each task.
  const SNAPSHOT_SCHEME = 'aca-snapshot';
  // Both sides of a diff ask at once: one opening per session, so that two `git init`s of a shadow repository
  // never race (a lost race showed as "the editor could not be opened").
  const opened = new Map<string, Promise<FileCheckpoints>>();
  const checkpointsOf = (workspace: string, dir: string, sessionId: string): Promise<FileCheckpoints> => {
    let files = opened.get(dir);
    if (!files) {
      files = sessionFileCheckpoints(workspace, dir, sessionId);
      opened.set(dir, files);
      files.catch(() => opened.delete(dir));
    }
    return files;
  };
  context.subscriptions.push(
    vscode.workspace.registerTextDocumentContentProvider(SNAPSHOT_SCHEME, {
      provideTextDocumentContent: async (uri) => {
        const query = new URLSearchParams(uri.query);
        const [dir, commit, file] = [query.get('session') ?? '', query.get('commit') ?? '', query.get('file') ?? ''];
        const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
        const state = workspace ? (await loadSession(dir).catch(() => undefined))?.state : undefined;
        if (!workspace || !state || !commit) {
          return '';
        }
        const files = await checkpointsOf(workspace, dir, state.sessionId);
        return (await files.fileAt(commit, file)) ?? '';
      },
    }),
  );
  /** The task's file snapshots in the session where it ran, or a message saying why there are none. */
  const snapshotsOf = async (arg: unknown) => {
    const found = await sessionOf(arg);
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!found || !workspace) {
      return undefined;
    }
    const { id, dir, state, title } = found;
    const run = state.tasks[id]!;
    if (!run.filesBefore) {
      void vscode.window.showInformationMessage(vscode.l10n.t('ACA has no snapshot of the files around task {0}: it ran with file snapshots off.', id));
      return undefined;
    }
    return { id, dir, run, title, files: await sessionFileCheckpoints(workspace, dir, state.sessionId) };
  };
  register('aca.showTaskChanges', async (arg?: unknown): Promise<FileChange[] | undefined> => {
    const found = await snapshotsOf(arg);
    if (!found?.run.filesAfter) {
      if (found) {
        void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} has not ended yet: its changes show once it has.', found.id));
      }
      return undefined;
    }
    const { dir, run, files, title } = found;
    const changes = await files.changesBetween(run.filesBefore!, run.filesAfter!);
    if (changes.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Task {0} changed no file.', found.id));
      return changes;
    }
    const side = (commit: string, file: string) => vscode.Uri.from({ scheme: SNAPSHOT_SCHEME, path: `/${file}`, query: new URLSearchParams({ session: dir, commit, file }).toString() });
    const picked =
      changes.length === 1
        ? changes[0]
        : (await vscode.window.showQuickPick(
            changes.map((change) => ({ label: change.path, description: change.kind === 'create' ? vscode.l10n.t('created') : change.kind === 'delete' ? vscode.l10n.t('deleted') : vscode.l10n.t('changed'), change })),
            { title: vscode.l10n.t('Files task {0} changed', found.id) },
          ))?.change;
    if (picked) {
      await vscode.commands.executeCommand('vscode.diff', side(run.filesBefore!, picked.path), side(run.filesAfter!, picked.path), vscode.l10n.t('{0} (task {1}: {2})', picked.path, found.id, title));
    }
    return changes;
  });
  register('aca.restoreFilesBeforeTask', async (arg?: unknown): Promise<FileChange[] | undefined> => {
    if (runs.active) {
      void vscode.window.showWarningMessage(vscode.l10n.t('A session is running: pause or cancel it before restoring files.'));
      return undefined;
    }
    const found = await snapshotsOf(arg);
    if (!found) {
      return undefined;
    }
    const { changes, notCovered } = await found.files.plan(found.run.filesBefore!);
    // Files the snapshot did not cover (ignored or too large then) are never deleted: say which stay.
    const shortList = (paths: string[]) => paths.slice(0, 12).join('\n') + (paths.length > 12 ? `\n… ${paths.length - 12} more` : '');
    const leftAlone = notCovered.length > 0 ? vscode.l10n.t('Not covered by the snapshot (ignored or too large then), left as they are:\n{0}', shortList(notCovered)) : '';
    if (changes.length === 0) {
      void vscode.window.showInformationMessage([vscode.l10n.t('The files are already as they were before task {0}.', found.id), leftAlone].filter(Boolean).join('\n'));
      return changes;
    }
    const restore = vscode.l10n.t('Restore');
    const list = changes.slice(0, 12).map((c) => `${c.kind === 'create' ? '+' : c.kind === 'delete' ? '−' : '~'} ${c.path}`).join('\n');
    const choice = await vscode.window.showWarningMessage(
      vscode.l10n.t('Restore {0} files to how they were before task {1} ("{2}")?', changes.length, found.id, found.title),
      { modal: true, detail: vscode.l10n.t('Every file goes back to that moment, with what later tasks and you changed since.\n\n{0}{1}', list, changes.length > 12 ? `\n… ${changes.length - 12} more` : '') + (leftAlone ? `\n\n${leftAlone}` : '') },
      restore,
    );
    if (choice !== restore) {
      return undefined;
    }
    const restored = await found.files.restore(found.run.filesBefore!);
    runs.logInfo(`restored ${restored.length} files to before task ${found.id}${notCovered.length ? `; not covered, left as they are: ${notCovered.join(', ')}` : ''}`);
    const done = vscode.l10n.t('Restored {0} files to before task {1}.', restored.length, found.id);
    void vscode.window.showInformationMessage(notCovered.length ? `${done} ${vscode.l10n.t('{0} files the snapshot did not cover are left as they are: {1}', notCovered.length, notCovered.slice(0, 5).join(', '))}` : done);
    return restored;
  });
  register('aca.resumeSession', async (sessionId?: string) => runs.pickAndResume(typeof sessionId === 'string' ? sessionId : undefined));
  register('aca.pauseRun', () => {
    if (!runs.active) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No session is running.'));
      return false;
    }
    runs.active.engine.pause();
    void vscode.window.showInformationMessage(vscode.l10n.t('Pausing: running tasks finish, no new one starts.'));
    return true;
  });
  register('aca.cancelRun', () => {
    if (!runs.active) {
      return false;
    }
    runs.active.engine.cancel();
    return true;
  });
  // From the Tasks view's context menu (a TaskTreeNode) or with a task id.
  const taskIdOf = (arg: unknown): string | undefined =>
    typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null && 'task' in arg ? (arg as { task: { id: string } }).task.id : undefined;
  register('aca.skipTask', async (arg?: unknown) => {
    const id = taskIdOf(arg);
    if (!runs.active || !id) {
      return false;
    }
    await runs.active.engine.skipTask(id);
    return true;
  });
  register('aca.retryTask', async (arg?: unknown) => {
    const id = taskIdOf(arg);
    if (!id) {
      return undefined;
    }
    if (runs.active) {
      return runs.active.engine.retryTasks([id]);
    }
    return vscode.commands.executeCommand('aca.retryFailedTasks');
  });
  register('aca.selectProvider', async () => {
    const config = vscode.workspace.getConfiguration('aca');
    const current = config.get<string>('provider', 'claude-code');
    const picked = await vscode.window.showQuickPick(
      [
        { label: 'claude-code', description: vscode.l10n.t('Claude Code CLI (claude), with your login'), picked: current === 'claude-code' },
        { label: 'openai-codex', description: vscode.l10n.t('OpenAI Codex CLI (codex), with your login'), picked: current === 'openai-codex' },
        { label: 'anthropic', description: vscode.l10n.t('Anthropic API, run by ACA (key: Set API Key…)'), picked: current === 'anthropic' },
        { label: 'openai', description: vscode.l10n.t('OpenAI API, run by ACA (key: Set API Key…)'), picked: current === 'openai' },
        { label: 'local-model', description: vscode.l10n.t('Ollama or another OpenAI-compatible server, run by ACA'), picked: current === 'local-model' },
        { label: 'vscode-lm', description: vscode.l10n.t("A language model of VS Code (e.g. GitHub Copilot's), run by ACA"), picked: current === 'vscode-lm' },
      ],
      { title: vscode.l10n.t('Which coding agent runs the tasks?') },
    );
    if (picked) {
      await config.update('provider', picked.label, vscode.ConfigurationTarget.Workspace);
    }
    return picked?.label;
  });
  // API keys (for the model-API providers) go to SecretStorage only: never settings, plans, journals or logs.
  register('aca.setApiKey', async (service?: unknown, key?: unknown) => {
    const services = [
      { label: 'anthropic', description: vscode.l10n.t('Anthropic API (ANTHROPIC_API_KEY otherwise)') },
      { label: 'openai', description: vscode.l10n.t('OpenAI API (OPENAI_API_KEY otherwise)') },
    ];
    const name = typeof service === 'string' && services.some((s) => s.label === service) ? service : (await vscode.window.showQuickPick(services, { title: vscode.l10n.t('API key for which service?') }))?.label;
    if (!name) {
      return false;
    }
    const value =
      typeof key === 'string'
        ? key
        : await vscode.window.showInputBox({ title: vscode.l10n.t('{0} API key', name), password: true, ignoreFocusOut: true, prompt: vscode.l10n.t('Kept in VS Code\'s secret storage, never in a file ACA writes.') });
    if (!value?.trim()) {
      return false;
    }
    await context.secrets.store(`aca.apiKey.${name}`, value.trim());
    runs.logInfo(`an API key for ${name} was stored in VS Code's secret storage`);
    return true;
  });
  register('aca.retryFailedTasks', async () => {
    if (runs.active) {
      return runs.active.engine.retryTasks();
    }
    // The newest of the user's own: a session from elsewhere is resumed only through Resume Session….
    const latest = (await runs.unfinishedSessions()).find((s) => !s.foreign);
    if (!latest) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No session has failed tasks.'));
      return undefined;
    }
    return runs.run(latest.dir, { retryFailed: true });
  });
}

/** How many recent sessions are searched for the one where a task ran. */
const SESSIONS_SEARCHED = 10;


/** The run's budgets from the settings (0 means none); the plan panel names them before a run. */
export function runBudgets(config: vscode.WorkspaceConfiguration): Budgets {
  const positive = (key: string): number | undefined => {
    const value = config.get<number>(key, 0);
    return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : undefined;
  };
  const [costUsd, tokens, minutes] = [positive('run.budget.maxCostUsd'), positive('run.budget.maxTokens'), positive('run.budget.maxMinutes')];
  return { ...(costUsd !== undefined ? { costUsd } : {}), ...(tokens !== undefined ? { tokens: Math.floor(tokens) } : {}), ...(minutes !== undefined ? { wallMs: minutes * 60_000 } : {}) };
}

/** "at most $5.00, 2,000,000 tokens, 90 min", or undefined without a budget. */
export function describeBudgets(budgets: Budgets): string | undefined {
  const parts = [
    budgets.costUsd !== undefined ? `$${budgets.costUsd.toFixed(2)}` : '',
    budgets.tokens !== undefined ? `${budgets.tokens.toLocaleString('en-US')} tokens` : '',
    budgets.wallMs !== undefined ? `${Math.round(budgets.wallMs / 60_000)} min` : '',
  ].filter(Boolean);
  return parts.length ? `at most ${parts.join(', ')}` : undefined;
}
