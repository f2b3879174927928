/**
 * Budgets: when a run, or one task of it, has used what it was given (tokens, cost, wall time). Plain
 * functions of the journal's totals; the engine decides what to do about it (stop the run, end the attempt).
 */
import type { TaskRun } from '../session/events';
import { formatDuration } from '../session/progress';
import type { TokenUsage } from '../model/provider';
import type { Budgets } from './engineTypes';

/**
 * Why the whole run must stop, or undefined while it is within its budgets. `runs` is asked for only when
 * there is a budget: the engine checks before every start, and listing 10,000 tasks each time is quadratic.
 */
export function runBudgetExceeded(budgets: Budgets | undefined, runs: () => Iterable<TaskRun>, elapsedMs: number): string | undefined {
  if (!budgets || (budgets.tokens === undefined && budgets.costUsd === undefined && budgets.wallMs === undefined)) {
    return undefined;
  }
  let tokens = 0;
  let cost = 0;
  for (const run of runs()) {
    tokens += run.inputTokens + run.outputTokens;
    cost += run.costUsd;
  }
  if (budgets.tokens !== undefined && tokens >= budgets.tokens) {
    return `the token budget (${budgets.tokens}) is used up: ${tokens} tokens`;
  }
  if (budgets.costUsd !== undefined && cost >= budgets.costUsd) {
    return `the cost budget ($${budgets.costUsd.toFixed(2)}) is used up: $${cost.toFixed(2)}`;
  }
  if (budgets.wallMs !== undefined && elapsedMs >= budgets.wallMs) {
    return `the time budget (${Math.round(budgets.wallMs / 1000)} s) is used up`;
  }
  return undefined;
}

/**
 * Why a task's attempt failed on its own budget (the message starts "over the task budget", which makes the
 * failure final), or undefined. `overTime`: its wall-time timer fired during the attempt.
 */
export function taskBudgetExceeded(budgets: Budgets | undefined, run: TaskRun | undefined, overTime: boolean): string | undefined {
  if (!budgets || !run) {
    return undefined;
  }
  if (overTime) {
    return `over the task budget: ${formatDuration(budgets.taskWallMs ?? 0)} of wall time`;
  }
  if (budgets.taskTokens !== undefined && run.inputTokens + run.outputTokens > budgets.taskTokens) {
    return `over the task budget: ${run.inputTokens + run.outputTokens} tokens (limit ${budgets.taskTokens})`;
  }
  if (budgets.taskCostUsd !== undefined && run.costUsd > budgets.taskCostUsd) {
    return `over the task budget: $${run.costUsd.toFixed(2)} (limit $${budgets.taskCostUsd.toFixed(2)})`;
  }
  return undefined;
}

/** Whether a step's usage, added to what the task has journaled so far, goes over its token budget. */
export function taskTokensOver(budgets: Budgets | undefined, run: TaskRun | undefined, step: TokenUsage): boolean {
  if (budgets?.taskTokens === undefined) {
    return false;
  }
  const journaled = (run?.inputTokens ?? 0) + (run?.outputTokens ?? 0);
  return journaled + step.inputTokens + step.outputTokens > budgets.taskTokens;
}

/** Wall time a run has left on its budget, or undefined when it has none. */
export function wallTimeLeft(budgets: Budgets | undefined, started: number, now: number): number | undefined {
  return budgets?.wallMs === undefined ? undefined : Math.max(0, started + budgets.wallMs - now);
}
