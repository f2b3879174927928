/**
 * The engine: runs a session's plan to the end. Every change of a task's state is journaled before anyone
 * is told (listeners hear it after `append` returns). The provider side — retries of provider faults,
 * usage-limit parking, fallback — is the dispatcher's; the engine owns the task's life: which task runs
 * next, how many at once, verification and its retries, failure policies, budgets, pause and cancel, and
 * the checkbox write-back.
 *
 * Task states: pending → running → verifying → done, plus failed, blocked (a dependency failed or was
 * skipped), skipped (an optional task not asked for), cancelled, and interrupted (running when the process
 * died; it runs again, continuing its provider conversation).
 */
import path from 'node:path';
import { Emitter } from '../common/lifecycle';
import type { Task } from '../model/plan';
import type { DispatchEvent, DispatchResult, DispatchTask } from '../providers/dispatcher';
import { backoffDelay, systemClock, type Clock } from '../providers/limits';
import { rankReady, schedulingGraph, workOf, type SchedulingGraph } from '../schedule/scheduler';
import type { SessionEvent, SessionState, TaskRunState } from '../session/events';
import type { SessionWriter } from '../session/sessionStore';
import { buildTaskPrompt } from './prompt';
import { runVerify, type VerifyResult } from './verify';
import { writeBackCheckbox, type CheckboxMark } from './writeBack';

/** What the engine needs from the provider side: the dispatcher, or an in-process provider in tests. */
export interface TaskAgent {
  run(task: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult>;
}

export type FailurePolicy = 'stop' | 'skip-dependents' | 'continue';

export interface Budgets {
  readonly tokens?: number;
  readonly costUsd?: number;
  readonly wallMs?: number;
}

export interface EngineOptions {
  readonly writer: SessionWriter;
  readonly agent: TaskAgent;
  readonly workspace: string;
  /** Tasks at once; default: the plan's strategy (1 when sequential). */
  readonly concurrency?: number;
  /** Attempts per task, counting verification failures and the agent's own failures (default 3). */
  readonly maxAttempts?: number;
  readonly failurePolicy?: FailurePolicy;
  /** Run when a task has no verify commands of its own. */
  readonly defaultVerify?: readonly string[];
  readonly verifyTimeoutMs?: number;
  readonly includeOptional?: boolean;
  /** Update the checkboxes of the tasks file as tasks run and finish. */
  readonly writeBack?: boolean;
  readonly budgets?: Budgets;
  /** Backoff between a task's attempts (default 1 s doubling to 30 s, jittered). */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly clock?: Clock;
}

export type EngineEvent =
  | { readonly type: 'journal'; readonly event: SessionEvent; readonly state: SessionState }
  | { readonly type: 'agent'; readonly taskId: string; readonly event: DispatchEvent }
  | { readonly type: 'warning'; readonly message: string };

export interface RunSummary {
  /** `paused` when stopped by pause(), a budget or Ctrl-C; resume continues. */
  readonly outcome: 'done' | 'failed' | 'paused' | 'cancelled';
  readonly counts: Readonly<Record<TaskRunState, number>>;
  readonly reason?: string;
}

const FINISHED: ReadonlySet<TaskRunState> = new Set(['done', 'failed', 'blocked', 'skipped', 'cancelled']);

export class Engine {
  private readonly _onEvent = new Emitter<EngineEvent>();
  readonly onEvent = this._onEvent.event;
  private readonly _clock: Clock;
  private readonly _graph: SchedulingGraph;
  private readonly _children = new Map<string, string[]>();
  private readonly _readySince = new Map<string, number>();
  private readonly _running = new Map<string, Promise<void>>();
  private readonly _cancel = new AbortController();
  private _pauseReason: string | undefined;
  private _stopStarting = false;
  /** Set by stop(): running agents are ended and their tasks left to continue on resume. */
  private _interrupting = false;
  private _started = 0;
  private _wake: (() => void) | undefined;

  constructor(private readonly _options: EngineOptions) {
    this._clock = _options.clock ?? systemClock;
    const plan = _options.writer.state.plan;
    this._graph = schedulingGraph(plan.tasks);
    for (const task of plan.tasks) {
      if (task.parent) {
        this._children.set(task.parent, [...(this._children.get(task.parent) ?? []), task.id]);
      }
    }
  }

  get state(): SessionState {
    return this._options.writer.state;
  }

  /** Start no new tasks; running ones finish. The run ends `paused`. */
  pause(reason = 'paused by the user'): void {
    this._pauseReason ??= reason;
    this._stopStarting = true;
    this._wake?.();
  }

  /**
   * Pause now (Ctrl-C, a budget): the agents are stopped and their tasks marked interrupted, so resume
   * continues their conversations. The run ends `paused`.
   */
  stop(reason: string): void {
    this._interrupting = true;
    this.pause(reason);
    this._cancel.abort();
  }

  /** Stop the agents now (their process trees are killed); their tasks end `cancelled`. */
  cancel(): void {
    this._stopStarting = true;
    this._cancel.abort();
    this._wake?.();
  }

  async run(): Promise<RunSummary> {
    this._started = this._clock.now();
    const limit = Math.max(1, this._options.concurrency ?? (this.state.plan.strategy.mode === 'sequential' ? 1 : this.state.plan.strategy.maxConcurrent));
    for (;;) {
      await this._settleGroupsAndBlocked();
      const budget = this._budgetExceeded();
      if (budget && !this._stopStarting) {
        this.stop(budget);
      }
      if (!this._stopStarting) {
        const ready = this._readyTasks();
        for (const task of rankReady(ready, this._graph, this._clock.now()).slice(0, limit - this._running.size)) {
          this._start(task.task as Task);
        }
      }
      if (this._running.size === 0) {
        break;
      }
      const timer = new AbortController();
      await new Promise<void>((resolve) => {
        this._wake = resolve;
        for (const running of this._running.values()) {
          void running.then(resolve, resolve);
        }
        // The time budget ends running agents too, not only between tasks.
        const wallMs = this._options.budgets?.wallMs;
        if (wallMs !== undefined && !this._stopStarting) {
          this._clock.sleep(Math.max(0, this._started + wallMs - this._clock.now()), timer.signal).then(resolve, () => undefined);
        }
      });
      timer.abort();
      this._wake = undefined;
    }
    await this._settleGroupsAndBlocked();
    return this._summary();
  }

  // --- which tasks ---------------------------------------------------------------------------------

  private _isGroup(id: string): boolean {
    return this._children.has(id);
  }

  private _readyTasks(): Array<{ task: Task; attempts: number; readySince: number }> {
    const ready: Array<{ task: Task; attempts: number; readySince: number }> = [];
    for (const task of this.state.plan.tasks) {
      const run = this.state.tasks[task.id];
      if (!run || (run.state !== 'pending' && run.state !== 'interrupted') || this._running.has(task.id) || this._isGroup(task.id)) {
        continue;
      }
      if (run.parkedUntil && run.parkedUntil > this._clock.now() && run.state === 'pending') {
        continue;
      }
      if (task.optional && !this._options.includeOptional) {
        continue; // settled as skipped
      }
      if (task.dependsOn.every((dep) => this._dependencySatisfied(dep))) {
        const since = this._readySince.get(task.id) ?? this._clock.now();
        this._readySince.set(task.id, since);
        // An interrupted attempt is not a failure: it does not count against the task's rank.
        ready.push({ task, attempts: run.state === 'interrupted' ? Math.max(0, run.attempts - 1) : run.attempts, readySince: since });
      }
    }
    return ready;
  }

  private _dependencySatisfied(id: string): boolean {
    const state = this.state.tasks[id]?.state;
    if (state === 'done') {
      return true;
    }
    const task = this.state.plan.tasks.find((t) => t.id === id);
    if (state === 'skipped' && task?.optional) {
      return true; // an optional task left out does not hold anything up
    }
    return this._options.failurePolicy === 'continue' && (state === 'failed' || state === 'blocked');
  }

  /** Groups follow their children; optional tasks not asked for are skipped; dependents of failures are blocked. */
  private async _settleGroupsAndBlocked(): Promise<void> {
    for (let changed = true; changed; ) {
      changed = false;
      for (const task of this.state.plan.tasks) {
        const run = this.state.tasks[task.id];
        if (!run || FINISHED.has(run.state) || this._running.has(task.id)) {
          continue;
        }
        if (task.optional && !this._options.includeOptional && !this._isGroup(task.id)) {
          await this._append({ type: 'task_skipped', taskId: task.id, reason: 'optional: run with optional tasks included to do it' });
          changed = true;
          continue;
        }
        const blocker = this._options.failurePolicy === 'continue' ? undefined : task.dependsOn.find((dep) => ['failed', 'blocked', 'cancelled'].includes(this.state.tasks[dep]?.state ?? '') || (this.state.tasks[dep]?.state === 'skipped' && !this.state.plan.tasks.find((t) => t.id === dep)?.optional));
        if (blocker) {
          await this._append({ type: 'task_blocked', taskId: task.id, reason: `depends on ${blocker}, which ${this.state.tasks[blocker]!.state === 'skipped' ? 'was skipped' : `is ${this.state.tasks[blocker]!.state}`}` });
          changed = true;
          continue;
        }
        const children = this._children.get(task.id);
        if (children) {
          const states = children.map((c) => this.state.tasks[c]?.state);
          if (states.every((s) => s === 'done' || s === 'skipped')) {
            await this._append({ type: 'task_done', taskId: task.id });
            await this._writeBack(task, 'x');
            changed = true;
          } else if (states.every((s) => s !== undefined && FINISHED.has(s))) {
            const bad = children.find((c) => this.state.tasks[c]?.state !== 'done' && this.state.tasks[c]?.state !== 'skipped')!;
            await this._append({ type: 'task_blocked', taskId: task.id, reason: `its subtask ${bad} is ${this.state.tasks[bad]!.state}` });
            changed = true;
          }
        }
      }
    }
  }

  // --- one task ------------------------------------------------------------------------------------

  private _start(task: Task): void {
    const promise = this._runTask(task)
      .catch(async (error: unknown) => {
        // A bug or an I/O failure must not lose the task: it is recorded as failed with the reason.
        await this._append({ type: 'task_failed', taskId: task.id, error: `internal error: ${error instanceof Error ? error.message : String(error)}`, retryable: true }).catch(() => undefined);
      })
      .finally(() => {
        this._running.delete(task.id);
        this._readySince.delete(task.id);
      });
    this._running.set(task.id, promise);
  }

  private async _runTask(task: Task): Promise<void> {
    const maxAttempts = this._options.maxAttempts ?? 3;
    const run = this.state.tasks[task.id]!;
    let resume = run.state === 'interrupted' && run.provider && run.providerSessionId ? { provider: run.provider, sessionId: run.providerSessionId } : undefined;
    let previousFailure: string | undefined = run.state === 'interrupted' ? undefined : run.error;
    // An interrupted attempt goes on as the same attempt.
    for (let attempt = run.state === 'interrupted' ? Math.max(1, run.attempts) : run.attempts + 1; ; attempt++) {
      if (this._cancel.signal.aborted) {
        await this._endStopped(task);
        return;
      }
      await this._append({ type: 'task_started', taskId: task.id, attempt });
      await this._writeBack(task, '-');
      const prompt = resume
        ? 'ACA was interrupted while you worked on this task (the process stopped). Continue it from where you were and finish it.'
        : await buildTaskPrompt(task, {
            plan: this.state.plan,
            state: this.state,
            workspace: this._options.workspace,
            sourceDir: this._sourceDir(),
            ...(previousFailure ? { previousFailure } : {}),
          });
      const result = await this._dispatch(task, {
        prompt,
        cwd: this._options.workspace,
        signal: this._cancel.signal,
        estimatedTokens: Math.ceil(prompt.length / 4) + 1000 * workOf(task),
        ...(resume ? { resume: resume as DispatchTask['resume'] & object } : {}),
      });
      resume = undefined;
      if (result.outcome === 'cancelled') {
        await this._endStopped(task);
        return;
      }
      let failure: string | undefined;
      if (result.outcome === 'failed') {
        failure = result.message;
      } else {
        const commands = task.verify.length > 0 ? task.verify : (this._options.defaultVerify ?? []);
        if (commands.length > 0) {
          await this._append({ type: 'task_verifying', taskId: task.id });
          const verified: VerifyResult = await runVerify(commands, this._options.workspace, { signal: this._cancel.signal, ...(this._options.verifyTimeoutMs ? { timeoutMs: this._options.verifyTimeoutMs } : {}) });
          if (this._cancel.signal.aborted) {
            await this._endStopped(task);
            return;
          }
          failure = verified.ok ? undefined : `Verification failed: ${verified.report}`;
        }
      }
      if (!failure) {
        await this._append({ type: 'task_done', taskId: task.id, summary: result.message.slice(0, 2000) });
        await this._writeBack(task, 'x');
        return;
      }
      // A failure a retry cannot fix (permission, login) is final at once; the others get another attempt.
      const retryable = attempt < maxAttempts && result.failure?.kind !== 'permission' && result.failure?.kind !== 'auth' && result.failure?.kind !== 'not-installed';
      await this._append({ type: 'task_failed', taskId: task.id, error: failure, retryable });
      if (!retryable || this._stopStarting) {
        await this._writeBack(task, ' ');
        if (this._options.failurePolicy === 'stop') {
          this.pause(`task ${task.id} failed and the failure policy is "stop"`);
        }
        return;
      }
      previousFailure = failure;
      const backoff = this._options.retryBackoff ?? { baseMs: 1000, maxMs: 30_000 };
      await this._clock.sleep(backoffDelay(attempt, backoff), this._cancel.signal).catch(() => undefined);
    }
  }

  private async _endStopped(task: Task): Promise<void> {
    if (this._interrupting) {
      await this._append({ type: 'task_interrupted', taskId: task.id, reason: this._pauseReason ?? 'stopped' });
    } else {
      await this._append({ type: 'task_cancelled', taskId: task.id });
      await this._writeBack(task, ' ');
    }
  }

  private async _dispatch(task: Task, request: DispatchTask): Promise<DispatchResult> {
    const stream = this._options.agent.run(request);
    let knownSession: string | undefined;
    for (let next = await stream.next(); ; next = await stream.next()) {
      if (next.done) {
        const result = next.value;
        await this._append({ type: 'task_usage', taskId: task.id, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}) });
        return result;
      }
      const event = next.value;
      if (event.type === 'agent' && event.event.type === 'session' && event.event.sessionId !== knownSession) {
        knownSession = event.event.sessionId;
        await this._append({ type: 'task_provider_session', taskId: task.id, provider: event.provider, sessionId: knownSession });
      } else if (event.type === 'parked') {
        await this._append({ type: 'task_parked', taskId: task.id, until: event.until, reason: event.reason });
      }
      this._onEvent.fire({ type: 'agent', taskId: task.id, event });
    }
  }

  // --- budgets, journal, write-back -----------------------------------------------------------------

  private _budgetExceeded(): string | undefined {
    const budgets = this._options.budgets;
    if (!budgets) {
      return undefined;
    }
    let tokens = 0;
    let cost = 0;
    for (const run of Object.values(this.state.tasks)) {
      tokens += run.inputTokens + run.outputTokens;
      cost += run.costUsd;
    }
    if (budgets.tokens !== undefined && tokens >= budgets.tokens) {
      return `the token budget (${budgets.tokens}) is used up: ${tokens} tokens`;
    }
    if (budgets.costUsd !== undefined && cost >= budgets.costUsd) {
      return `the cost budget ($${budgets.costUsd.toFixed(2)}) is used up: $${cost.toFixed(2)}`;
    }
    if (budgets.wallMs !== undefined && this._clock.now() - this._started >= budgets.wallMs) {
      return `the time budget (${Math.round(budgets.wallMs / 1000)} s) is used up`;
    }
    return undefined;
  }

  private async _append(event: SessionEvent): Promise<void> {
    const state = await this._options.writer.append(event);
    this._onEvent.fire({ type: 'journal', event, state });
  }

  private _sourceDir(): string {
    const source = this.state.plan.source?.path;
    return source ? path.dirname(path.resolve(this._options.workspace, source)) : this._options.workspace;
  }

  private async _writeBack(task: Task, mark: CheckboxMark): Promise<void> {
    if (!this._options.writeBack || !task.source) {
      return;
    }
    const file = path.resolve(this._options.workspace, task.source.file); // relative to the workspace, as the plan's source
    const outcome = await writeBackCheckbox(file, task.source.line, task.title, mark).catch((error: Error) => `failed: ${error.message}`);
    if (outcome !== 'written' && outcome !== 'unchanged') {
      this._onEvent.fire({ type: 'warning', message: `${file}: the checkbox of task ${task.id} was not updated (${outcome === 'not-found' ? 'the task is no longer in the file' : outcome})` });
    }
  }

  private async _summary(): Promise<RunSummary> {
    const counts = Object.fromEntries(['pending', 'running', 'verifying', 'done', 'failed', 'blocked', 'skipped', 'cancelled', 'interrupted'].map((s) => [s, 0])) as Record<TaskRunState, number>;
    for (const run of Object.values(this.state.tasks)) {
      counts[run.state]++;
    }
    if (this._pauseReason && counts.pending + counts.interrupted > 0) {
      await this._append({ type: 'run_paused', reason: this._pauseReason });
      return { outcome: 'paused', counts, reason: this._pauseReason };
    }
    if (this._cancel.signal.aborted) {
      return { outcome: 'cancelled', counts };
    }
    const unfinished = counts.failed + counts.blocked + counts.cancelled + counts.pending + counts.interrupted;
    return { outcome: unfinished > 0 ? 'failed' : 'done', counts };
  }
}
