import type * as vscode from 'vscode';
import type { LogLevel, LogSink } from '../core/common/logger';

/** Adapts the core's log port to VS Code's `LogOutputChannel`, keeping the last lines for the API. */
export class OutputChannelLogSink implements LogSink {
  private readonly _recent: string[] = [];

  constructor(
    private readonly _channel: vscode.LogOutputChannel,
    private readonly _keep = 500,
  ) {}

  get recentLines(): readonly string[] {
    return this._recent;
  }

  write(level: LogLevel, message: string): void {
    this._channel[level](message);
    this._recent.push(`${level} ${message}`);
    if (this._recent.length > this._keep) {
      this._recent.splice(0, this._recent.length - this._keep);
    }
  }
}
