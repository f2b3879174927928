/**
 * The run's status bar item: `ACA 3/12 · 2 running · $1.84 · ETA 14 min`, in the warning colour while
 * something needs attention (a failed task, a provider parked until its usage limit resets, a denied
 * permission).
 */
import * as vscode from 'vscode';
import { DisposableBase } from '../core/common/lifecycle';
import type { SessionState } from '../core/session/events';
import { formatDuration, progressReport } from '../core/session/progress';

export class RunStatusBar extends DisposableBase {
  private readonly _item = this._register(vscode.window.createStatusBarItem('aca.run', vscode.StatusBarAlignment.Left, 50));
  private _denials = 0;

  constructor() {
    super();
    this._item.name = 'ACA run';
    this._item.command = 'aca.tasks.focus';
  }

  /** A run starts: its permission denials are counted from zero. */
  reset(): void {
    this._denials = 0;
  }

  /** An agent was denied a tool: the item turns to the warning colour for the rest of the run. */
  countDenial(): void {
    this._denials++;
  }

  show(state: SessionState): void {
    const progress = progressReport(state, state.plan.strategy.maxConcurrent);
    const runs = Object.values(state.tasks);
    const cost = runs.reduce((sum, run) => sum + run.costUsd, 0);
    const parked = runs.filter((run) => run.parkedUntil !== undefined && run.parkedUntil > Date.now()).length;
    const parts = [`ACA ${progress.done}/${progress.total}`, `${progress.running} running`];
    if (cost > 0) {
      parts.push(`$${cost.toFixed(2)}`);
    }
    if (progress.etaMs !== undefined) {
      parts.push(`ETA ${formatDuration(progress.etaMs)}`);
    }
    const attention = progress.failed > 0 || parked > 0 || this._denials > 0;
    this._item.text = `${attention ? '$(warning)' : '$(sync~spin)'} ${parts.join(' · ')}`;
    this._item.backgroundColor = attention ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    this._item.tooltip = [
      vscode.l10n.t('{0}: {1} done, {2} running, {3} failed or blocked', state.plan.name, progress.done, progress.running, progress.failed),
      parked ? vscode.l10n.t('{0} waiting for a usage limit to reset', parked) : '',
      this._denials ? vscode.l10n.t('{0} permission denials (see the log)', this._denials) : '',
    ]
      .filter(Boolean)
      .join('\n');
    this._item.show();
  }

  hide(): void {
    this._item.hide();
  }

  /** The item's text and whether it shows the warning colour, for tests and the API. */
  get text(): string {
    return this._item.text;
  }

  get warning(): boolean {
    return this._item.backgroundColor !== undefined;
  }
}
