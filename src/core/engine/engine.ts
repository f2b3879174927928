/**
 * The engine: runs a session's plan to the end. Every change of a task's state is journaled before anyone
 * is told (listeners hear it after `append` returns). The provider side — retries of provider faults,
 * usage-limit parking, fallback — is the dispatcher's; the engine owns the task's life: which task runs
 * next, how many at once, verification and its retries, failure policies, budgets, pause, stop, cancel,
 * skip and retry, subtasks added while running, and the checkbox write-back.
 *
 * Task states: pending → running → verifying → done, plus failed, blocked (a dependency failed or was
 * skipped), skipped (an optional task not asked for, or the user's choice), cancelled, and interrupted
 * (running when the process died or the run was stopped; it continues its provider conversation).
 *
 * This file is the run loop and the controls; the parts, each one concern:
 * - readiness.ts: which tasks are ready (unmet dependencies, the ready heap, blocking, groups);
 * - admission.ts: which ready tasks may start now (concurrency, machine resources, file sets, parking);
 * - attempt.ts: one task's attempts (prompt, dispatch, verify, retry, and how a stopped attempt ends);
 * - budgets.ts: when the run or a task has used its budget;
 * - runRecorder.ts: the journal, transcripts, file snapshots and checkbox write-back.
 */
import { Emitter } from '../common/lifecycle';
import { rescanEnvironment } from '../common/redact';
import type { Task } from '../model/plan';
import { systemClock, type Clock } from '../providers/limits';
import { TASK_RUN_STATES, type SessionState, type TaskRunState } from '../session/events';
import { checkTaskGraph } from '../tasks/graph';
import { Admission, type RunningTask } from './admission';
import { TaskAttempts, type RunControl } from './attempt';
import { runBudgetExceeded, wallTimeLeft } from './budgets';
import type { EngineEvent, EngineOptions, RunSummary } from './engineTypes';
import { Readiness, WAITING } from './readiness';
import { RunRecorder } from './runRecorder';
import { SpecContextCache } from './specContext';

export type { Budgets, EngineEvent, EngineOptions, FailurePolicy, ResourceLimits, RunSummary, TaskAgent } from './engineTypes';
export { predictedFiles } from './admission';

export class Engine {
  private readonly _onEvent = new Emitter<EngineEvent>();
  readonly onEvent = this._onEvent.event;
  private readonly _clock: Clock;
  private readonly _recorder: RunRecorder;
  private readonly _readiness: Readiness;
  private readonly _admission: Admission;
  private readonly _attempts: TaskAttempts;
  private readonly _running = new Map<string, RunningTask>();
  private readonly _cancel = new AbortController();
  private readonly _control: RunControl = { stopStarting: false, interrupting: false, pauseReason: undefined, skipping: new Set() };
  private _started = 0;
  private _wake: (() => void) | undefined;
  /** Bookkeeping (recompute, propagation, skip, retry, add) runs one step at a time, in order. */
  private _chain: Promise<unknown> = Promise.resolve();
  /** Operations in flight that may make tasks ready: the run does not end while there are any. */
  private _ops = 0;

  constructor(private readonly _options: EngineOptions) {
    const clock = (this._clock = _options.clock ?? systemClock);
    rescanEnvironment(); // secrets in the environment this run starts with are redacted from all it writes
    const recorder = (this._recorder = new RunRecorder(_options, clock, this._onEvent));
    const running = this._running;
    const readiness = (this._readiness = new Readiness({
      get state() {
        return recorder.state;
      },
      failurePolicy: _options.failurePolicy,
      includeOptional: _options.includeOptional,
      now: () => clock.now(),
      isRunning: (id) => running.has(id),
      append: (event) => recorder.append(event),
      writeBack: (task, mark) => recorder.writeBack(task, mark),
    }));
    this._admission = new Admission({
      options: _options,
      get state() {
        return recorder.state;
      },
      readiness,
      running,
      skipping: this._control.skipping,
      now: () => clock.now(),
      warn: (message) => recorder.warn(message),
    });
    this._attempts = new TaskAttempts({
      options: _options,
      clock,
      recorder,
      control: this._control,
      /** The spec files of the plan (requirements.md, design.md…), parsed once for all the prompts of the run. */
      specCache: new SpecContextCache(),
      get tasksById() {
        return readiness.tasksById;
      },
      pause: (reason) => this.pause(reason),
    });
  }

  get state(): SessionState {
    return this._recorder.state;
  }

  get running(): readonly string[] {
    return [...this._running.keys()];
  }

  /** Start no new tasks; running ones finish. The run ends `paused`. */
  pause(reason = 'paused by the user'): void {
    this._control.pauseReason ??= reason;
    this._control.stopStarting = true;
    this._wake?.();
  }

  /**
   * Pause now (Ctrl-C, a budget): the agents are stopped and their tasks marked interrupted, so resume
   * continues their conversations. The run ends `paused`.
   */
  stop(reason: string): void {
    this._control.interrupting = true;
    this.pause(reason);
    this._cancel.abort();
  }

  /** Stop the agents now (their process trees are killed); their tasks end `cancelled`. */
  cancel(): void {
    this._control.stopStarting = true;
    this._cancel.abort();
    this._wake?.();
  }

  /** Skip a waiting or running task; its dependents are blocked (unless the policy is "continue"). */
  async skipTask(id: string, reason = 'skipped by the user'): Promise<void> {
    // Marked at once, so that the task cannot start while the skip is being journaled.
    this._control.skipping.add(id);
    const running = this._running.get(id);
    if (running) {
      running.abort.abort();
      return;
    }
    await this._serial(async () => {
      if (WAITING.has(this._readiness.stateOf(id))) {
        await this._recorder.append({ type: 'task_skipped', taskId: id, reason });
        await this._readiness.propagate([id]);
      }
      this._control.skipping.delete(id);
    });
  }

  /** Failed, blocked and cancelled tasks (all, or these) run again, with their dependents. */
  async retryTasks(ids?: readonly string[]): Promise<string[]> {
    return this._serial(async () => {
      const again = Object.keys(this.state.tasks).filter((id) => {
        const state = this._readiness.stateOf(id);
        return (ids ? ids.includes(id) || state === 'blocked' : true) && ['failed', 'blocked', 'cancelled'].includes(state);
      });
      for (const id of again) {
        await this._recorder.append({ type: 'task_reset', taskId: id });
      }
      await this._readiness.recompute();
      return again;
    });
  }

  /** Subtasks (or any tasks) added to the plan while it runs: checked like a plan file, then scheduled. */
  async addTasks(tasks: readonly Task[]): Promise<void> {
    await this._serial(async () => {
      const plan = { ...this.state.plan, tasks: [...this.state.plan.tasks, ...tasks] };
      const errors = checkTaskGraph(plan.tasks, plan.source?.path ?? plan.name).filter((p) => p.severity === 'error');
      if (errors.length > 0) {
        throw new Error(`the new tasks do not fit the plan: ${errors.map((e) => e.message).join('; ')}`);
      }
      await this._recorder.append({ type: 'plan_edited', plan });
      this._readiness.reindex();
      await this._readiness.recompute();
    });
  }

  async run(): Promise<RunSummary> {
    this._started = this._clock.now();
    await this._serial(() => this._readiness.recompute());
    for (;;) {
      const budget = runBudgetExceeded(this._options.budgets, () => Object.values(this.state.tasks), this._clock.now() - this._started);
      if (budget && !this._control.stopStarting) {
        this.stop(budget);
      }
      if (!this._control.stopStarting) {
        this._admission.startReady((task, files) => this._start(task, files));
      }
      if (this._idle()) {
        break;
      }
      await this._waitForChange();
    }
    await this._recorder.close();
    return this._summary();
  }

  private _idle(): boolean {
    return this._running.size === 0 && this._ops === 0;
  }

  /** Until a task ends, a bookkeeping step is done, a control is used, or the run's time budget runs out. */
  private async _waitForChange(): Promise<void> {
    const timer = new AbortController();
    await new Promise<void>((resolve) => {
      this._wake = resolve;
      if (this._idle()) {
        resolve();
      }
      for (const running of this._running.values()) {
        void running.promise.then(resolve, resolve);
      }
      // The time budget ends running agents too, not only between tasks.
      const left = wallTimeLeft(this._options.budgets, this._started, this._clock.now());
      if (left !== undefined && !this._control.stopStarting) {
        // The sleep rejects only when `timer` aborts it, once this wait is over: nothing is lost.
        this._clock.sleep(left, timer.signal).then(resolve, () => undefined);
      }
    });
    timer.abort();
    this._wake = undefined;
  }

  private _serial<T>(step: () => Promise<T>): Promise<T> {
    this._ops++;
    const next = this._chain.then(step);
    // The chain only keeps the order: a step's error reaches its caller through `next`, not the next step.
    this._chain = next.catch(() => undefined);
    return next.finally(() => {
      this._ops--;
      this._wake?.();
    });
  }

  private _start(task: Task, files: ReadonlySet<string> | undefined): void {
    const abort = new AbortController();
    const onCancel = (): void => abort.abort();
    this._cancel.signal.addEventListener('abort', onCancel, { once: true });
    const promise = this._attempts
      .run(task, abort.signal)
      .catch(async (error: unknown) => {
        // A bug or an I/O failure must not lose the task: it is recorded as failed with the reason.
        const reason = `internal error: ${error instanceof Error ? error.message : String(error)}`;
        await this._recorder
          .append({ type: 'task_failed', taskId: task.id, error: reason, retryable: true })
          .catch((journalError: unknown) =>
            this._recorder.warn(`task ${task.id} failed (${reason}) and the failure could not be journaled: ${String(journalError)}`),
          );
      })
      .finally(async () => {
        this._cancel.signal.removeEventListener('abort', onCancel);
        abort.abort(); // whatever happened, its agent does not go on alone
        this._readiness.unpropagated.add(task.id);
        this._running.delete(task.id);
        this._control.skipping.delete(task.id);
        // After `id` ended: its dependents and its group learn of it (in turn with the other bookkeeping).
        await this._serial(() => this._readiness.finished(task.id)).catch((error: unknown) => this._recorder.warn(`after task ${task.id}: ${String(error)}`));
      });
    this._running.set(task.id, { promise, abort, files, parallel: task.parallel });
  }

  private async _summary(): Promise<RunSummary> {
    const counts = Object.fromEntries(TASK_RUN_STATES.map((s) => [s, 0])) as Record<TaskRunState, number>;
    for (const run of Object.values(this.state.tasks)) {
      counts[run.state]++;
    }
    const reason = this._control.pauseReason;
    if (reason && counts.pending + counts.interrupted > 0) {
      await this._recorder.append({ type: 'run_paused', reason });
      return { outcome: 'paused', counts, reason };
    }
    if (this._cancel.signal.aborted && !this._control.interrupting) {
      return { outcome: 'cancelled', counts };
    }
    const unfinished = counts.failed + counts.blocked + counts.cancelled + counts.pending + counts.interrupted;
    return { outcome: unfinished > 0 ? 'failed' : 'done', counts };
  }
}
