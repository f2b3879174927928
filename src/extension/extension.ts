import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import { createLogger } from '../core/common/logger';
import type { Plan } from '../core/model/plan';
import type { AcaApi } from './api';
import { registerCommands } from './commands';
import { OutputChannelLogSink } from './outputChannelLogSink';
import { PlanController } from './planController';
import { registerSessionCommands } from './sessionCommands';
import { PlanPanel } from './planPanel';
import { RunController, registerRunCommands } from './runController';
import { SessionsView } from './sessionsView';
import { TasksView } from './tasksView';

/** Composition root: builds the adapters, registers each root disposable once, and holds no logic. */
export function activate(context: vscode.ExtensionContext): AcaApi {
  const started = performance.now();
  // The log channel comes first so that everything after it can report problems.
  const channel = vscode.window.createOutputChannel('ACA', { log: true });
  context.subscriptions.push(channel);
  const logSink = new OutputChannelLogSink(channel);
  const logger = createLogger(logSink, 'extension');

  const plans = new PlanController(createLogger(logSink, 'plan'), context.workspaceState);
  context.subscriptions.push(plans);
  const tasksView = new TasksView();
  context.subscriptions.push(tasksView);
  context.subscriptions.push(
    plans.onDidChangePlan((loaded) => {
      tasksView.show(loaded);
      void vscode.commands.executeCommand('setContext', 'aca.hasPlan', loaded !== undefined);
    }),
  );

  // The panel is made further down (it needs the run controller); analysis proposals go to it.
  const panelRef: { current?: PlanPanel } = {};
  registerCommands(
    context,
    plans,
    createLogger(logSink, 'commands'),
    () => channel.show(true),
    (plan) => panelRef.current?.propose(plan) ?? 0,
  );
  const sessionsView = new SessionsView(context, createLogger(logSink, 'sessions'));
  context.subscriptions.push(sessionsView);
  registerSessionCommands(context, plans, sessionsView, createLogger(logSink, 'sessions'));
  const runs = new RunController(context, tasksView, sessionsView, createLogger(logSink, 'run'));
  shutdownRuns = () => runs.shutdown();
  context.subscriptions.push(runs);
  registerRunCommands(
    context,
    runs,
    async () => (await vscode.commands.executeCommand<string | undefined>('aca.createSession')) ?? undefined,
    async (id) => {
      await sessionsView.refresh();
      return sessionsView.sessions.find((s) => s.id === id)?.dir;
    },
  );
  const planPanel = new PlanPanel(context, plans, runs, createLogger(logSink, 'panel'));
  panelRef.current = planPanel;
  context.subscriptions.push(
    planPanel,
    vscode.commands.registerCommand('aca.openPlan', () => (plans.current ? planPanel.open() : vscode.commands.executeCommand('aca.parseTasksFile'))),
  );
  // The plan shown before a reload or restart comes back (the panel restores itself and asks for it).
  void plans.restore().catch((error: unknown) => logger.error('cannot restore the last plan', error));
  // Sessions already on disk (also the CLI's) are listed once activate() has returned: the session store
  // (dist/sessions.js, with zod) loads then, not during activation.
  sessionsView.start();
  // A session whose process is gone (a crash, a closed window, a killed CLI) is offered once.
  if (vscode.workspace.isTrusted) {
    setTimeout(() => void runs.offerInterruptedSession().catch((error: unknown) => logger.error('cannot look for interrupted sessions', error)), 1500);
  }

  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  logger.info(
    `Automatic Coding Agent ${version} activated in VS Code ${vscode.version}; workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted (no agent will run)'}; activate() took ${(performance.now() - started).toFixed(1)} ms`,
  );

  return createApi({ context, version, plans, tasksView, sessionsView, runs, planPanel, logSink });
}

interface ApiParts {
  readonly context: vscode.ExtensionContext;
  readonly version: string;
  readonly plans: PlanController;
  readonly tasksView: TasksView;
  readonly sessionsView: SessionsView;
  readonly runs: RunController;
  readonly planPanel: PlanPanel;
  readonly logSink: OutputChannelLogSink;
}

/** The API `activate()` returns to other extensions (and the integration tests). */
function createApi({ context, version, plans, tasksView, sessionsView, runs, planPanel, logSink }: ApiParts): AcaApi {
  return {
    version,
    isWorkspaceTrusted: () => vscode.workspace.isTrusted,
    taskViewRootLabels: () => tasksView.snapshot().map((row) => row.label),
    taskTree: () => tasksView.snapshot(),
    currentPlan: () => plans.current?.plan,
    nextPlanChange: () =>
      new Promise<Plan | undefined>((resolve) => {
        const subscription = plans.onDidChangePlan((loaded) => {
          subscription.dispose();
          resolve(loaded?.plan);
        });
      }),
    recentLogLines: () => logSink.recentLines,
    sessionRows: () => sessionsView.rows(),
    onDidChangeSessionState: runs.onDidChangeState,
    runPlan: () => vscode.commands.executeCommand('aca.runPlan'),
    resumeSession: (sessionId?: string) => runs.pickAndResume(sessionId),
    pauseRun: () => runs.active?.engine.pause(),
    cancelRun: () => runs.active?.engine.cancel(),
    planPanel: { isOpen: () => planPanel.isOpen, receive: (message: unknown) => planPanel.receive(message), posted: () => [...planPanel.posted] },
    runStatus: () => runs.statusText(),
    hasApiKey: async (service: string) => Boolean(await context.secrets.get(`aca.apiKey.${service}`)),
  };
}

let shutdownRuns: (() => Promise<void>) | undefined;

export async function deactivate(): Promise<void> {
  // A window closing or reloading mid-run: the agents are stopped and their tasks journaled as interrupted,
  // so that Resume Session continues their conversations. Everything else is owned by context.subscriptions.
  await shutdownRuns?.();
}
