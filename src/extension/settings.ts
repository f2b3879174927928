import * as vscode from 'vscode';

/** Every setting ACA reads, read in one place. */
export interface AcaSettings {
  readonly claudeCodePath: string;
  readonly analysisModel: string | undefined;
  readonly analysisTimeoutMs: number;
  readonly retention: { maxCount: number; maxAgeDays: number };
  readonly syncEvery: number;
}

export function readSettings(): AcaSettings {
  const config = vscode.workspace.getConfiguration('aca');
  const model = config.get<string>('analysis.model', '').trim();
  return {
    claudeCodePath: config.get<string>('claudeCode.path', 'claude').trim() || 'claude',
    analysisModel: model || undefined,
    analysisTimeoutMs: Math.max(10, config.get<number>('analysis.timeoutSeconds', 300)) * 1000,
    retention: { maxCount: Math.max(1, config.get<number>('checkpoints.keep', 20)), maxAgeDays: Math.max(0, config.get<number>('checkpoints.maxAgeDays', 30)) },
    syncEvery: Math.min(1024, Math.max(1, config.get<number>('sessions.syncEvery', 32))),
  };
}
