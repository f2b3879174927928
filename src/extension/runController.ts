/**
 * Runs sessions with the engine inside VS Code: Run Plan, Resume Session…, Pause, Cancel Run, Retry
 * Failed Tasks, the Tasks view following the journal, and — on activation — one offer to resume a session
 * whose process is gone. One run at a time per window. The status bar item is statusBar.ts; the commands
 * on a task's history are taskHistoryCommands.ts; Select Provider and Set API Key are providerCommands.ts.
 */
import * as vscode from 'vscode';
import { validateRunSettings } from '../core/app/runSettings';
import type { TaskSession } from '../core/app/sessions';
import type { CommandDecision } from '../core/agent/workspaceTools';
import { DisposableBase, Emitter } from '../core/common/lifecycle';
import type { Logger } from '../core/common/logger';
import type { Engine, EngineEvent, RunSummary } from '../core/engine/engine';
import type { SessionState } from '../core/session/events';
import { formatDuration } from '../core/session/progress';
import type { SessionSummary } from '../core/session/sessions';
import type { SessionWriter } from '../core/session/sessionStore';
import type { TranscriptEntry } from '../core/session/transcripts';
import { registerProviderCommands } from './providerCommands';
import { loadRuntime, loadSessions } from './lazyLoader';
import { providerSetup } from './providerSettings';
import { confirmForeignSession, listOptions, sessionRoots, type SessionsView } from './sessionsView';
import { readSettings } from './settings';
import { RUN_SETTING_LABELS, runSettingsInput } from './settingsValues';
import { RunStatusBar } from './statusBar';
import { registerTaskHistoryCommands, taskIdOf } from './taskHistoryCommands';
import type { TasksView } from './tasksView';

interface ActiveRun {
  readonly engine: Engine;
  readonly sessionId: string;
  readonly done: Promise<RunSummary>;
}

export class RunController extends DisposableBase {
  private readonly _status = this._register(new RunStatusBar());
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
  private _starting = false;
  private _sessionsRefresh: ReturnType<typeof setTimeout> | undefined;
  /** The folder of the session run last in this window (its transcripts are read from there). */
  private _lastSessionDir: string | undefined;

  constructor(
    private readonly _context: vscode.ExtensionContext,
    private readonly _tasksView: TasksView,
    private readonly _sessions: SessionsView,
    private readonly _logger: Logger,
  ) {
    super();
    this._register({ dispose: () => clearTimeout(this._sessionsRefresh) });
  }

  get active(): ActiveRun | undefined {
    return this._active;
  }

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

  private async _start(dir: string, workspace: string, options: { retryFailed?: boolean }): Promise<RunSummary | undefined> {
    const settings = readSettings();
    const { writer, loaded } = await loadSessions(this._logger).SessionWriter.resume(dir, { syncEvery: settings.syncEvery });
    this._lastSessionDir = dir;
    let engine: Engine;
    try {
      engine = await this._prepare(writer, workspace, options);
    } catch (error) {
      // Set-up failed: release the session (its lock names this window) and say so.
      await writer.close().catch((closeError: unknown) => this._logger.error('cannot release the session after a failed start', closeError));
      throw error;
    }
    this._logger.info(
      `running session ${writer.state.sessionId}${loaded.interrupted.length ? `; interrupted tasks continue: ${loaded.interrupted.join(', ')}` : ''}`,
    );
    return this._follow(engine, writer);
  }

  /** The engine of this run (src/core/app/run.ts), from the settings validated once as RunSettings. */
  private async _prepare(writer: SessionWriter, workspace: string, options: { retryFailed?: boolean }): Promise<Engine> {
    const settings = validateRunSettings(runSettingsInput(readSettings(), options), { face: 'extension', labels: RUN_SETTING_LABELS });
    const setup = await providerSetup(this._context.secrets, (command, reason) => this._askCommand(command, reason), this._logger);
    // The heavy app modules (engine, providers, AI SDK) are the runtime bundle, loaded on the first run.
    const { engine } = await loadRuntime(this._logger).prepareRun(writer, settings, {
      workspace,
      config: setup.config,
      environment: setup.environment,
      warn: (message) => this._logger.warn(message),
    });
    return engine;
  }

  /** Runs the engine to its end, with the views, the status bar and the API following its events. */
  private _follow(engine: Engine, writer: SessionWriter): Promise<RunSummary> {
    const subscription = engine.onEvent((event) => this._onEngineEvent(event, writer.state));
    this._status.reset();
    this._status.show(writer.state);
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
          await this._refreshSessions();
        }
      })
      .then((summary) => {
        this._report(summary);
        return summary;
      });
    this._active = { engine, sessionId: writer.state.sessionId, done };
    this._onDidChangeRunning.fire(true);
    return done;
  }

  /** The Sessions view reads the session folders again; a failure there is logged, never the run's. */
  private async _refreshSessions(): Promise<void> {
    await this._sessions.refresh().catch((error: unknown) => this._logger.warn(`cannot refresh the Sessions view: ${String(error)}`));
  }

  /** The window is going away: stop the run (its tasks become interrupted) and release the session, within ~3 s. */
  async shutdown(): Promise<void> {
    const active = this._active;
    if (!active) {
      return;
    }
    this._logger.info(`the window is closing: stopping session ${active.sessionId}; Resume Session continues it`);
    active.engine.stop('the VS Code window closed');
    // The run's own end reports its errors; here only the wait matters (the window is closing).
    await Promise.race([active.done.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 3000))]);
  }

  /** ACA's own agent loop wants to run a command that is not on the allowlist: the user decides. */
  private async _askCommand(command: string, reason?: string): Promise<CommandDecision> {
    const [allow, session, deny] = [vscode.l10n.t('Allow'), vscode.l10n.t('Allow for this session'), vscode.l10n.t('Deny')];
    const question = reason
      ? vscode.l10n.t('The agent wants to run: {0} (asked because {1})', command, reason)
      : vscode.l10n.t('The agent wants to run: {0}', command);
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
    const store = loadSessions(this._logger);
    const listing = listOptions(this._context, await store.sessionOwner(), this._logger);
    return store.unfinishedSessions(sessionRoots(this._context, this._logger), listing.owner, listing);
  }

  /**
   * The session in which a task ran: the one run last in this window, else the newest of the workspace,
   * whose plan has a task with this id — and this title, when known (plans of other tasks files reuse ids).
   */
  async sessionOfTask(id: string, title?: string): Promise<TaskSession | undefined> {
    return loadSessions(this._logger).findSessionOfTask(sessionRoots(this._context, this._logger), id, {
      ...(title !== undefined ? { title } : {}),
      ...(this._lastSessionDir !== undefined ? { preferDir: this._lastSessionDir } : {}),
    });
  }

  async pickAndResume(sessionId?: string): Promise<RunSummary | undefined> {
    const sessions = await this.unfinishedSessions();
    let chosen = sessionId ? sessions.find((s) => s.id === sessionId || s.id.startsWith(sessionId)) : undefined;
    if (!chosen && !sessionId) {
      const picked = await vscode.window.showQuickPick(
        sessions.map((s) => ({
          label: s.name,
          description: `${s.foreign ? `${vscode.l10n.t('from another machine or user')} · ` : ''}${s.done}/${s.total} done · ${age(s.updated)}`,
          detail: s.id,
          session: s,
        })),
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
    if (chosen.foreign && !(await confirmForeignSession(chosen, this._logger))) {
      return undefined;
    }
    return this.run(chosen.dir);
  }

  /** Once per session: offer to resume one whose process is gone (a crash, a closed window, a killed CLI). */
  async offerInterruptedSession(): Promise<void> {
    const offered = this._context.workspaceState.get<string[]>('aca.offeredResume', []);
    // Never a session from elsewhere, nor one a live process holds, nor one that never ran (src/core/app/sessions.ts).
    const store = loadSessions(this._logger);
    const owner = await store.sessionOwner();
    const session = await store.interruptedSessionToOffer(sessionRoots(this._context, this._logger), {
      ...listOptions(this._context, owner, this._logger),
      alreadyOffered: offered,
    });
    if (!session) {
      return;
    }
    await this._context.workspaceState.update('aca.offeredResume', [...offered, session.id].slice(-50));
    const resume = vscode.l10n.t('Resume');
    const choice = await vscode.window.showInformationMessage(
      vscode.l10n.t('Session "{0}" stopped before it finished ({1}/{2} done). Resume it?', session.name, session.done, session.total),
      resume,
    );
    if (choice === resume) {
      await this.run(session.dir);
    }
  }

  private _onEngineEvent(event: EngineEvent, state: SessionState): void {
    if (event.type === 'journal') {
      this._onJournal(event.event.type, state);
      if (event.event.type === 'task_failed' && !event.event.retryable) {
        this._logger.warn(`task ${event.event.taskId} failed: ${event.event.error}`);
      }
    } else if (event.type === 'warning') {
      this._logger.warn(event.message);
    } else if (event.type === 'transcript') {
      this._onDidAddTranscript.fire({ sessionId: state.sessionId, taskId: event.taskId, entry: event.entry });
    } else if (event.event.type === 'agent' && event.event.event.type === 'permission_denied') {
      this._status.countDenial();
      this._logger.warn(`task ${event.taskId}: ${event.event.provider} was denied ${event.event.event.tool} ${event.event.event.summary}`);
      this._status.show(state);
    } else if (event.event.type === 'parked') {
      this._status.show(state);
      this._logger.info(
        `task ${event.taskId}: ${event.event.provider} is out until ${new Date(event.event.until).toLocaleString()}; it waits (${event.event.reason})`,
      );
    } else if (event.event.type === 'fallback') {
      this._logger.info(`task ${event.taskId}: continuing on ${event.event.to} (${event.event.from}: ${event.event.reason})`);
    }
  }

  /** A journaled event: the Tasks view, the status bar and the API follow the state. */
  private _onJournal(type: string, state: SessionState): void {
    this._tasksView.setRunStates(state);
    this._status.show(state);
    this._onDidChangeState.fire(state);
    if (['task_done', 'task_failed', 'task_skipped', 'task_blocked'].includes(type)) {
      // The Sessions view's counts follow too, at most once a second (it reads the session folders).
      this._sessionsRefresh ??= setTimeout(() => {
        this._sessionsRefresh = undefined;
        void this._refreshSessions();
      }, 1000);
    }
  }

  /** The status bar text and colour, for tests and the API. */
  statusText(): { text: string; warning: boolean; visible: boolean } {
    return { text: this._status.text, warning: this._status.warning, visible: this._active !== undefined };
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
      void vscode.window
        .showWarningMessage(vscode.l10n.t('ACA stopped: {0}.', line), retry)
        .then((choice) => (choice === retry ? vscode.commands.executeCommand('aca.retryFailedTasks') : undefined));
    }
  }
}

function age(date: Date): string {
  const ms = Date.now() - date.getTime();
  return ms < 60_000 ? vscode.l10n.t('just now') : vscode.l10n.t('{0} ago', formatDuration(ms));
}

/**
 * The commands of a run (Run Plan, Resume Session…, Pause, Cancel Run, Skip Task, Retry Task, Retry Failed
 * Tasks), then those of a task's history and of the providers, which live in their own files.
 */
export function registerRunCommands(
  context: vscode.ExtensionContext,
  runs: RunController,
  createSession: () => Promise<string | undefined>,
  sessionDirOf: (id: string) => Promise<string | undefined>,
): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };
  // Run Plan: the plan in the Tasks view becomes a session (with a checkpoint of the files) and runs.
  register('aca.runPlan', async () => {
    const id = await createSession();
    const dir = id ? await sessionDirOf(id) : undefined;
    return dir ? runs.run(dir) : undefined;
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
    runs.active?.engine.cancel();
    return runs.active !== undefined;
  });
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
    return runs.active ? runs.active.engine.retryTasks([id]) : vscode.commands.executeCommand('aca.retryFailedTasks');
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
  registerTaskHistoryCommands(context, runs);
  registerProviderCommands(context, { info: (message) => runs.logInfo(message) });
}
