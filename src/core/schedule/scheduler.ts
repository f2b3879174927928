/**
 * Which ready task runs next. A task's score is a weighted sum of documented factors; the weights live in
 * SCORE_WEIGHTS and nowhere else. Ties break on document order, then id, so the order is deterministic.
 *
 *   priority        critical 4 … background 0                    (the user's word counts most)
 *   critical path   estimated work on the longest chain of tasks that wait for this one, itself included
 *                   (longest-path-first keeps the makespan near its lower bound)
 *   unblocks        how many tasks list this one as a dependency
 *   waiting         minutes since the task became ready (no starvation)
 *   retries         attempts so far: a failing task yields to fresh work, but never below its own priority band
 */
import type { Complexity, Priority, Task } from '../model/plan';

export const SCORE_WEIGHTS = { priority: 100, criticalPath: 4, unblocks: 2, waitingPerMinute: 1, retry: -10 } as const;

const PRIORITY_RANK: Record<Priority, number> = { critical: 4, high: 3, normal: 2, low: 1, background: 0 };

/** Estimated work per complexity, in abstract units (a doubling scale); unknown counts as moderate. */
export const COMPLEXITY_UNITS: Record<Complexity, number> = { trivial: 1, simple: 2, moderate: 4, complex: 8, epic: 16 };

export function workOf(task: Pick<Task, 'complexity'>): number {
  return COMPLEXITY_UNITS[task.complexity ?? 'moderate'];
}

export interface SchedulingGraph {
  /** Work on the longest chain of dependents below each task, itself included. */
  readonly criticalPath: ReadonlyMap<string, number>;
  /** Direct dependents of each task. */
  readonly dependents: ReadonlyMap<string, readonly string[]>;
  /** Position in the document. */
  readonly order: ReadonlyMap<string, number>;
}

/** Precomputed once per plan: O(tasks + edges). The plan is known to be acyclic (validated on load). */
export function schedulingGraph(
  tasks: readonly Pick<Task, 'id' | 'dependsOn' | 'complexity'>[],
  work: (task: Pick<Task, 'id' | 'complexity'>) => number = workOf,
): SchedulingGraph {
  const dependents = new Map<string, string[]>(tasks.map((t) => [t.id, []]));
  for (const task of tasks) {
    for (const dep of task.dependsOn) {
      dependents.get(dep)?.push(task.id);
    }
  }
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const criticalPath = new Map<string, number>();
  // Iterative post-order so that a 100 000-task chain does not overflow the stack.
  for (const root of tasks) {
    if (criticalPath.has(root.id)) {
      continue;
    }
    const stack: Array<{ id: string; expanded: boolean }> = [{ id: root.id, expanded: false }];
    for (let top = stack[stack.length - 1]; top !== undefined; top = stack[stack.length - 1]) {
      if (criticalPath.has(top.id)) {
        stack.pop();
        continue;
      }
      const below = dependents.get(top.id) ?? [];
      if (!top.expanded) {
        top.expanded = true;
        for (const child of below) {
          if (!criticalPath.has(child)) {
            stack.push({ id: child, expanded: false });
          }
        }
        continue;
      }
      stack.pop();
      const longest = below.reduce((max, child) => Math.max(max, criticalPath.get(child) ?? 0), 0);
      // Every id on the stack is a task's own (dependents holds only tasks' ids).
      const task = byId.get(top.id);
      criticalPath.set(top.id, (task ? work(task) : 0) + longest);
    }
  }
  return { criticalPath, dependents, order: new Map(tasks.map((t, i) => [t.id, i])) };
}

export interface ReadyTask {
  readonly task: Pick<Task, 'id' | 'priority'>;
  readonly attempts: number;
  /** When it became ready (ms). */
  readonly readySince: number;
}

/** The score without waiting time: fixed while the task waits. */
export function staticScore(ready: Omit<ReadyTask, 'readySince'>, graph: SchedulingGraph): number {
  return (
    SCORE_WEIGHTS.priority * PRIORITY_RANK[ready.task.priority] +
    SCORE_WEIGHTS.criticalPath * (graph.criticalPath.get(ready.task.id) ?? 0) +
    SCORE_WEIGHTS.unblocks * (graph.dependents.get(ready.task.id)?.length ?? 0) +
    SCORE_WEIGHTS.retry * ready.attempts
  );
}

export function scoreOf(ready: ReadyTask, graph: SchedulingGraph, now: number): number {
  return staticScore(ready, graph) + SCORE_WEIGHTS.waitingPerMinute * Math.max(0, (now - ready.readySince) / 60_000);
}

/** The ready tasks, best first. */
export function rankReady<T extends ReadyTask>(ready: readonly T[], graph: SchedulingGraph, now: number): T[] {
  const scored = ready.map((r) => ({ r, score: scoreOf(r, graph, now), order: graph.order.get(r.task.id) ?? Number.MAX_SAFE_INTEGER }));
  scored.sort((a, b) => b.score - a.score || a.order - b.order || (a.r.task.id < b.r.task.id ? -1 : a.r.task.id > b.r.task.id ? 1 : 0));
  return scored.map((s) => s.r);
}

/**
 * The ready tasks as a heap, best first. Waiting time raises every waiting task's score at the same rate,
 * so ordering by `score − weight × readySince` is the same at any moment: a key fixed on entry gives the
 * exact order without re-sorting as time passes. O(log n) per push and pop.
 */
export class ReadyQueue<T extends ReadyTask> {
  private readonly _heap: Array<{ item: T; key: number; order: number }> = [];

  constructor(private readonly _graph: SchedulingGraph) {}

  get size(): number {
    return this._heap.length;
  }

  push(item: T): void {
    const key = staticScore(item, this._graph) - (SCORE_WEIGHTS.waitingPerMinute * item.readySince) / 60_000;
    this._heap.push({ item, key, order: this._graph.order.get(item.task.id) ?? Number.MAX_SAFE_INTEGER });
    this._up(this._heap.length - 1);
  }

  pop(): T | undefined {
    const top = this._heap[0];
    const last = this._heap.pop();
    if (top && last && this._heap.length > 0) {
      this._heap[0] = last;
      this._down(0);
    }
    return top?.item;
  }

  clear(): void {
    this._heap.length = 0;
  }

  private _better(a: number, b: number): boolean {
    const x = this._heap[a];
    const y = this._heap[b];
    if (x === undefined || y === undefined) {
      return false;
    }
    return x.key !== y.key ? x.key > y.key : x.order !== y.order ? x.order < y.order : x.item.task.id < y.item.task.id;
  }

  private _swap(i: number, j: number): void {
    const a = this._heap[i];
    const b = this._heap[j];
    if (a !== undefined && b !== undefined) {
      this._heap[i] = b;
      this._heap[j] = a;
    }
  }

  private _up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this._better(i, parent)) {
        return;
      }
      this._swap(i, parent);
      i = parent;
    }
  }

  private _down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let best = i;
      if (left < this._heap.length && this._better(left, best)) {
        best = left;
      }
      if (right < this._heap.length && this._better(right, best)) {
        best = right;
      }
      if (best === i) {
        return;
      }
      this._swap(i, best);
      i = best;
    }
  }
}
