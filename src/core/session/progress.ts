/**
 * Progress of a session and its ETA. The ETA comes from how long finished tasks of the same complexity
 * took (falling back to all finished tasks, scaled by the complexity scale), summed over what is left and
 * divided by the tasks that run at once — not from "tasks per hour" of the whole run.
 */
import type { Complexity } from '../model/plan';
import { COMPLEXITY_UNITS } from '../schedule/scheduler';
import type { SessionState } from './events';

export interface Progress {
  readonly done: number;
  readonly total: number;
  readonly running: number;
  readonly failed: number;
  /** Milliseconds until the rest is done, when there is anything to go on. */
  readonly etaMs?: number;
}

export function progressReport(state: SessionState, concurrency = 1): Progress {
  const parents = new Set(state.plan.tasks.map((t) => t.parent).filter((p): p is string => p !== null));
  const leaves = state.plan.tasks.filter((t) => !parents.has(t.id));
  const byComplexity = new Map<string, number[]>();
  const perUnit: number[] = [];
  let done = 0;
  let running = 0;
  let failed = 0;
  const remaining: Array<Complexity | null> = [];
  for (const task of leaves) {
    const run = state.tasks[task.id];
    const complexity = task.complexity ?? 'moderate';
    if (run?.state === 'done' || run?.state === 'skipped') {
      done++;
      if (run.state === 'done' && run.durationMs !== undefined) {
        byComplexity.set(complexity, [...(byComplexity.get(complexity) ?? []), run.durationMs]);
        perUnit.push(run.durationMs / COMPLEXITY_UNITS[complexity]);
      }
    } else if (run?.state === 'failed' || run?.state === 'blocked' || run?.state === 'cancelled') {
      failed++;
    } else {
      if (run?.state === 'running' || run?.state === 'verifying') {
        running++;
      }
      remaining.push(task.complexity);
    }
  }
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  let etaMs: number | undefined;
  if (perUnit.length > 0 && remaining.length > 0) {
    const unitMean = mean(perUnit);
    const work = remaining.reduce((sum, complexity) => {
      const same = byComplexity.get(complexity ?? 'moderate');
      return sum + (same ? mean(same) : unitMean * COMPLEXITY_UNITS[complexity ?? 'moderate']);
    }, 0);
    etaMs = Math.round(work / Math.max(1, Math.min(concurrency, remaining.length)));
  }
  return { done, total: leaves.length, running, failed, ...(etaMs !== undefined ? { etaMs } : {}) };
}

export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) {
    return `${seconds}s`;
  }
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) {
    return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  }
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}
