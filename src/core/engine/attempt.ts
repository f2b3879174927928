/**
 * The attempt loop of one task: build its prompt, hand it to the provider side (the dispatcher), check the
 * result with the verify commands, and either finish the task, fail it for good, or try again after a
 * backoff with the failure in the next prompt. Per-task budgets end an attempt; pause, stop, cancel and
 * skip end it between steps. An interrupted attempt (the process died, or stop()) goes on as the same
 * attempt in the provider's saved conversation.
 */
import path from 'node:path';
import { must } from '../common/must';
import { redactSecrets } from '../common/redact';
import type { Task } from '../model/plan';
import type { DispatchEvent, DispatchResult, DispatchTask } from '../providers/dispatcher';
import { backoffDelay, type Clock } from '../providers/limits';
import { workOf } from '../schedule/scheduler';
import { taskBudgetExceeded, taskTokensOver } from './budgets';
import type { EngineOptions } from './engineTypes';
import { buildTaskPrompt } from './prompt';
import type { RunRecorder } from './runRecorder';
import type { SpecContextCache } from './specContext';
import { runVerify } from './verify';

/** The run's switches, shared by the engine (which sets them) and the attempts (which obey them). */
export interface RunControl {
  /** Start no new task or attempt (pause, stop, cancel, a budget, a "stop" failure policy). */
  stopStarting: boolean;
  /** Set by stop(): running agents are ended and their tasks left to continue on resume. */
  interrupting: boolean;
  pauseReason: string | undefined;
  /** Tasks the user skips: marked at once, so that they cannot start while the skip is being journaled. */
  readonly skipping: Set<string>;
}

/** What the attempt loop needs from the engine. */
export interface AttemptHost {
  readonly options: EngineOptions;
  readonly clock: Clock;
  readonly recorder: RunRecorder;
  readonly control: RunControl;
  readonly specCache: SpecContextCache;
  readonly tasksById: ReadonlyMap<string, Task>;
  pause(reason: string): void;
}

/** The conversation an interrupted attempt continues. */
type Resume = NonNullable<DispatchTask['resume']>;

const RESUME_PROMPT = 'ACA was interrupted while you worked on this task (the process stopped). Continue it from where you were and finish it.';

export class TaskAttempts {
  /** Tasks whose wall-time budget ran out during the current attempt. */
  private readonly _overTime = new Set<string>();

  constructor(private readonly _host: AttemptHost) {}

  /** Runs the task's attempts until it is done, failed for good, or stopped. */
  async run(task: Task, signal: AbortSignal): Promise<void> {
    const { recorder } = this._host;
    const run = must(recorder.state.tasks[task.id], `the journal's record of task ${task.id}`);
    const interrupted = run.state === 'interrupted';
    // The journal keeps the provider's name as the dispatcher gave it.
    let resume = interrupted && run.provider && run.providerSessionId ? ({ provider: run.provider, sessionId: run.providerSessionId } as Resume) : undefined;
    let previousFailure: string | undefined = interrupted ? undefined : run.error;
    if (run.filesBefore === undefined) {
      await recorder.snapshotFiles(task.id, 'before');
    }
    // An interrupted attempt goes on as the same attempt.
    for (let attempt = interrupted ? Math.max(1, run.attempts) : run.attempts + 1; ; attempt++) {
      if (signal.aborted) {
        await this._endStopped(task);
        return;
      }
      const failure = await this._attempt(task, signal, attempt, resume, previousFailure);
      if (failure === undefined || !(await this._waitBeforeRetry(task, attempt, signal))) {
        return;
      }
      resume = undefined;
      previousFailure = failure;
    }
  }

  /** One attempt, to its end. Returns the failure to retry with, or undefined when the task's attempts are over. */
  private async _attempt(
    task: Task,
    signal: AbortSignal,
    attempt: number,
    resume: Resume | undefined,
    previousFailure: string | undefined,
  ): Promise<string | undefined> {
    const { recorder, clock } = this._host;
    const started = clock.now();
    await recorder.append({ type: 'task_started', taskId: task.id, attempt });
    await recorder.record(task.id, { kind: 'attempt', text: resume ? 'continues the interrupted conversation' : '', attempt });
    await recorder.writeBack(task, '-');
    const result = await this._dispatch(task, signal, resume, previousFailure);
    const overBudget = taskBudgetExceeded(this._host.options.budgets, recorder.state.tasks[task.id], this._overTime.has(task.id));
    this._overTime.delete(task.id);
    if (result.outcome === 'cancelled' && !overBudget) {
      await this._endStopped(task);
      return undefined;
    }
    let failure: string | undefined = overBudget;
    if (!failure && result.outcome === 'failed') {
      failure = result.message;
    }
    if (!failure) {
      const verified = await this._verify(task, signal, attempt);
      if (verified.stopped) {
        await this._endStopped(task);
        return undefined;
      }
      failure = verified.failure;
    }
    return this._conclude(task, attempt, result, failure, clock.now() - started);
  }

  /** Runs the task's verify commands (or the default ones); `stopped` when the run was stopped meanwhile. */
  private async _verify(task: Task, signal: AbortSignal, attempt: number): Promise<{ stopped: true } | { stopped: false; failure?: string }> {
    const { options, recorder } = this._host;
    const commands = task.verify.length > 0 ? task.verify : (options.defaultVerify ?? []);
    if (commands.length === 0) {
      return { stopped: false };
    }
    await recorder.append({ type: 'task_verifying', taskId: task.id });
    const verified = await runVerify(commands, options.workspace, { signal, ...(options.verifyTimeoutMs ? { timeoutMs: options.verifyTimeoutMs } : {}) });
    if (signal.aborted) {
      return { stopped: true };
    }
    await recorder.record(task.id, { kind: 'verify', text: verified.ok ? commands.join(' ; ') : verified.report, ok: verified.ok, attempt });
    return verified.ok ? { stopped: false } : { stopped: false, failure: `Verification failed: ${verified.report}` };
  }

  /** Journals the attempt's end: done, failed for good, or failed with attempts left (returns the failure then). */
  private async _conclude(task: Task, attempt: number, result: DispatchResult, failure: string | undefined, durationMs: number): Promise<string | undefined> {
    const { recorder, options, control } = this._host;
    const totals = recorder.state.tasks[task.id];
    const tokens = (totals?.inputTokens ?? 0) + (totals?.outputTokens ?? 0);
    await recorder.record(task.id, {
      kind: 'result',
      text: failure ?? result.message,
      ok: !failure,
      attempt,
      provider: result.provider,
      tokens,
      costUsd: totals?.costUsd ?? 0,
    });
    if (!failure) {
      await recorder.snapshotFiles(task.id, 'after');
      // Redacted before it is cut: a cut key would no longer be recognised by the journal's redaction.
      await recorder.append({ type: 'task_done', taskId: task.id, summary: redactSecrets(result.message).slice(0, 2000), durationMs });
      await recorder.writeBack(task, 'x');
      return undefined;
    }
    // A failure a retry cannot fix (permission, login, budget) is final at once; the others get another attempt.
    const final = ['permission', 'auth', 'not-installed'].includes(result.failure?.kind ?? '') || failure.startsWith('over the task budget');
    const retryable = attempt < (options.maxAttempts ?? 3) && !final;
    if (!retryable) {
      await recorder.snapshotFiles(task.id, 'after');
    }
    await recorder.append({ type: 'task_failed', taskId: task.id, error: failure, retryable, durationMs });
    if (!retryable) {
      await recorder.writeBack(task, ' ');
      if (options.failurePolicy === 'stop') {
        this._host.pause(`task ${task.id} failed and the failure policy is "stop"`);
      }
      return undefined;
    }
    if (control.stopStarting) {
      // Paused with attempts left: the task waits for the resume, which retries it with this failure.
      await recorder.append({ type: 'task_reset', taskId: task.id });
      return undefined;
    }
    return failure;
  }

  /** The backoff before the next attempt; false when the run was stopped meanwhile (the task is ended then). */
  private async _waitBeforeRetry(task: Task, attempt: number, signal: AbortSignal): Promise<boolean> {
    const { options, clock, control, recorder } = this._host;
    const backoff = options.retryBackoff ?? { baseMs: 1000, maxMs: 30_000 };
    // An abort ends the wait early and is the only way the sleep rejects: the signal is checked next.
    await clock.sleep(backoffDelay(attempt, backoff), signal).catch(() => undefined);
    if (signal.aborted && !control.skipping.has(task.id)) {
      if (control.interrupting) {
        await recorder.append({ type: 'task_reset', taskId: task.id }); // keeps the failure for the resumed attempt
      } else {
        await this._endStopped(task);
      }
      return false;
    }
    return true;
  }

  private async _endStopped(task: Task): Promise<void> {
    const { recorder, control } = this._host;
    const skipped = control.skipping.has(task.id);
    if (!control.interrupting || skipped) {
      await recorder.snapshotFiles(task.id, 'after'); // an interrupted task goes on later; the others end here
    }
    if (skipped) {
      await recorder.append({ type: 'task_skipped', taskId: task.id, reason: 'skipped by the user' });
      await recorder.writeBack(task, ' ');
    } else if (control.interrupting) {
      await recorder.append({ type: 'task_interrupted', taskId: task.id, reason: control.pauseReason ?? 'stopped' });
    } else {
      await recorder.append({ type: 'task_cancelled', taskId: task.id });
      await recorder.writeBack(task, ' ');
    }
  }

  /** Builds the prompt and hands the attempt to the provider side, under the task's own budgets. */
  private async _dispatch(task: Task, taskSignal: AbortSignal, resume: Resume | undefined, previousFailure: string | undefined): Promise<DispatchResult> {
    const { options, recorder } = this._host;
    const fullPrompt = await buildTaskPrompt(task, {
      plan: recorder.state.plan,
      state: recorder.state,
      tasksById: this._host.tasksById,
      specCache: this._host.specCache,
      workspace: options.workspace,
      sourceDir: this._sourceDir(),
      ...(previousFailure ? { previousFailure } : {}),
    });
    // Resuming sends a short "go on" into the saved conversation; the whole task is there in case the
    // provider lost it.
    const prompt = resume ? RESUME_PROMPT : fullPrompt;
    // The per-task budget stops this attempt's agent; the signal of the task stops it for everything else.
    const budgetStop = new AbortController();
    const signal = AbortSignal.any([taskSignal, budgetStop.signal]);
    const wallMs = options.budgets?.taskWallMs;
    const timer = wallMs !== undefined ? setTimeout(() => (this._overTime.add(task.id), budgetStop.abort()), wallMs) : undefined;
    const request: DispatchTask = {
      prompt,
      cwd: options.workspace,
      signal,
      estimatedTokens: Math.ceil(fullPrompt.length / 4) + 1000 * workOf(task),
      ...(resume ? { resume, freshPrompt: fullPrompt } : {}),
    };
    try {
      return await this._drain(task, options.agent.run(request), budgetStop);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Reads the provider side's events to its result, journaling what the journal keeps. */
  private async _drain(task: Task, stream: AsyncGenerator<DispatchEvent, DispatchResult>, budgetStop: AbortController): Promise<DispatchResult> {
    const { recorder } = this._host;
    let knownSession: string | undefined;
    let finished = false;
    try {
      for (let next = await stream.next(); ; next = await stream.next()) {
        if (next.done) {
          finished = true;
          const result = next.value;
          await recorder.append({
            type: 'task_usage',
            taskId: task.id,
            inputTokens: result.usage.inputTokens,
            outputTokens: result.usage.outputTokens,
            ...(result.costUsd !== undefined ? { costUsd: result.costUsd } : {}),
          });
          return result;
        }
        const event = next.value;
        if (event.type === 'agent' && event.event.type === 'session' && event.event.sessionId !== knownSession) {
          knownSession = event.event.sessionId;
          await recorder.append({ type: 'task_provider_session', taskId: task.id, provider: event.provider, sessionId: event.event.sessionId });
        } else if (event.type === 'parked') {
          await recorder.append({ type: 'task_parked', taskId: task.id, until: event.until, reason: event.reason });
        } else if (
          event.type === 'agent' &&
          event.event.type === 'usage' &&
          taskTokensOver(this._host.options.budgets, recorder.state.tasks[task.id], event.event.usage)
        ) {
          budgetStop.abort();
        }
        await recorder.recordDispatchEvent(task.id, event);
      }
    } finally {
      if (!finished) {
        // Left early (an append failed): the provider's own finally blocks release its limiter slot.
        budgetStop.abort();
        // The first error is the one that ends the attempt; an error while the provider closes adds nothing.
        await stream.return(undefined as never).catch(() => undefined);
      }
    }
  }

  /** The tasks file's folder: references and spec files are relative to it. */
  private _sourceDir(): string {
    const workspace = this._host.options.workspace;
    const source = this._host.recorder.state.plan.source?.path;
    return source ? path.dirname(path.resolve(workspace, source)) : workspace;
  }
}
