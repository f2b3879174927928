/**
 * What a run will take, before it starts: tokens, dollars and time from each waiting task's complexity and
 * the price table. A rough figure (the agent decides how much it reads), stated as such; the ETA during the
 * run comes from real durations instead.
 */
import type { Plan, Task } from '../model/plan';
import { PRICES_PER_MILLION, priceOf, type Price } from '../providers/provider';
import { COMPLEXITY_UNITS } from '../schedule/scheduler';
import type { SessionState } from '../session/events';

/** Per complexity unit (a trivial task): what a coding agent typically reads, writes and takes. */
export const PER_UNIT = { inputTokens: 40_000, cachedShare: 0.6, outputTokens: 2_500, minutes: 1.5 } as const;

export interface Forecast {
  readonly tasks: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Undefined when the model's price is unknown. */
  readonly costUsd?: number;
  readonly minutes: number;
}

export function forecastRun(
  plan: Plan,
  state: SessionState | undefined,
  options: { model?: string; concurrency?: number; prices?: Readonly<Record<string, Price>> } = {},
): Forecast {
  let units = 0;
  let tasks = 0;
  for (const task of waitingTasks(plan, state)) {
    tasks++;
    units += COMPLEXITY_UNITS[task.complexity ?? 'moderate'];
  }
  const inputTokens = Math.round(units * PER_UNIT.inputTokens);
  const outputTokens = Math.round(units * PER_UNIT.outputTokens);
  const cost = priceOf(
    options.model,
    { inputTokens, outputTokens, cachedTokens: Math.round(inputTokens * PER_UNIT.cachedShare) },
    { ...PRICES_PER_MILLION, ...options.prices },
  );
  return {
    tasks,
    inputTokens,
    outputTokens,
    ...(cost !== undefined ? { costUsd: cost } : {}),
    minutes: (units * PER_UNIT.minutes) / Math.max(1, options.concurrency ?? 1),
  };
}

/** The tasks a run would give to an agent: leaves still pending or interrupted (optional ones only once started). */
export function waitingTasks(plan: Plan, state: SessionState | undefined): Task[] {
  const parents = new Set(plan.tasks.map((t) => t.parent).filter((p): p is string => p !== null));
  return plan.tasks.filter((task) => {
    const run = state?.tasks[task.id]?.state ?? (task.status === 'done' ? 'done' : 'pending');
    return !parents.has(task.id) && ['pending', 'interrupted'].includes(run) && !(task.optional && run === 'pending');
  });
}
