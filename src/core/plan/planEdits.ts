/**
 * Edits of a plan, as the plan panel sends them: each is applied to a copy, and the result checked like a
 * plan file (schema, ids, parents, dependencies, cycles). An edit that would
 * break the plan is refused with a message that says why; the plan is never half-changed.
 */
import { planSchema, type Complexity, type Plan, type Priority, type StrategyMode, type Task } from '../model/plan';
import { checkTaskGraph } from '../tasks/graph';

/**
 * One edit. The plan panel's messages carry these; their schema (zod, for the untrusted webview) is in
 * src/protocol, and the extension passes only parsed edits here, so the two cannot drift apart unseen.
 */
export type PlanEdit =
  | { readonly type: 'setPriority'; readonly taskId: string; readonly priority: Priority }
  | { readonly type: 'setComplexity'; readonly taskId: string; readonly complexity: Complexity | null }
  | { readonly type: 'setVerify'; readonly taskId: string; readonly verify: readonly string[] }
  | { readonly type: 'setTitle'; readonly taskId: string; readonly title: string }
  /** Optional tasks run only when asked: false asks for this one. */
  | { readonly type: 'setOptional'; readonly taskId: string; readonly optional: boolean }
  /** Skip a task (or take the skip back). */
  | { readonly type: 'setSkipped'; readonly taskId: string; readonly skipped: boolean }
  | { readonly type: 'addDependency'; readonly taskId: string; readonly dependsOn: string }
  | { readonly type: 'removeDependency'; readonly taskId: string; readonly dependsOn: string }
  /** Moves a task (with its subtasks) one place up or down among its siblings. */
  | { readonly type: 'moveTask'; readonly taskId: string; readonly direction: 'up' | 'down' }
  | { readonly type: 'removeTask'; readonly taskId: string }
  | { readonly type: 'addTask'; readonly title: string; readonly parent: string | null }
  | { readonly type: 'setStrategy'; readonly mode: StrategyMode; readonly maxConcurrent: number };

export class PlanEditError extends Error {
  readonly reason = 'plan-edit' as const;
}

/** One edit applied to a copy of the plan. A little over 80 lines: one short case per kind of edit. */
export function applyPlanEdit(plan: Plan, edit: PlanEdit): Plan {
  const tasks = plan.tasks.map((t) => ({ ...t }));
  const find = (id: string): Task => {
    const task = tasks.find((t) => t.id === id);
    if (!task) {
      throw new PlanEditError(`there is no task "${id}" in the plan`);
    }
    return task;
  };
  let strategy = plan.strategy;
  let result: Task[] = tasks;
  switch (edit.type) {
    case 'setPriority':
      find(edit.taskId).priority = edit.priority;
      break;
    case 'setComplexity':
      find(edit.taskId).complexity = edit.complexity;
      break;
    case 'setVerify':
      find(edit.taskId).verify = [...edit.verify];
      break;
    case 'setTitle':
      find(edit.taskId).title = edit.title;
      break;
    case 'setOptional':
      find(edit.taskId).optional = edit.optional;
      break;
    case 'setSkipped': {
      const task = find(edit.taskId);
      task.status = edit.skipped ? 'skipped' : 'pending';
      break;
    }
    case 'addDependency': {
      const task = find(edit.taskId);
      find(edit.dependsOn);
      if (edit.dependsOn === edit.taskId) {
        throw new PlanEditError(`task "${edit.taskId}" cannot depend on itself`);
      }
      if (!task.dependsOn.includes(edit.dependsOn)) {
        task.dependsOn = [...task.dependsOn, edit.dependsOn];
      }
      break;
    }
    case 'removeDependency': {
      const task = find(edit.taskId);
      task.dependsOn = task.dependsOn.filter((d) => d !== edit.dependsOn);
      break;
    }
    case 'moveTask':
      result = move(tasks, find(edit.taskId), edit.direction);
      break;
    case 'removeTask': {
      find(edit.taskId);
      const removed = new Set([edit.taskId, ...descendants(tasks, edit.taskId)]);
      result = tasks.filter((t) => !removed.has(t.id)).map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => !removed.has(d)) }));
      break;
    }
    case 'addTask': {
      const parent = edit.parent ? find(edit.parent) : undefined;
      const used = new Set(tasks.map((t) => t.id));
      let n = tasks.length + 1;
      while (used.has(`new-${n}`)) {
        n++;
      }
      const added = planSchema.shape.tasks.element.parse({ id: `new-${n}`, title: edit.title, parent: parent?.id ?? null, section: parent?.section ?? [] });
      // After the parent's last descendant, or at the end.
      const last = parent
        ? Math.max(tasks.indexOf(parent), ...descendants(tasks, parent.id).map((id) => tasks.findIndex((t) => t.id === id)))
        : tasks.length - 1;
      result = [...tasks.slice(0, last + 1), added, ...tasks.slice(last + 1)];
      break;
    }
    case 'setStrategy':
      strategy = { mode: edit.mode, maxConcurrent: edit.maxConcurrent };
      break;
  }
  const next = planSchema.parse({ ...plan, strategy, tasks: result });
  const errors = checkTaskGraph(next.tasks, next.source?.path ?? next.name).filter((p) => p.severity === 'error');
  if (errors.length > 0) {
    throw new PlanEditError(errors.map((e) => e.message).join('; '));
  }
  return next;
}

function descendants(tasks: readonly Task[], id: string): string[] {
  const out: string[] = [];
  for (const task of tasks) {
    if (task.parent !== null && (task.parent === id || out.includes(task.parent))) {
      out.push(task.id);
    }
  }
  return out;
}

/** Swaps the task's block (itself and its subtasks) with the neighbouring sibling's block. */
function move(tasks: Task[], task: Task, direction: 'up' | 'down'): Task[] {
  const block = (t: Task): Task[] => {
    const below = new Set(descendants(tasks, t.id));
    return [t, ...tasks.filter((x) => below.has(x.id))];
  };
  const siblings = tasks.filter((t) => t.parent === task.parent);
  const index = siblings.indexOf(task);
  const other = siblings[direction === 'up' ? index - 1 : index + 1];
  if (!other) {
    throw new PlanEditError(`task "${task.id}" is already the ${direction === 'up' ? 'first' : 'last'} of its group`);
  }
  const [first, second] = direction === 'up' ? [other, task] : [task, other];
  const firstBlock = block(first);
  const secondBlock = block(second);
  const start = tasks.indexOf(first);
  const end = start + firstBlock.length + secondBlock.length;
  return [...tasks.slice(0, start), ...secondBlock, ...firstBlock, ...tasks.slice(end)];
}
