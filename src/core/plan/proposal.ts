/**
 * What an analysis proposes, task by task: the analysis may change a task's parent, dependencies, priority
 * and complexity, and the plan's strategy. The user accepts or rejects each change; accepting a set of
 * them lays those tasks' new fields over the current plan (which may have been edited meanwhile) and
 * checks the result like any other edit.
 */
import type { Plan, Task } from '../model/plan';
import { checkTaskGraph, parentsFirst } from '../tasks/graph';
import { PlanEditError } from './planEdits';

/** The id under which a strategy change is accepted or rejected. */
export const STRATEGY_PROPOSAL = '#strategy';

export interface ProposedChange {
  /** A task id, or STRATEGY_PROPOSAL. */
  readonly taskId: string;
  readonly title: string;
  /** Human-readable, e.g. `priority: normal → high`. */
  readonly changes: readonly string[];
}

const show = (value: string | null | readonly string[]): string =>
  typeof value === 'string' ? value : value === null || value.length === 0 ? 'none' : value.join(', ');

/** The changes from `current` to `proposed`, in the current plan's order; tasks not in both are left out. */
export function proposedChanges(current: Plan, proposed: Plan): ProposedChange[] {
  const byId = new Map(proposed.tasks.map((t) => [t.id, t]));
  const out: ProposedChange[] = [];
  if (current.strategy.mode !== proposed.strategy.mode || current.strategy.maxConcurrent !== proposed.strategy.maxConcurrent) {
    out.push({
      taskId: STRATEGY_PROPOSAL,
      title: 'Strategy',
      changes: [`${current.strategy.mode}, ${current.strategy.maxConcurrent} at once → ${proposed.strategy.mode}, ${proposed.strategy.maxConcurrent} at once`],
    });
  }
  for (const task of current.tasks) {
    const next = byId.get(task.id);
    if (!next) {
      continue;
    }
    const changes: string[] = [];
    if (task.parent !== next.parent) {
      changes.push(`parent: ${show(task.parent)} → ${show(next.parent)}`);
    }
    if ([...task.dependsOn].sort().join() !== [...next.dependsOn].sort().join()) {
      changes.push(`after: ${show(task.dependsOn)} → ${show(next.dependsOn)}`);
    }
    if (task.priority !== next.priority) {
      changes.push(`priority: ${task.priority} → ${next.priority}`);
    }
    if (task.complexity !== next.complexity) {
      changes.push(`complexity: ${show(task.complexity)} → ${show(next.complexity)}`);
    }
    if (changes.length) {
      out.push({ taskId: task.id, title: task.title, changes });
    }
  }
  return out;
}

/**
 * `current` with the proposal's fields taken for the accepted tasks (and its strategy when accepted).
 * Throws PlanEditError, naming the problem, when the mix of accepted and kept fields is not a valid graph
 * (accepting one half of a reversed dependency can make a cycle).
 */
export function acceptProposedChanges(current: Plan, proposed: Plan, accepted: ReadonlySet<string>): Plan {
  const byId = new Map(proposed.tasks.map((t) => [t.id, t]));
  const ids = new Set(current.tasks.map((t) => t.id));
  const tasks: Task[] = current.tasks.map((task) => {
    const next = byId.get(task.id);
    if (!next || !accepted.has(task.id)) {
      return task;
    }
    return {
      ...task,
      parent: next.parent !== null && ids.has(next.parent) ? next.parent : null,
      dependsOn: next.dependsOn.filter((id) => ids.has(id)),
      priority: next.priority,
      complexity: next.complexity,
    };
  });
  const ordered = parentsFirst(tasks);
  const errors = checkTaskGraph(ordered, current.source?.path ?? 'plan').filter((p) => p.severity === 'error');
  const [firstError] = errors;
  if (firstError) {
    throw new PlanEditError(`These changes together do not make a valid plan: ${firstError.message}`);
  }
  return { ...current, strategy: accepted.has(STRATEGY_PROPOSAL) ? proposed.strategy : current.strategy, tasks: ordered };
}
