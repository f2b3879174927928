import * as vscode from 'vscode';
import { createLogger } from '../core/common/logger';
import type { AcaApi } from './api';
import { OutputChannelLogSink } from './outputChannelLogSink';
import { TasksView } from './tasksView';

/** Composition root: builds the adapters, registers each root disposable once, and holds no logic. */
export function activate(context: vscode.ExtensionContext): AcaApi {
  // The log channel comes first so that everything after it can report problems.
  const channel = vscode.window.createOutputChannel('ACA', { log: true });
  context.subscriptions.push(channel);
  const logSink = new OutputChannelLogSink(channel);
  const logger = createLogger(logSink, 'extension');

  const tasksView = new TasksView();
  context.subscriptions.push(tasksView);

  context.subscriptions.push(vscode.commands.registerCommand('aca.showLog', () => channel.show(true)));

  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '0.0.0');
  logger.info(
    `Automatic Coding Agent ${version} activated in VS Code ${vscode.version}; workspace ${vscode.workspace.isTrusted ? 'trusted' : 'restricted (no agent will run)'}`,
  );

  return {
    version,
    isWorkspaceTrusted: () => vscode.workspace.isTrusted,
    taskViewRootLabels: () => tasksView.roots.map((node) => node.label),
    recentLogLines: () => logSink.recentLines,
  };
}

export function deactivate(): void {
  // Everything is owned by context.subscriptions, which VS Code disposes.
}
