/**
 * Checks of a plan's task graph: unique ids, parents that exist and come first, dependencies on tasks
 * that exist, and no dependency cycle (the cycle's ids are named, in order).
 */
import type { Task } from '../model/plan';
import type { Problem } from '../model/problems';

/** `lineOfTask(i)`: the line of tasks[i] in `file`, when that file has lines that mean something. */
export function checkTaskGraph(tasks: readonly Task[], file: string, lineOfTask: (index: number) => number | undefined = () => undefined): Problem[] {
  const problems: Problem[] = [];
  const where = (index: number, field: string): Pick<Problem, 'file' | 'field' | 'line'> => {
    const line = lineOfTask(index);
    return { file, field: `tasks[${index}]${field}`, ...(line !== undefined ? { line } : {}) };
  };
  const indexById = new Map<string, number>();
  tasks.forEach((task, index) => {
    const earlier = indexById.get(task.id);
    if (earlier !== undefined) {
      problems.push({
        severity: 'error',
        code: 'duplicate-id',
        message: `task id "${task.id}" is used twice (also by tasks[${earlier}])`,
        ...where(index, '.id'),
      });
    } else {
      indexById.set(task.id, index);
    }
  });
  tasks.forEach((task, index) => {
    if (task.parent !== null) {
      const parentIndex = indexById.get(task.parent);
      if (parentIndex === undefined) {
        problems.push({
          severity: 'error',
          code: 'unknown-parent',
          message: `task "${task.id}" has parent "${task.parent}", which is not a task of this plan`,
          ...where(index, '.parent'),
        });
      } else if (parentIndex >= index) {
        problems.push({
          severity: 'error',
          code: 'parent-order',
          message: `task "${task.id}" comes before its parent "${task.parent}"; parents come first`,
          ...where(index, '.parent'),
        });
      }
    }
    task.dependsOn.forEach((dependency, d) => {
      if (!indexById.has(dependency)) {
        problems.push({
          severity: 'error',
          code: 'unknown-dependency',
          message: `task "${task.id}" depends on "${dependency}", which is not a task of this plan`,
          ...where(index, `.dependsOn[${d}]`),
        });
      } else if (dependency === task.id) {
        problems.push({ severity: 'error', code: 'dependency-cycle', message: `task "${task.id}" depends on itself`, ...where(index, `.dependsOn[${d}]`) });
      }
    });
  });
  for (const cycle of findDependencyCycles(tasks)) {
    const index = indexById.get(cycle[0] ?? '') ?? 0;
    problems.push({
      severity: 'error',
      code: 'dependency-cycle',
      message: `dependency cycle: ${[...cycle, cycle[0]].map((id) => `"${id}"`).join(' → ')}`,
      ...where(index, '.dependsOn'),
    });
  }
  return problems;
}

/** Every elementary cycle reachable by DFS, each reported once, starting at its first task in plan order. */
export function findDependencyCycles(tasks: readonly Task[]): string[][] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const order = new Map(tasks.map((t, i) => [t.id, i]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const seen = new Set<string>();

  const visit = (id: string): void => {
    state.set(id, 'visiting');
    stack.push(id);
    for (const next of byId.get(id)?.dependsOn ?? []) {
      if (next === id || !byId.has(next)) {
        continue; // self-dependencies and unknown ids are reported on their own
      }
      if (state.get(next) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(next));
        // Rotate so the cycle starts at its earliest task: the same cycle is then reported once.
        const start = cycle.reduce((best, cur, i) => ((order.get(cur) ?? 0) < (order.get(cycle[best] ?? '') ?? 0) ? i : best), 0);
        const rotated = [...cycle.slice(start), ...cycle.slice(0, start)];
        const key = rotated.join('\u0000');
        if (!seen.has(key)) {
          seen.add(key);
          cycles.push(rotated);
        }
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const task of tasks) {
    if (!state.has(task.id)) {
      visit(task.id);
    }
  }
  return cycles;
}

/** Stable reorder so that every parent comes before its children (the plan's order rule). */
export function parentsFirst<T extends Pick<Task, 'id' | 'parent'>>(tasks: readonly T[]): T[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const placed = new Set<string>();
  const out: T[] = [];
  const place = (task: T, chain: Set<string>): void => {
    if (placed.has(task.id) || chain.has(task.id)) {
      return; // a parent cycle is left for validation to report
    }
    chain.add(task.id);
    const parent = task.parent !== null ? byId.get(task.parent) : undefined;
    if (parent) {
      place(parent, chain);
    }
    placed.add(task.id);
    out.push(task);
  };
  for (const task of tasks) {
    place(task, new Set());
  }
  return out.length === tasks.length ? out : [...tasks];
}
