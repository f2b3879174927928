/**
 * The plan panel: the plan as it will run, beside the editor. The user reviews and edits it (each edit is
 * validated in the host, with undo/redo, and saved to `<tasks file>.aca-plan.json`), then approves and runs
 * it. Everything the webview posts is untrusted: parsed with zod, and an unknown message is rejected and
 * logged. The panel restores itself after a reload (serializer; the state is re-sent on `ready`).
 */
import path from 'node:path';
import * as vscode from 'vscode';
import type { Logger } from '../core/common/logger';
import { writeFileSafely } from '../core/common/safeWrite';
import { DisposableBase } from '../core/common/lifecycle';
import { forecastRun } from '../core/engine/forecast';
import type { Plan } from '../core/model/plan';
import { TASKS_FORMAT_LABELS } from '../core/model/tasksFormats';
import type { ProposedChange } from '../core/plan/proposal';
import { criticalPath } from '../core/schedule/criticalPath';
import type { SessionState } from '../core/session/events';
import type { HostToWebviewMessage, PanelState } from '../protocol/messages';
import { loadParser, loadSessions } from './lazyLoader';
import { editedPlanFile, type PlanController } from './planController';
import { planPanelHtml, runNote } from './planPanelHtml';
import type { RunController } from './runController';
import { confirmRun } from './runConfirmation';
import { readSettings } from './settings';

export const PLAN_PANEL_VIEW_TYPE = 'aca.plan';

export class PlanPanel extends DisposableBase {
  private _panel: vscode.WebviewPanel | undefined;
  private readonly _undo: Plan[] = [];
  private readonly _redo: Plan[] = [];
  private _runStates: Record<string, string> | undefined;
  private _runNotes: Record<string, string> | undefined;
  private _transcript: { taskId: string; sessionId?: string; lines: string[]; truncated: boolean } | undefined;
  private _postTimer: ReturnType<typeof setTimeout> | undefined;
  /** An analysis's plan and the changes still waiting for a decision (for the tasks file it was made on). */
  private _proposal: { uri: string; plan: Plan; items: ProposedChange[] } | undefined;
  private _savedTo: string | undefined;
  /** Why the edited plan is not on disk (Restricted Mode, or a refused write). */
  private _notSaved: string | undefined;
  /** For tests and the API: the messages posted to the webview, newest last. */
  readonly posted: HostToWebviewMessage[] = [];

  constructor(
    private readonly _context: vscode.ExtensionContext,
    private readonly _plans: PlanController,
    private readonly _runs: RunController,
    private readonly _logger: Logger,
  ) {
    super();
    this._register(
      this._plans.onDidChangePlan((loaded) => {
        if (this._proposal && loaded?.uri.toString() !== this._proposal.uri) {
          this._proposal = undefined; // another tasks file: the proposal was for the previous one
        }
        void this._post();
      }),
    );
    this._register(
      this._runs.onDidChangeState((state: SessionState) => {
        this._runStates = Object.fromEntries(Object.entries(state.tasks).map(([id, run]) => [id, run.state]));
        this._runNotes = Object.fromEntries(Object.entries(state.tasks).flatMap(([id, run]) => (run.attempts > 0 ? [[id, runNote(run)]] : [])));
        this._schedulePost();
      }),
    );
    this._register(
      this._runs.onDidAddTranscript(({ sessionId, taskId, entry }) => {
        // The same task of the running session (or of one starting now, when the shown task had not run).
        if (this._transcript?.taskId === taskId && (this._transcript.sessionId ?? sessionId) === sessionId) {
          this._transcript.sessionId = sessionId;
          // A transcript line comes from a run, which loaded the session store: this costs nothing.
          this._transcript.lines.push(loadSessions(this._logger).describeTranscriptEntry(entry));
          if (this._transcript.lines.length > TRANSCRIPT_LINES) {
            this._transcript.lines.splice(0, this._transcript.lines.length - TRANSCRIPT_LINES);
            this._transcript.truncated = true;
          }
          this._schedulePost();
        }
      }),
    );
    this._register(this._runs.onDidChangeRunning(() => this._schedulePost()));
    this._register(
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        // Edits kept in the window while the folder was restricted are saved now, as they would have been.
        const current = this._plans.current;
        if (this._notSaved !== undefined && current?.edited) {
          void this._commit(current.plan).catch((error: unknown) => this._logger.error('saving the edited plan failed', error));
        } else {
          this._schedulePost();
        }
      }),
    );
    this._register({ dispose: () => clearTimeout(this._postTimer) });
    this._register(
      vscode.window.registerWebviewPanelSerializer(PLAN_PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel) => {
          this._attach(panel);
        },
      }),
    );
  }

  get isOpen(): boolean {
    return this._panel !== undefined;
  }

  open(): void {
    if (this._panel) {
      this._panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      PLAN_PANEL_VIEW_TYPE,
      vscode.l10n.t('ACA Plan'),
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      this._options(),
    );
    this._attach(panel);
  }

  /**
   * Shows what an analysis proposes, per task, for the user to accept or reject; the plan is not changed
   * until they do. Returns the number of changes proposed.
   */
  propose(proposed: Plan): number {
    const loaded = this._plans.current;
    if (!loaded) {
      return 0;
    }
    const items = loadParser(this._logger).proposedChanges(loaded.plan, proposed);
    this._proposal = items.length ? { uri: loaded.uri.toString(), plan: proposed, items } : undefined;
    this.open();
    void this._post();
    return items.length;
  }

  /**
   * Handles one message from the webview (public so that tests can post as the webview would). About 100
   * lines: one short case per message type of the protocol's union, read best side by side.
   */
  async receive(raw: unknown): Promise<void> {
    // The message schema is in the parser bundle (loaded on the panel's first message, after activation).
    const parsed = loadParser(this._logger).webviewToHostMessage.safeParse(raw);
    if (!parsed.success) {
      const type = typeof raw === 'object' && raw !== null && 'type' in raw ? String((raw as { type: unknown }).type).slice(0, 60) : typeof raw;
      this._logger.warn(`rejected a message from the plan panel (type "${type}"): ${parsed.error.issues[0]?.message ?? 'invalid'}`);
      await this._postMessage({ type: 'error', message: vscode.l10n.t('The panel sent a message ACA does not accept; it was ignored.') });
      return;
    }
    const message = parsed.data;
    const current = this._plans.current;
    switch (message.type) {
      case 'ready':
        await this._post();
        return;
      case 'edit': {
        if (!current) {
          return;
        }
        try {
          const next = loadParser(this._logger).applyPlanEdit(current.plan, message.edit);
          this._undo.push(current.plan);
          this._redo.length = 0;
          await this._commit(next);
        } catch (error) {
          // A PlanEditError (from the parser bundle: not this bundle's class) is an Error like any other here.
          if (error instanceof Error) {
            await this._postMessage({ type: 'error', message: error.message });
            return;
          }
          throw error;
        }
        return;
      }
      case 'undo':
      case 'redo': {
        const [from, to] = message.type === 'undo' ? [this._undo, this._redo] : [this._redo, this._undo];
        const plan = from.pop();
        if (current && plan) {
          to.push(current.plan);
          await this._commit(plan);
        }
        return;
      }
      case 'decideProposal': {
        const proposal = this._proposal;
        if (!proposal || !current) {
          return;
        }
        const ids = new Set(message.taskIds ?? proposal.items.map((item) => item.taskId));
        if (message.accept) {
          try {
            const next = loadParser(this._logger).acceptProposedChanges(current.plan, proposal.plan, ids);
            this._undo.push(current.plan);
            this._redo.length = 0;
            proposal.items = proposal.items.filter((item) => !ids.has(item.taskId));
            await this._commit(next);
          } catch (error) {
            await this._postMessage({ type: 'error', message: error instanceof Error ? error.message : String(error) });
            return;
          }
        } else {
          proposal.items = proposal.items.filter((item) => !ids.has(item.taskId));
        }
        this._logger.info(`analysis proposal: ${message.accept ? 'accepted' : 'rejected'} ${[...ids].join(', ')}`);
        if (proposal.items.length === 0) {
          this._proposal = undefined;
        }
        await this._post();
        return;
      }
      case 'showTranscript': {
        if (message.taskId === null || !current?.plan.tasks.some((t) => t.id === message.taskId)) {
          this._transcript = undefined;
        } else {
          const title = current.plan.tasks.find((t) => t.id === message.taskId)?.title;
          const session = await this._runs.sessionOfTask(message.taskId, title);
          const store = loadSessions(this._logger);
          const { entries } = session ? await store.readTranscript(session.dir, message.taskId, TRANSCRIPT_LINES + 1) : { entries: [] };
          this._transcript = {
            taskId: message.taskId,
            ...(session ? { sessionId: session.state.sessionId } : {}),
            lines: entries.slice(-TRANSCRIPT_LINES).map((entry) => store.describeTranscriptEntry(entry)),
            truncated: entries.length > TRANSCRIPT_LINES,
          };
        }
        await this._post();
        return;
      }
      case 'approveAndRun': {
        if (!current) {
          return;
        }
        if (!vscode.workspace.isTrusted) {
          // The button is disabled in Restricted Mode; a message is untrusted input all the same.
          this._logger.warn('Approve and Run refused: the workspace is not trusted');
          return;
        }
        if (await confirmRun(current.plan, this._logger)) {
          void vscode.commands.executeCommand('aca.runPlan');
        }
        return;
      }
    }
  }

  private async _commit(plan: Plan): Promise<void> {
    const loaded = this._plans.current;
    if (!loaded) {
      return;
    }
    const file = editedPlanFile(loaded.uri);
    this._savedTo = undefined;
    this._notSaved = undefined;
    if (!vscode.workspace.isTrusted) {
      // Restricted Mode writes nothing beside the user's files: the edits live in this window only.
      this._notSaved = vscode.l10n.t('Restricted Mode: edits are kept in this window only, not saved to {0}', path.basename(file));
      this._logger.info(`plan edited in the panel; not saved to ${file} (Restricted Mode)`);
    } else {
      try {
        // Saved beside the tasks file, so that the edited plan survives and `aca run` can use it too; never
        // through a symlink the repository put there, never outside the workspace.
        await writeFileSafely(file, loadParser(this._logger).serializePlan(plan, 'json'), { root: loaded.workspaceRoot });
        this._savedTo = file;
        this._logger.info(`plan edited in the panel; saved to ${file}`);
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        this._notSaved = vscode.l10n.t('The edits are kept in this window only: {0}', reason);
        this._logger.warn(`plan edited in the panel; not saved: ${reason}`);
      }
    }
    this._plans.replacePlan(plan, 'edited');
  }

  private _attach(panel: vscode.WebviewPanel): void {
    this._panel = panel;
    panel.webview.options = this._options();
    panel.webview.html = planPanelHtml(panel.webview, this._context.extensionUri);
    const subscriptions = [
      panel.webview.onDidReceiveMessage(
        (message: unknown) => void this.receive(message).catch((error: unknown) => this._logger.error('plan panel message failed', error)),
      ),
      panel.onDidDispose(() => {
        this._panel = undefined;
        subscriptions.forEach((s) => s.dispose());
      }),
    ];
  }

  private _options(): vscode.WebviewOptions & vscode.WebviewPanelOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: false,
      localResourceRoots: [vscode.Uri.joinPath(this._context.extensionUri, 'dist'), vscode.Uri.joinPath(this._context.extensionUri, 'media')],
    };
  }

  /** Live updates come in bursts (an agent streams many events a second): one post per 150 ms at most. */
  private _schedulePost(): void {
    this._postTimer ??= setTimeout(() => {
      this._postTimer = undefined;
      void this._post();
    }, 150);
  }

  private async _post(): Promise<void> {
    const loaded = this._plans.current;
    if (!loaded) {
      await this._postMessage({
        type: 'empty',
        message: vscode.l10n.t('No plan is loaded. Right-click a tasks.md in the Explorer and choose "Parse Tasks File".'),
      });
      return;
    }
    await this._postMessage(this._state(loaded.plan));
  }

  private _state(plan: Plan): PanelState {
    const settings = readSettings();
    const model = settings.model;
    const forecast = forecastRun(plan, undefined, { ...(model ? { model } : {}), concurrency: plan.strategy.maxConcurrent });
    const transcript = this._transcript;
    return {
      type: 'state',
      plan: {
        name: plan.name,
        ...(plan.source ? { source: { path: plan.source.path, ...(plan.source.format ? { format: TASKS_FORMAT_LABELS[plan.source.format] } : {}) } } : {}),
        strategy: plan.strategy,
        tasks: plan.tasks.map((t) => ({
          id: t.id,
          title: t.title,
          parent: t.parent,
          dependsOn: t.dependsOn,
          priority: t.priority,
          complexity: t.complexity,
          status: t.status,
          optional: t.optional,
          verify: t.verify,
          references: t.references,
        })),
      },
      provider: settings.provider,
      forecast: {
        tasks: forecast.tasks,
        tokens: forecast.inputTokens + forecast.outputTokens,
        ...(forecast.costUsd !== undefined ? { costUsd: forecast.costUsd } : {}),
        minutes: forecast.minutes,
      },
      criticalPath: criticalPath(plan.tasks),
      running: this._runs.active !== undefined,
      trusted: vscode.workspace.isTrusted,
      canUndo: this._undo.length > 0,
      canRedo: this._redo.length > 0,
      ...(this._runStates ? { runStates: this._runStates } : {}),
      ...(this._runNotes ? { runNotes: this._runNotes } : {}),
      ...(this._proposal ? { proposal: { items: this._proposal.items } } : {}),
      ...(transcript
        ? {
            transcript: {
              taskId: transcript.taskId,
              lines: transcript.lines,
              truncated: transcript.truncated,
              title: plan.tasks.find((t) => t.id === transcript.taskId)?.title ?? '',
            },
          }
        : {}),
      ...(this._savedTo ? { savedTo: path.basename(this._savedTo) } : {}),
      ...(this._notSaved ? { notSaved: this._notSaved } : {}),
    };
  }

  private async _postMessage(message: HostToWebviewMessage): Promise<void> {
    this.posted.push(message);
    if (this.posted.length > 50) {
      this.posted.splice(0, this.posted.length - 50);
    }
    await this._panel?.webview.postMessage(message);
  }
}

const TRANSCRIPT_LINES = 500;
