/**
 * Readiness bookkeeping: which tasks may run, kept incrementally — a count of unmet dependencies per task
 * and a heap of ready tasks — so the cost per task does not grow with the size of the plan. When a task
 * ends, its dependents learn of it (one fewer unmet dependency, or blocked), and so does its group (done
 * when all its subtasks are, blocked when one cannot be). Optional tasks not asked for are skipped here.
 *
 * The engine calls these one step at a time (its serial chain): none of them runs concurrently with another.
 */
import type { Task } from '../model/plan';
import { ReadyQueue, schedulingGraph, workOf } from '../schedule/scheduler';
import type { SessionEvent, SessionState, TaskRunState } from '../session/events';
import type { FailurePolicy } from './engineTypes';
import type { CheckboxMark } from './writeBack';

export const FINISHED: ReadonlySet<TaskRunState> = new Set(['done', 'failed', 'blocked', 'skipped', 'cancelled']);
export const WAITING: ReadonlySet<TaskRunState> = new Set(['pending', 'interrupted']);

/** A task in the ready heap; `attempts` ranks it (fewer failures first). */
export interface ReadyItem {
  readonly task: Task;
  readonly attempts: number;
  readonly readySince: number;
}

/** What readiness needs from the engine. */
export interface ReadinessHost {
  readonly state: SessionState;
  readonly failurePolicy: FailurePolicy | undefined;
  readonly includeOptional: boolean | undefined;
  now(): number;
  /** The engine is running this task now (an attempt, or between two attempts). */
  isRunning(id: string): boolean;
  append(event: SessionEvent): Promise<void>;
  writeBack(task: Task, mark: CheckboxMark): Promise<void>;
}

export class Readiness {
  private _byId = new Map<string, Task>();
  private _children = new Map<string, string[]>();
  /** Dependencies with the parents' dependencies folded in: a subtask waits for what its group waits for. */
  private _deps = new Map<string, string[]>();
  private _dependents = new Map<string, string[]>();
  private _unmet = new Map<string, number>();
  private _queue: ReadyQueue<ReadyItem>;
  /** Ended, but its dependents and group have not been told yet. */
  readonly unpropagated = new Set<string>();

  constructor(private readonly _host: ReadinessHost) {
    this._queue = this._index();
  }

  /** The plan's tasks by id (a new map after `reindex`). */
  get tasksById(): ReadonlyMap<string, Task> {
    return this._byId;
  }

  /** The plan changed (tasks added while running): the graph is built again. Call `recompute` next. */
  reindex(): void {
    this._queue = this._index();
  }

  private _index(): ReadyQueue<ReadyItem> {
    const tasks = this._host.state.plan.tasks;
    this._byId = new Map(tasks.map((t) => [t.id, t]));
    this._children = new Map();
    for (const task of tasks) {
      if (task.parent) {
        this._children.set(task.parent, [...(this._children.get(task.parent) ?? []), task.id]);
      }
    }
    this._deps = new Map();
    const depsOf = (task: Task): string[] => {
      const known = this._deps.get(task.id);
      if (known) {
        return known;
      }
      const parent = task.parent ? this._byId.get(task.parent) : undefined;
      const all = [...new Set([...task.dependsOn, ...(parent ? depsOf(parent) : [])])];
      this._deps.set(task.id, all);
      return all;
    };
    this._dependents = new Map(tasks.map((t) => [t.id, []]));
    for (const task of tasks) {
      for (const dep of depsOf(task)) {
        this._dependents.get(dep)?.push(task.id);
      }
    }
    const graph = schedulingGraph(
      tasks.map((t) => ({ ...t, dependsOn: depsOf(t) })),
      (t) => (this._children.has(t.id) ? 0 : workOf(t)),
    );
    return new ReadyQueue(graph);
  }

  /**
   * A task this engine is still working on counts as running whatever the journal says: between two
   * attempts it is `failed` there, and after it ends its dependents and group have not heard of it yet.
   */
  stateOf(id: string): TaskRunState {
    if (this._host.isRunning(id) || this.unpropagated.has(id)) {
      return 'running';
    }
    return this._host.state.tasks[id]?.state ?? 'pending';
  }

  /** Dependencies of `id` not yet satisfied (undefined for an unknown task). */
  unmetOf(id: string): number | undefined {
    return this._unmet.get(id);
  }

  get readyCount(): number {
    return this._queue.size;
  }

  /** The most urgent ready task, taken off the heap (it may be stale: the caller checks). */
  takeReady(): ReadyItem | undefined {
    return this._queue.pop();
  }

  /** Puts back a ready task that could not start now. */
  putBack(item: ReadyItem): void {
    this._queue.push(item);
  }

  private _satisfies(id: string): boolean {
    const state = this.stateOf(id);
    if (state === 'done') {
      return true;
    }
    if (state === 'skipped' && this._byId.get(id)?.optional) {
      return true; // an optional task left out holds nothing up
    }
    return this._host.failurePolicy === 'continue' && (state === 'failed' || state === 'blocked');
  }

  private _blocks(id: string): boolean {
    const state = this.stateOf(id);
    return !this._satisfies(id) && (state === 'failed' || state === 'blocked' || state === 'cancelled' || state === 'skipped');
  }

  /** From the journal's state: skip optional tasks, block what cannot run, count unmet dependencies, fill the queue. */
  async recompute(): Promise<void> {
    const tasks = this._host.state.plan.tasks;
    for (const task of tasks) {
      if (task.optional && !this._host.includeOptional && !this._children.has(task.id) && WAITING.has(this.stateOf(task.id))) {
        await this._host.append({ type: 'task_skipped', taskId: task.id, reason: 'optional: run with optional tasks included to do it' });
      }
    }
    this._unmet = new Map();
    for (const task of tasks) {
      this._unmet.set(task.id, (this._deps.get(task.id) ?? []).filter((dep) => !this._satisfies(dep)).length);
    }
    const work: string[] = tasks.filter((t) => this._blocks(t.id)).map((t) => t.id);
    // Groups whose children are all finished (in reverse document order: inner groups first).
    for (const task of [...tasks].reverse()) {
      if (this._children.has(task.id)) {
        await this._settleGroup(task.id, work);
      }
    }
    await this.propagate(work);
    this._queue.clear();
    for (const task of tasks) {
      this.enqueueIfReady(task.id);
    }
  }

  enqueueIfReady(id: string): void {
    const run = this._host.state.tasks[id];
    const task = this._byId.get(id);
    if (!run || !task || !WAITING.has(run.state) || this._unmet.get(id) !== 0 || this._children.has(id) || this._host.isRunning(id)) {
      return;
    }
    // An interrupted attempt is not a failure: it does not count against the task's rank.
    this._queue.push({ task, attempts: run.state === 'interrupted' ? Math.max(0, run.attempts - 1) : run.attempts, readySince: this._host.now() });
  }

  /** After `id` ended (and left the running set): its dependents and its group learn of it. */
  async finished(id: string): Promise<void> {
    this.unpropagated.delete(id);
    if (FINISHED.has(this.stateOf(id))) {
      await this.propagate([id]);
    } else {
      this.enqueueIfReady(id); // back to waiting (a reset after a pause): it may run again on resume
    }
  }

  /** Tells the dependents and groups of the finished tasks in `work`, and theirs in turn. */
  async propagate(work: string[]): Promise<void> {
    for (let id = work.pop(); id !== undefined; id = work.pop()) {
      const satisfied = this._satisfies(id);
      for (const dependent of this._dependents.get(id) ?? []) {
        if (!WAITING.has(this.stateOf(dependent)) || this._host.isRunning(dependent)) {
          continue;
        }
        if (satisfied) {
          const left = (this._unmet.get(dependent) ?? 1) - 1;
          this._unmet.set(dependent, left);
          this.enqueueIfReady(dependent);
        } else if (this._host.failurePolicy !== 'continue') {
          const state = this.stateOf(id);
          await this._host.append({
            type: 'task_blocked',
            taskId: dependent,
            reason: `depends on ${id}, which ${state === 'skipped' ? 'was skipped' : `is ${state}`}`,
          });
          work.push(dependent);
        }
      }
      const parent = this._byId.get(id)?.parent;
      if (parent) {
        await this._settleGroup(parent, work);
      }
    }
  }

  /** A group is done when all its subtasks are done or skipped, blocked when all ended and one is not. */
  private async _settleGroup(id: string, work: string[]): Promise<void> {
    if (FINISHED.has(this.stateOf(id))) {
      return;
    }
    const children = this._children.get(id) ?? [];
    const bad = children.find((c) => {
      const state = this.stateOf(c);
      return state !== 'done' && state !== 'skipped';
    });
    if (bad === undefined) {
      await this._host.append({ type: 'task_done', taskId: id });
      const group = this._byId.get(id);
      if (group) {
        await this._host.writeBack(group, 'x');
      }
      work.push(id);
    } else if (children.every((c) => FINISHED.has(this.stateOf(c)))) {
      await this._host.append({ type: 'task_blocked', taskId: id, reason: `its subtask ${bad} is ${this.stateOf(bad)}` });
      work.push(id);
    }
  }
}
