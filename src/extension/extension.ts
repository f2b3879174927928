import * as vscode from 'vscode';
import { createLogger } from '../core/common/logger';
import type { Plan } from '../core/model/plan';
import type { AcaApi } from './api';
import { registerCommands } from './commands';
import { OutputChannelLogSink } from './outputChannelLogSink';
import { PlanController } from './planController';
import { registerSessionCommands } from './sessionCommands';
import { SessionsView, sessionRoots } from './sessionsView';
import { TasksView } from './tasksView';

/** Composition root: builds the adapters, registers each root disposable once, and holds no logic. */
export function activate(context: vscode.ExtensionContext): AcaApi {
  // The log channel comes first so that everything after it can report problems.
  const channel = vscode.window.createOutputChannel('ACA', { log: true });
  context.subscriptions.push(channel);
  const logSink = new OutputChannelLogSink(channel);
  const logger = createLogger(logSink, 'extension');

  const plans = new PlanController(createLogger(logSink, 'plan'));
  context.subscriptions.push(plans);
  const tasksView = new TasksView();
  context.subscriptions.push(tasksView);
  context.subscriptions.push(
    plans.onDidChangePlan((loaded) => {
      tasksView.show(loaded);
      void vscode.commands.executeCommand('setContext', 'aca.hasPlan', loaded !== undefined);
    }),
  );

  registerCommands(context, plans, createLogger(logSink, 'commands'), () => channel.show(true));
  const sessionsView = new SessionsView(() => sessionRoots(context));
  context.subscriptions.push(sessionsView);
  registerSessionCommands(context, plans, sessionsView, createLogger(logSink, 'sessions'));

  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  logger.info(
    `Automatic Coding Agent ${version} activated in VS Code ${vscode.version}; workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted (no agent will run)'}`,
  );

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
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions, which VS Code disposes.
}
