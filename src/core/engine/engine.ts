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
 * Bookkeeping is incremental — a count of unmet dependencies per task and a heap of ready tasks — so the
 * cost per task does not grow with the size of the plan.
 */
import os from 'node:os';
import path from 'node:path';
import { Emitter } from '../common/lifecycle';
import { redactSecrets, redactStrings, rescanEnvironment } from '../common/redact';
import type { Task } from '../model/plan';
import type { DispatchEvent, DispatchResult, DispatchTask } from '../providers/dispatcher';
import { backoffDelay, systemClock, type Clock } from '../providers/limits';
import { ReadyQueue, schedulingGraph, workOf, type SchedulingGraph } from '../schedule/scheduler';
import { redactEvent, type SessionEvent, type SessionState, type TaskRunState } from '../session/events';
import type { SessionWriter } from '../session/sessionStore';
import { TRANSCRIPT_FILE, TranscriptWriter, type TranscriptEntry } from '../session/transcripts';
import { checkTaskGraph } from '../tasks/graph';
import { formatDuration } from '../session/progress';
import { buildTaskPrompt } from './prompt';
import { SpecContextCache } from './specContext';
import { runVerify } from './verify';
import { taskMasterStatusFor, writeBackCheckbox, writeBackTaskMaster, type CheckboxMark } from './writeBack';

/** What the engine needs from the provider side: the dispatcher, or an in-process provider in tests. */
export interface TaskAgent {
  run(task: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult>;
  /** How many more runs the provider side takes now (the intelligent strategy asks). */
  headroom?(): number;
}

export type FailurePolicy = 'stop' | 'skip-dependents' | 'continue';

export interface Budgets {
  readonly tokens?: number;
  readonly costUsd?: number;
  readonly wallMs?: number;
  /** Per task: an attempt that goes over is stopped and the task fails. */
  readonly taskCostUsd?: number;
  readonly taskTokens?: number;
  readonly taskWallMs?: number;
}

/** Agents take hundreds of MB each: how many may run at once on this machine now. */
export interface ResourceLimits {
  /** Memory one agent is assumed to take (default 500 MB). */
  readonly memoryPerAgentMb?: number;
  /** Start no new agent while the 1-minute load per core is above this (default 1.5). */
  readonly maxLoadPerCore?: number;
  /** For tests: the machine's numbers. */
  readonly probe?: () => { freeMemMb: number; load1: number; cores: number };
}

export interface EngineOptions {
  readonly writer: SessionWriter;
  readonly agent: TaskAgent;
  readonly workspace: string;
  /** Tasks at once; default: the plan's strategy (1 when sequential, up to 4 when intelligent). */
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
  readonly resources?: ResourceLimits | false;
  /** Backoff between a task's attempts (default 1 s doubling to 30 s, jittered). */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly clock?: Clock;
  /**
   * Snapshots the workspace's files (a file checkpoint) and returns its commit: taken before a task's first
   * attempt and after it ends, so that its changes can be shown and undone. With tasks running at once, a
   * task's snapshots also hold what the others changed meanwhile.
   */
  readonly fileSnapshots?: { take(label: string): Promise<string> };
  /** Write per-task transcripts into the session folder (default true). */
  readonly transcripts?: boolean;
}

export type EngineEvent =
  | { readonly type: 'journal'; readonly event: SessionEvent; readonly state: SessionState }
  | { readonly type: 'agent'; readonly taskId: string; readonly event: DispatchEvent }
  /** A line was added to a task's transcript (already redacted). */
  | { readonly type: 'transcript'; readonly taskId: string; readonly entry: TranscriptEntry }
  | { readonly type: 'warning'; readonly message: string };

export interface RunSummary {
  /** `paused` when stopped by pause(), stop(), a budget or a "stop" failure policy; resume continues. */
  readonly outcome: 'done' | 'failed' | 'paused' | 'cancelled';
  readonly counts: Readonly<Record<TaskRunState, number>>;
  readonly reason?: string;
}

/** Identifiers in a dispatcher event, kept as they are when it is redacted for listeners. */
const UNREDACTED_AGENT_FIELDS: ReadonlySet<string> = new Set(['type', 'provider', 'sessionId', 'from', 'to']);

const FINISHED: ReadonlySet<TaskRunState> = new Set(['done', 'failed', 'blocked', 'skipped', 'cancelled']);
const WAITING: ReadonlySet<TaskRunState> = new Set(['pending', 'interrupted']);
const DEFAULT_INTELLIGENT_MAX = 4;

export class Engine {
  private readonly _onEvent = new Emitter<EngineEvent>();
  readonly onEvent = this._onEvent.event;
  private readonly _clock: Clock;
  private _graph!: SchedulingGraph;
  private _byId = new Map<string, Task>();
  /** The spec files of the plan (requirements.md, design.md…), parsed once for all the prompts of the run. */
  private readonly _specCache = new SpecContextCache();
  private _children = new Map<string, string[]>();
  /** Dependencies with the parents' dependencies folded in: a subtask waits for what its group waits for. */
  private _deps = new Map<string, string[]>();
  private _dependents = new Map<string, string[]>();
  private _unmet = new Map<string, number>();
  private _queue!: ReadyQueue<{ task: Task; attempts: number; readySince: number }>;
  private readonly _running = new Map<string, { promise: Promise<void>; abort: AbortController; files: ReadonlySet<string> | undefined; parallel: boolean }>();
  private readonly _cancel = new AbortController();
  private _pauseReason: string | undefined;
  private _stopStarting = false;
  /** Set by stop(): running agents are ended and their tasks left to continue on resume. */
  private _interrupting = false;
  private _started = 0;
  private _wake: (() => void) | undefined;
  private _toldSerialized = false;

  private readonly _transcripts: TranscriptWriter | undefined;

  constructor(private readonly _options: EngineOptions) {
    this._clock = _options.clock ?? systemClock;
    rescanEnvironment(); // secrets in the environment this run starts with are redacted from all it writes
    this._transcripts = _options.transcripts === false ? undefined : new TranscriptWriter(_options.writer.dir);
    this._index();
  }

  get state(): SessionState {
    return this._options.writer.state;
  }

  get running(): readonly string[] {
    return [...this._running.keys()];
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

  /** Skip a waiting or running task; its dependents are blocked (unless the policy is "continue"). */
  async skipTask(id: string, reason = 'skipped by the user'): Promise<void> {
    // Marked at once, so that the task cannot start while the skip is being journaled.
    this._skipping.add(id);
    const running = this._running.get(id);
    if (running) {
      running.abort.abort();
      return;
    }
    await this._serial(async () => {
      if (WAITING.has(this._stateOf(id))) {
        await this._append({ type: 'task_skipped', taskId: id, reason });
        await this._propagate([id]);
      }
      this._skipping.delete(id);
    });
  }
  private readonly _skipping = new Set<string>();

  /** Failed, blocked and cancelled tasks (all, or these) run again, with their dependents. */
  async retryTasks(ids?: readonly string[]): Promise<string[]> {
    return this._serial(async () => {
      const again = Object.keys(this.state.tasks).filter((id) => {
        const state = this._stateOf(id);
        return (ids ? ids.includes(id) || state === 'blocked' : true) && ['failed', 'blocked', 'cancelled'].includes(state);
      });
      for (const id of again) {
        await this._append({ type: 'task_reset', taskId: id });
      }
      await this._recomputeNow();
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
      await this._append({ type: 'plan_edited', plan });
      this._index();
      await this._recomputeNow();
    });
  }

  async run(): Promise<RunSummary> {
    this._started = this._clock.now();
    await this._serial(() => this._recomputeNow());
    for (;;) {
      const budget = this._budgetExceeded();
      if (budget && !this._stopStarting) {
        this.stop(budget);
      }
      if (!this._stopStarting) {
        this._startReady();
      }
      if (this._running.size === 0 && this._ops === 0) {
        break;
      }
      const timer = new AbortController();
      await new Promise<void>((resolve) => {
        this._wake = resolve;
        if (this._running.size === 0 && this._ops === 0) {
          resolve();
        }
        for (const running of this._running.values()) {
          void running.promise.then(resolve, resolve);
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
    await this._transcripts?.close();
    return this._summary();
  }

  // --- the graph and what is ready -----------------------------------------------------------------

  private _index(): void {
    const tasks = this.state.plan.tasks;
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
    this._graph = schedulingGraph(tasks.map((t) => ({ ...t, dependsOn: this._deps.get(t.id)! })), (t) => (this._children.has(t.id) ? 0 : workOf(t)));
    this._queue = new ReadyQueue(this._graph);
  }

  /**
   * A task this engine is still working on counts as running whatever the journal says: between two
   * attempts it is `failed` there, and after it ends its dependents and group have not heard of it yet.
   */
  private _stateOf(id: string): TaskRunState {
    if (this._running.has(id) || this._unpropagated.has(id)) {
      return 'running';
    }
    return this.state.tasks[id]?.state ?? 'pending';
  }

  /** Ended, but its dependents and group have not been told yet. */
  private readonly _unpropagated = new Set<string>();
  /** Bookkeeping (recompute, propagation, skip, retry, add) runs one step at a time, in order. */
  private _chain: Promise<unknown> = Promise.resolve();
  /** Operations in flight that may make tasks ready: the run does not end while there are any. */
  private _ops = 0;

  private _serial<T>(step: () => Promise<T>): Promise<T> {
    this._ops++;
    const next = this._chain.then(step);
    this._chain = next.catch(() => undefined);
    return next.finally(() => {
      this._ops--;
      this._wake?.();
    });
  }

  private _satisfies(id: string): boolean {
    const state = this._stateOf(id);
    if (state === 'done') {
      return true;
    }
    if (state === 'skipped' && this._byId.get(id)?.optional) {
      return true; // an optional task left out holds nothing up
    }
    return this._options.failurePolicy === 'continue' && (state === 'failed' || state === 'blocked');
  }

  private _blocks(id: string): boolean {
    const state = this._stateOf(id);
    return !this._satisfies(id) && (state === 'failed' || state === 'blocked' || state === 'cancelled' || state === 'skipped');
  }

  /** From the journal's state: skip optional tasks, block what cannot run, count unmet dependencies, fill the queue. */
  private async _recomputeNow(): Promise<void> {
    for (const task of this.state.plan.tasks) {
      if (task.optional && !this._options.includeOptional && !this._children.has(task.id) && WAITING.has(this._stateOf(task.id))) {
        await this._append({ type: 'task_skipped', taskId: task.id, reason: 'optional: run with optional tasks included to do it' });
      }
    }
    this._unmet = new Map();
    for (const task of this.state.plan.tasks) {
      this._unmet.set(task.id, this._deps.get(task.id)!.filter((dep) => !this._satisfies(dep)).length);
    }
    const work: string[] = this.state.plan.tasks.filter((t) => this._blocks(t.id)).map((t) => t.id);
    // Groups whose children are all finished (in reverse document order: inner groups first).
    for (const task of [...this.state.plan.tasks].reverse()) {
      if (this._children.has(task.id)) {
        await this._settleGroup(task.id, work);
      }
    }
    await this._propagate(work);
    this._queue.clear();
    for (const task of this.state.plan.tasks) {
      this._enqueueIfReady(task.id);
    }
  }

  private _enqueueIfReady(id: string): void {
    const run = this.state.tasks[id];
    if (!run || !WAITING.has(run.state) || this._unmet.get(id) !== 0 || this._children.has(id) || this._running.has(id)) {
      return;
    }
    // An interrupted attempt is not a failure: it does not count against the task's rank.
    this._queue.push({ task: this._byId.get(id)!, attempts: run.state === 'interrupted' ? Math.max(0, run.attempts - 1) : run.attempts, readySince: this._clock.now() });
  }

  /** After `id` ended: its dependents and its group learn of it (in turn with the other bookkeeping). */
  private _finished(id: string): Promise<void> {
    return this._serial(async () => {
      this._unpropagated.delete(id);
      if (FINISHED.has(this._stateOf(id))) {
        await this._propagate([id]);
      } else {
        this._enqueueIfReady(id); // back to waiting (a reset after a pause): it may run again on resume
      }
    });
  }

  private async _propagate(work: string[]): Promise<void> {
    while (work.length > 0) {
      const id = work.pop()!;
      const satisfied = this._satisfies(id);
      for (const dependent of this._dependents.get(id) ?? []) {
        if (!WAITING.has(this._stateOf(dependent)) || this._running.has(dependent)) {
          continue;
        }
        if (satisfied) {
          const left = (this._unmet.get(dependent) ?? 1) - 1;
          this._unmet.set(dependent, left);
          this._enqueueIfReady(dependent);
        } else if (this._options.failurePolicy !== 'continue') {
          const state = this._stateOf(id);
          await this._append({ type: 'task_blocked', taskId: dependent, reason: `depends on ${id}, which ${state === 'skipped' ? 'was skipped' : `is ${state}`}` });
          work.push(dependent);
        }
      }
      const parent = this._byId.get(id)?.parent;
      if (parent) {
        await this._settleGroup(parent, work);
      }
    }
  }

  private async _settleGroup(id: string, work: string[]): Promise<void> {
    if (FINISHED.has(this._stateOf(id))) {
      return;
    }
    const states = (this._children.get(id) ?? []).map((c) => this._stateOf(c));
    if (states.every((s) => s === 'done' || s === 'skipped')) {
      await this._append({ type: 'task_done', taskId: id });
      await this._writeBack(this._byId.get(id)!, 'x');
      work.push(id);
    } else if (states.every((s) => FINISHED.has(s))) {
      const bad = this._children.get(id)!.find((c) => this._stateOf(c) !== 'done' && this._stateOf(c) !== 'skipped')!;
      await this._append({ type: 'task_blocked', taskId: id, reason: `its subtask ${bad} is ${this._stateOf(bad)}` });
      work.push(id);
    }
  }

  // --- how many at once, and which -----------------------------------------------------------------

  private _limit(): number {
    const strategy = this.state.plan.strategy;
    let limit = this._options.concurrency ?? (strategy.mode === 'sequential' ? 1 : strategy.mode === 'intelligent' ? Math.max(strategy.maxConcurrent, DEFAULT_INTELLIGENT_MAX) : strategy.maxConcurrent);
    if (strategy.mode === 'intelligent' && this._options.agent.headroom) {
      limit = Math.min(limit, this._running.size + Math.max(0, this._options.agent.headroom()));
    }
    if (this._options.resources !== false && limit > 1) {
      limit = Math.min(limit, this._resourceLimit());
    }
    return Math.max(1, limit);
  }

  private _resourceLimit(): number {
    const resources = this._options.resources || {};
    const machine = resources.probe?.() ?? { freeMemMb: os.freemem() / 1_048_576, load1: os.loadavg()[0] ?? 0, cores: os.cpus().length || 1 };
    const byMemory = this._running.size + Math.floor(machine.freeMemMb / (resources.memoryPerAgentMb ?? 500));
    const overloaded = machine.load1 / machine.cores > (resources.maxLoadPerCore ?? 1.5);
    return overloaded ? Math.max(1, this._running.size) : Math.max(1, byMemory);
  }

  private _startReady(): void {
    const limit = this._limit();
    const deferred: Array<{ task: Task; attempts: number; readySince: number }> = [];
    while (this._running.size < limit && this._queue.size > 0) {
      const next = this._queue.pop()!;
      if (!WAITING.has(this._stateOf(next.task.id)) || this._running.has(next.task.id) || this._skipping.has(next.task.id) || this._unmet.get(next.task.id) !== 0) {
        continue; // stale entry, or a skip on its way to the journal
      }
      const run = this.state.tasks[next.task.id]!;
      if (run.parkedUntil && run.parkedUntil > this._clock.now() && run.state === 'pending') {
        deferred.push(next);
        continue;
      }
      const files = predictedFiles(next.task);
      const conflict = this._conflictWithRunning(files, next.task.parallel);
      if (conflict) {
        deferred.push(next);
        if (!this._toldSerialized && conflict === 'unknown') {
          this._toldSerialized = true;
          this._onEvent.fire({ type: 'warning', message: 'tasks whose files ACA cannot predict run one at a time, unless the tasks file marks them parallel-safe (each agent works in the same folder; worktree isolation is not there yet)' });
        }
        continue;
      }
      this._start(next.task, files, next.task.parallel);
    }
    for (const item of deferred) {
      this._queue.push(item);
    }
  }

  /**
   * Two tasks run together only when the files they name do not overlap, and either both name their files
   * or the tasks file marks both parallel-safe (spec-kit's `[P]`: "different files, no dependencies").
   */
  private _conflictWithRunning(files: ReadonlySet<string> | undefined, parallel: boolean): 'unknown' | 'overlap' | undefined {
    for (const running of this._running.values()) {
      if ((!files || !running.files) && !(parallel && running.parallel)) {
        return 'unknown';
      }
      for (const file of files ?? []) {
        if (running.files?.has(file)) {
          return 'overlap';
        }
      }
    }
    return undefined;
  }

  // --- one task ------------------------------------------------------------------------------------

  private _start(task: Task, files: ReadonlySet<string> | undefined, parallel: boolean): void {
    const abort = new AbortController();
    const onCancel = (): void => abort.abort();
    this._cancel.signal.addEventListener('abort', onCancel, { once: true });
    const promise = this._runTask(task, abort.signal)
      .catch(async (error: unknown) => {
        // A bug or an I/O failure must not lose the task: it is recorded as failed with the reason.
        await this._append({ type: 'task_failed', taskId: task.id, error: `internal error: ${error instanceof Error ? error.message : String(error)}`, retryable: true }).catch(() => undefined);
      })
      .finally(async () => {
        this._cancel.signal.removeEventListener('abort', onCancel);
        abort.abort(); // whatever happened, its agent does not go on alone
        this._unpropagated.add(task.id);
        this._running.delete(task.id);
        this._skipping.delete(task.id);
        await this._finished(task.id).catch((error: unknown) => this._onEvent.fire({ type: 'warning', message: `after task ${task.id}: ${String(error)}` }));
      });
    this._running.set(task.id, { promise, abort, files, parallel });
  }

  private async _runTask(task: Task, signal: AbortSignal): Promise<void> {
    const maxAttempts = this._options.maxAttempts ?? 3;
    const run = this.state.tasks[task.id]!;
    let resume = run.state === 'interrupted' && run.provider && run.providerSessionId ? { provider: run.provider, sessionId: run.providerSessionId } : undefined;
    let previousFailure: string | undefined = run.state === 'interrupted' ? undefined : run.error;
    if (run.filesBefore === undefined) {
      await this._snapshotFiles(task.id, 'before');
    }
    // An interrupted attempt goes on as the same attempt.
    for (let attempt = run.state === 'interrupted' ? Math.max(1, run.attempts) : run.attempts + 1; ; attempt++) {
      if (signal.aborted) {
        await this._endStopped(task);
        return;
      }
      const started = this._clock.now();
      await this._append({ type: 'task_started', taskId: task.id, attempt });
      await this._record(task.id, { kind: 'attempt', text: resume ? 'continues the interrupted conversation' : '', attempt });
      await this._writeBack(task, '-');
      const fullPrompt = await buildTaskPrompt(task, {
        plan: this.state.plan,
        state: this.state,
        tasksById: this._byId,
        specCache: this._specCache,
        workspace: this._options.workspace,
        sourceDir: this._sourceDir(),
        ...(previousFailure ? { previousFailure } : {}),
      });
      // Resuming sends a short "go on" into the saved conversation; the whole task is there in case the
      // provider lost it.
      const prompt = resume ? 'ACA was interrupted while you worked on this task (the process stopped). Continue it from where you were and finish it.' : fullPrompt;
      const result = await this._dispatch(task, {
        prompt,
        cwd: this._options.workspace,
        signal,
        estimatedTokens: Math.ceil(fullPrompt.length / 4) + 1000 * workOf(task),
        ...(resume ? { resume: resume as NonNullable<DispatchTask['resume']>, freshPrompt: fullPrompt } : {}),
      });
      resume = undefined;
      const overBudget = this._overTaskBudget(task.id);
      this._overTime.delete(task.id);
      if (result.outcome === 'cancelled' && !overBudget) {
        await this._endStopped(task);
        return;
      }
      let failure: string | undefined = overBudget;
      if (!failure && result.outcome === 'failed') {
        failure = result.message;
      }
      if (!failure) {
        const commands = task.verify.length > 0 ? task.verify : (this._options.defaultVerify ?? []);
        if (commands.length > 0) {
          await this._append({ type: 'task_verifying', taskId: task.id });
          const verified = await runVerify(commands, this._options.workspace, { signal, ...(this._options.verifyTimeoutMs ? { timeoutMs: this._options.verifyTimeoutMs } : {}) });
          if (signal.aborted) {
            await this._endStopped(task);
            return;
          }
          failure = verified.ok ? undefined : `Verification failed: ${verified.report}`;
          await this._record(task.id, { kind: 'verify', text: verified.ok ? commands.join(' ; ') : verified.report, ok: verified.ok, attempt });
        }
      }
      const durationMs = this._clock.now() - started;
      const totals = this.state.tasks[task.id]!;
      await this._record(task.id, { kind: 'result', text: failure ?? result.message, ok: !failure, attempt, provider: result.provider, tokens: totals.inputTokens + totals.outputTokens, costUsd: totals.costUsd });
      if (!failure) {
        await this._snapshotFiles(task.id, 'after');
        // Redacted before it is cut: a cut key would no longer be recognised by the journal's redaction.
        await this._append({ type: 'task_done', taskId: task.id, summary: redactSecrets(result.message).slice(0, 2000), durationMs });
        await this._writeBack(task, 'x');
        return;
      }
      // A failure a retry cannot fix (permission, login, budget) is final at once; the others get another attempt.
      const final = ['permission', 'auth', 'not-installed'].includes(result.failure?.kind ?? '') || failure.startsWith('over the task budget');
      const retryable = attempt < maxAttempts && !final;
      if (!retryable) {
        await this._snapshotFiles(task.id, 'after');
      }
      await this._append({ type: 'task_failed', taskId: task.id, error: failure, retryable, durationMs });
      if (!retryable) {
        await this._writeBack(task, ' ');
        if (this._options.failurePolicy === 'stop') {
          this.pause(`task ${task.id} failed and the failure policy is "stop"`);
        }
        return;
      }
      if (this._stopStarting) {
        // Paused with attempts left: the task waits for the resume, which retries it with this failure.
        await this._append({ type: 'task_reset', taskId: task.id });
        return;
      }
      previousFailure = failure;
      const backoff = this._options.retryBackoff ?? { baseMs: 1000, maxMs: 30_000 };
      await this._clock.sleep(backoffDelay(attempt, backoff), signal).catch(() => undefined);
      if (signal.aborted && !this._skipping.has(task.id)) {
        if (this._interrupting) {
          await this._append({ type: 'task_reset', taskId: task.id }); // keeps the failure for the resumed attempt
        } else {
          await this._endStopped(task);
        }
        return;
      }
    }
  }

  private async _endStopped(task: Task): Promise<void> {
    if (!this._interrupting || this._skipping.has(task.id)) {
      await this._snapshotFiles(task.id, 'after'); // an interrupted task goes on later; the others end here
    }
    if (this._skipping.has(task.id)) {
      await this._append({ type: 'task_skipped', taskId: task.id, reason: 'skipped by the user' });
      await this._writeBack(task, ' ');
    } else if (this._interrupting) {
      await this._append({ type: 'task_interrupted', taskId: task.id, reason: this._pauseReason ?? 'stopped' });
    } else {
      await this._append({ type: 'task_cancelled', taskId: task.id });
      await this._writeBack(task, ' ');
    }
  }

  private async _dispatch(task: Task, request: DispatchTask): Promise<DispatchResult> {
    // The per-task budget stops this attempt's agent; the signal of the task stops it for everything else.
    const budgetStop = new AbortController();
    const signal = AbortSignal.any([request.signal!, budgetStop.signal]);
    const wallMs = this._options.budgets?.taskWallMs;
    const timer = wallMs !== undefined ? setTimeout(() => ((this._overTime.add(task.id)), budgetStop.abort()), wallMs) : undefined;
    try {
      return await this._drain(task, this._options.agent.run({ ...request, signal }), budgetStop);
    } finally {
      clearTimeout(timer);
    }
  }

  private readonly _overTime = new Set<string>();

  private async _drain(task: Task, stream: AsyncGenerator<DispatchEvent, DispatchResult>, budgetStop: AbortController): Promise<DispatchResult> {
    let knownSession: string | undefined;
    let finished = false;
    try {
      for (let next = await stream.next(); ; next = await stream.next()) {
        if (next.done) {
          finished = true;
          const result = next.value;
          await this._append({ type: 'task_usage', taskId: task.id, inputTokens: result.usage.inputTokens, outputTokens: result.usage.outputTokens, ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}) });
          return result;
        }
        await this._onDispatchEvent(task, next.value, budgetStop, knownSession, (id) => (knownSession = id));
      }
    } finally {
      if (!finished) {
        // Left early (an append failed): the provider's own finally blocks release its limiter slot.
        budgetStop.abort();
        await stream.return(undefined as never).catch(() => undefined);
      }
    }
  }

  private async _onDispatchEvent(task: Task, event: DispatchEvent, budgetStop: AbortController, knownSession: string | undefined, setSession: (id: string) => void): Promise<void> {
      if (event.type === 'agent' && event.event.type === 'session' && event.event.sessionId !== knownSession) {
        setSession(event.event.sessionId);
        await this._append({ type: 'task_provider_session', taskId: task.id, provider: event.provider, sessionId: event.event.sessionId });
      } else if (event.type === 'parked') {
        await this._append({ type: 'task_parked', taskId: task.id, until: event.until, reason: event.reason });
      } else if (event.type === 'agent' && event.event.type === 'usage') {
        const run = this.state.tasks[task.id]!;
        const tokens = run.inputTokens + run.outputTokens + event.event.usage.inputTokens + event.event.usage.outputTokens;
        if (this._options.budgets?.taskTokens !== undefined && tokens > this._options.budgets.taskTokens) {
          budgetStop.abort();
        }
      }
      this._onEvent.fire({ type: 'agent', taskId: task.id, event: redactStrings(event, UNREDACTED_AGENT_FIELDS) });
      const entry = transcriptEntryOf(event);
      if (entry) {
        await this._record(task.id, { ...entry, attempt: this.state.tasks[task.id]?.attempts ?? 0 });
      }
  }

  /** A file snapshot around a task, journaled; a failure to take it is a warning, never the task's failure. */
  private async _snapshotFiles(taskId: string, when: 'before' | 'after'): Promise<void> {
    const snapshots = this._options.fileSnapshots;
    if (!snapshots) {
      return;
    }
    let commit: string;
    try {
      commit = await snapshots.take(`task-${taskId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.+/g, '.')}-${when}`);
    } catch (error) {
      this._onEvent.fire({ type: 'warning', message: `the files ${when} task ${taskId} could not be snapshotted: ${String(error)}` });
      return;
    }
    await this._append({ type: 'task_files', taskId, when, commit });
  }

  /** Adds a line to the task's transcript; the journal notes the transcript file once. */
  private async _record(taskId: string, entry: Omit<TranscriptEntry, 'at' | 'taskId'>): Promise<void> {
    if (!this._transcripts) {
      return;
    }
    if (!this.state.tasks[taskId]?.transcripts.includes(TRANSCRIPT_FILE)) {
      await this._append({ type: 'task_output', taskId, transcript: TRANSCRIPT_FILE });
    }
    let full: TranscriptEntry = { taskId, at: this._clock.now(), ...entry };
    try {
      full = this._transcripts.append(full);
    } catch (error) {
      // A transcript is a record for people: a disk error there must not fail the task.
      this._onEvent.fire({ type: 'warning', message: `the transcript could not be written: ${String(error)}` });
      full = { ...full, text: redactSecrets(full.text) };
    }
    this._onEvent.fire({ type: 'transcript', taskId, entry: full });
  }

  // --- budgets, journal, write-back -----------------------------------------------------------------

  private _overTaskBudget(id: string): string | undefined {
    const budgets = this._options.budgets;
    const run = this.state.tasks[id];
    if (!budgets || !run) {
      return undefined;
    }
    if (this._overTime.has(id)) {
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

  private _budgetExceeded(): string | undefined {
    const budgets = this._options.budgets;
    if (!budgets || (budgets.tokens === undefined && budgets.costUsd === undefined && budgets.wallMs === undefined)) {
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
    // The writer redacts what it journals; listeners (the CLI's --json lines) get the same redacted event.
    const safe = redactEvent(event);
    const state = await this._options.writer.append(safe);
    this._onEvent.fire({ type: 'journal', event: safe, state });
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
    // Task Master keeps a status word in tasks.json; spec-kit marks done with `[X]`.
    const format = this.state.plan.source?.format;
    const written =
      format === 'task-master'
        ? writeBackTaskMaster(file, task.id, task.title, task.source.line, taskMasterStatusFor(mark), this._options.workspace)
        : writeBackCheckbox(file, task.source.line, task.title, format === 'spec-kit' && mark === 'x' ? 'X' : mark, this._options.workspace);
    const outcome = await written.catch((error: Error) => `failed: ${error.message}`);
    if (outcome !== 'written' && outcome !== 'unchanged') {
      const why = outcome === 'not-found' ? 'the task is no longer in the file' : outcome === 'changed' ? 'its status was changed in the file meanwhile' : outcome;
      this._onEvent.fire({ type: 'warning', message: `${file}: the status of task ${task.id} was not updated (${why})` });
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
    if (this._cancel.signal.aborted && !this._interrupting) {
      return { outcome: 'cancelled', counts };
    }
    const unfinished = counts.failed + counts.blocked + counts.cancelled + counts.pending + counts.interrupted;
    return { outcome: unfinished > 0 ? 'failed' : 'done', counts };
  }
}

/**
 * The files a task says it touches: its predicted files, its references and the file names in its title
 * and description (`hello.py`, src/app.ts). Undefined when it names none: then it may touch anything.
 */
export function predictedFiles(task: Pick<Task, 'title' | 'description' | 'references'> & Partial<Pick<Task, 'files'>>): ReadonlySet<string> | undefined {
  const files = new Set([...(task.files ?? []), ...task.references.map((r) => r.path)].map((p) => path.normalize(p)));
  for (const match of `${task.title}\n${task.description}`.matchAll(/(?:^|[\s`'"(])((?:[\w.-]+\/)*[\w-]*\.[A-Za-z0-9]{1,8})(?=$|[\s`'"),:;])/g)) {
    const name = match[1]!;
    if (!/^\d+(\.\d+)+$/.test(name) && !/^(e\.g|i\.e|etc)\.?$/i.test(name)) {
      files.add(path.normalize(name));
    }
  }
  return files.size > 0 ? files : undefined;
}

/** The transcript line of a dispatcher event; undefined for bookkeeping events nobody reads. */
function transcriptEntryOf(event: DispatchEvent): Omit<TranscriptEntry, 'at' | 'attempt' | 'taskId'> | undefined {
  switch (event.type) {
    case 'retrying':
      return { kind: 'retry', provider: event.provider, text: `retry in ${Math.round(event.delayMs / 1000)} s: ${event.reason}` };
    case 'parked':
      return { kind: 'parked', provider: event.provider, text: `parked until ${new Date(event.until).toISOString()}: ${event.reason}` };
    case 'fallback':
      return { kind: 'fallback', provider: event.to, text: `${event.from} → ${event.to}: ${event.reason}` };
    case 'attempt':
      return undefined;
    case 'agent': {
      const agent = event.event;
      switch (agent.type) {
        case 'text':
          return agent.text.trim() ? { kind: 'text', provider: event.provider, text: agent.text } : undefined;
        case 'tool':
          return { kind: 'tool', provider: event.provider, text: `${agent.name}${agent.summary ? `: ${agent.summary}` : ''}` };
        case 'command':
          return { kind: 'command', provider: event.provider, text: agent.command, exitCode: agent.exitCode };
        case 'file_change':
          return { kind: 'file', provider: event.provider, text: `${agent.kind} ${agent.path}` };
        case 'permission_denied':
          return { kind: 'denied', provider: event.provider, text: `${agent.tool}${agent.summary ? `: ${agent.summary}` : ''}` };
        case 'paced':
          return { kind: 'paced', provider: event.provider, text: `waited ${(agent.delayMs / 1000).toFixed(1)} s before the next request: ${agent.reason}` };
        case 'trimmed':
          return { kind: 'trimmed', provider: event.provider, text: `context trimmed to fit the model's ${agent.contextWindow}-token window: ${agent.outputs} old tool output(s) replaced${agent.shortened ? `, ${agent.shortened} old message(s) shortened` : ''} (about ${agent.tokensBefore} → ${agent.tokensAfter} tokens)` };
        case 'decision':
          return { kind: 'decision', provider: event.provider, text: `${agent.allowed ? 'allowed' : 'denied'}: ${agent.command} (${agent.why})` };
        case 'session':
          return agent.model ? { kind: 'model', provider: event.provider, text: agent.model } : undefined;
        case 'error':
          return { kind: 'error', provider: event.provider, text: agent.message };
        default:
          return undefined;
      }
    }
  }
}
