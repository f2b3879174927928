/**
 * What the plan panel's webview is made of: its page (the script from dist/, the styles from media/plan.css,
 * a CSP that allows nothing else) and the short notes it shows beside a task that ran.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { TaskRun } from '../core/session/events';

/** The panel's page: a nonce for the one script, styles only from the extension's own files. */
export function planPanelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js'));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'plan.css'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}; script-src 'nonce-${nonce}';">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>ACA Plan</title>
<link rel="stylesheet" href="${style.toString()}">
</head>
<body>
<div id="root" role="main"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}

/** "attempt 2 · 12k tokens · $0.04 · waits until 14:05:00". */
export function runNote(run: TaskRun): string {
  const tokens = run.inputTokens + run.outputTokens;
  const parts = [`attempt ${run.attempts}`];
  if (tokens > 0) {
    parts.push(tokens >= 1000 ? `${Math.round(tokens / 1000)}k tokens` : `${tokens} tokens`);
  }
  if (run.costUsd > 0) {
    parts.push(`$${run.costUsd.toFixed(run.costUsd < 0.01 ? 4 : 2)}`);
  }
  if (run.parkedUntil !== undefined && run.state === 'pending') {
    parts.push(`waits until ${new Date(run.parkedUntil).toLocaleTimeString()}`);
  }
  return parts.join(' · ');
}
