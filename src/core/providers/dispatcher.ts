/**
 * Runs one task attempt on a chain of providers and makes sure every provider failure ends in one of four
 * ways: retried (transient: 429, 5xx, torn stream, hang, killed CLI), parked until a usage limit resets,
 * fallen back to the next provider in the chain with a written summary of what was done so far, or failed
 * with a message that says what happened and what the user can do. Limiters (requests, tokens,
 * concurrency, adaptive holds after real 429s) and circuit breakers are per provider and shared by every
 * task that goes through this dispatcher (providerChain.ts); the summary for the next provider is handover.ts.
 */
import type { FailureInfo } from './failures';
import { handoverText, sentence, TaskProgress } from './handover';
import { backoffDelay, systemClock, type Clock } from './limits';
import { NO_USAGE, type ProviderName, type ProviderResult, type TokenUsage } from './provider';
import { ProviderChain } from './providerChain';
import type { DispatchEvent, DispatcherOptions, DispatchOutcome, DispatchResult, DispatchTask } from './dispatchTypes';

export type { DispatchEvent, DispatcherOptions, DispatchOutcome, DispatchResult, DispatchTask } from './dispatchTypes';

const DEFAULTS = {
  attemptsPerProvider: 3,
  backoff: { baseMs: 2000, maxMs: 60_000 },
  breaker: { failureThreshold: 3, cooldownMs: 300_000 },
  defaultParkMs: 900_000,
};

/** The course of one dispatch: where it is in the chain and what it has used so far. */
interface DispatchCourse {
  readonly task: DispatchTask;
  readonly started: number;
  readonly progress: TaskProgress;
  /** Providers that cannot serve this task at all (not installed, not logged in, rejected the request). */
  readonly dead: Set<ProviderName>;
  index: number;
  resumeSessionId: string | undefined;
  /** The summary of the provider before, sent with the task to the next one. */
  handover: string;
  triesHere: number;
  runs: number;
  usage: TokenUsage;
  cost: number | undefined;
  lastSessionId: string | undefined;
}

/** A provider's run, or its preflight's verdict (`unusable`), with the permissions it was denied. */
interface Tried {
  readonly result: ProviderResult;
  readonly denials: readonly string[];
  readonly unusable: boolean;
}

/** `again`: go round once more (another try, another provider, after a wait); else how the dispatch ends. */
type Step = DispatchResult | 'again';

export class AgentDispatcher {
  private readonly _chain: ProviderChain;
  private readonly _clock: Clock;
  private readonly _options: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    if (options.chain.length === 0) {
      throw new Error('the provider chain is empty');
    }
    this._options = options;
    this._clock = options.clock ?? systemClock;
    this._chain = new ProviderChain(
      options.chain,
      { ...(options.limits ? { limits: options.limits } : {}), breaker: options.breaker ?? DEFAULTS.breaker, preflight: options.preflight !== false },
      this._clock,
    );
  }

  /** Headroom for the scheduler: how many more runs a provider takes now (Infinity when uncapped). */
  headroom(name?: ProviderName): number {
    return this._chain.headroom(name);
  }

  async *run(task: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult> {
    const course = this._begin(task);
    for (;;) {
      if (task.signal?.aborted) {
        return this._end(course, 'cancelled', 'cancelled', { kind: 'cancelled' });
      }
      const routed = yield* this._routeAround(course);
      if (routed === 'again') {
        continue;
      }
      if (routed) {
        return routed;
      }
      const tried = yield* this._tryCurrent(course);
      if ('outcome' in tried) {
        return tried;
      }
      const step = yield* this._settle(course, tried);
      if (step !== 'again') {
        return step;
      }
    }
  }

  /** A resumed task starts on the provider that holds its conversation; any other on the first of the chain. */
  private _begin(task: DispatchTask): DispatchCourse {
    const resume = task.resume;
    const index = Math.max(0, resume ? this._chain.indexOf(resume.provider) : 0);
    return {
      task,
      started: this._clock.now(),
      progress: new TaskProgress(),
      dead: new Set(),
      index,
      resumeSessionId: resume && this._chain.slot(index).provider.name === resume.provider ? resume.sessionId : undefined,
      handover: '',
      triesHere: 0,
      runs: 0,
      usage: NO_USAGE,
      cost: undefined,
      lastSessionId: undefined,
    };
  }

  private _end(course: DispatchCourse, outcome: DispatchOutcome, message: string, failure?: DispatchResult['failure']): DispatchResult {
    return {
      outcome,
      provider: this._chain.slot(course.index).provider.name,
      message,
      ...(failure ? { failure } : {}),
      ...(course.lastSessionId ? { sessionId: course.lastSessionId } : {}),
      usage: course.usage,
      ...(course.cost !== undefined ? { costUsd: course.cost } : {}),
      durationMs: this._clock.now() - course.started,
      runs: course.runs,
    };
  }

  /**
   * Before a run: a provider kept out by its breaker, or held (rate limited) longer than a backoff would
   * wait, gives the task to another one, else the task waits. Undefined when the current one can run it.
   */
  private async *_routeAround(course: DispatchCourse): AsyncGenerator<DispatchEvent, Step | undefined> {
    const slot = this._chain.slot(course.index);
    const name = slot.provider.name;
    if (!slot.breaker.canUse() && !course.dead.has(name)) {
      // Kept out after repeated failures (by this or another task): try the others, else wait.
      const next = this._chain.nextUsable(course.index, course.dead);
      if (next !== undefined) {
        return yield* this._moveTo(course, next, `${name} is kept out for ${Math.ceil(slot.breaker.retryInMs / 1000)} s after repeated failures`);
      }
      if (slot.rejected) {
        return this._end(course, 'failed', slot.rejected, { kind: 'auth' });
      }
      const until = this._clock.now() + slot.breaker.retryInMs;
      yield { type: 'parked', provider: name, until, reason: `${name} failed repeatedly and no other provider can take the task` };
      await this._sleepUntil(until, course.task.signal);
      return 'again';
    }
    // Held (rate limited) longer than a backoff would wait, by this task or another: start elsewhere if possible.
    const elsewhere = this._chain.elsewhereWhileHeld(course.index, course.dead, this._maxHeldMs());
    if (elsewhere !== undefined) {
      return yield* this._moveTo(course, elsewhere, `${name} is rate limited for ${Math.ceil((slot.limiter.heldUntil - this._clock.now()) / 60_000)} more min`);
    }
    return undefined;
  }

  /** Runs the task once on the current provider (after its preflight and limiter); a cancelled wait ends the dispatch. */
  private async *_tryCurrent(course: DispatchCourse): AsyncGenerator<DispatchEvent, Tried | DispatchResult> {
    const slot = this._chain.slot(course.index);
    const { task } = course;
    const unusable = await this._chain.preflight(slot);
    if (unusable) {
      return {
        result: { success: false, message: unusable.message, usage: NO_USAGE, durationMs: 0, failure: { kind: unusable.kind } },
        denials: [],
        unusable: true,
      };
    }
    // The limiter's wait rejects only when the task's signal aborts: that is the cancellation handled here.
    const release = await slot.limiter.acquire(task.estimatedTokens ?? 0, task.signal).catch(() => undefined);
    if (!release) {
      return this._end(course, 'cancelled', 'cancelled', { kind: 'cancelled' });
    }
    course.triesHere++;
    course.runs++;
    const resumeSessionId = course.resumeSessionId;
    yield { type: 'attempt', provider: slot.provider.name, attempt: course.triesHere, resumed: Boolean(resumeSessionId) };
    // Continuing a conversation sends the caller's prompt; starting one sends the whole task.
    const basePrompt = resumeSessionId ? task.prompt : (task.freshPrompt ?? task.prompt);
    const prompt = course.handover && !resumeSessionId ? `${basePrompt}\n\n${course.handover}` : basePrompt;
    let ran: { result: ProviderResult; denials: string[] };
    try {
      ran = yield* this._chain.runOnce(
        slot,
        { prompt, cwd: task.cwd, ...(task.signal ? { signal: task.signal } : {}), ...(resumeSessionId ? { resumeSessionId } : {}) },
        course.progress,
      );
    } finally {
      release();
    }
    course.usage = addUsage(course.usage, ran.result.usage);
    course.cost = ran.result.costUsd !== undefined ? (course.cost ?? 0) + ran.result.costUsd : course.cost;
    course.lastSessionId = ran.result.sessionId ?? course.lastSessionId;
    return { ...ran, unusable: false };
  }

  /** What a run's result means for the dispatch: done, failed, or another try (here, elsewhere, later). */
  private async *_settle(course: DispatchCourse, { result, denials, unusable }: Tried): AsyncGenerator<DispatchEvent, Step> {
    const slot = this._chain.slot(course.index);
    const name = slot.provider.name;
    if (result.success) {
      slot.breaker.recordSuccess();
      slot.rejected = undefined;
      if (denials.length > 0) {
        const what = denials.join('; ');
        return this._end(
          course,
          'failed',
          `${name} was not allowed to: ${what}. Allow it in the settings (allowed tools or permission mode) and retry the task.`,
          { kind: 'permission' },
        );
      }
      return this._end(course, 'done', result.message);
    }
    const failure: FailureInfo = result.failure ?? { kind: 'agent' };
    switch (failure.kind) {
      case 'cancelled':
        return this._end(course, 'cancelled', 'cancelled', failure);
      case 'agent':
        // The agent ran and did not succeed (max turns, its own error): the task's problem, not the provider's.
        slot.breaker.recordSuccess();
        if (course.resumeSessionId && /no conversation found|session .*not found|no rollout found/i.test(result.message)) {
          // The provider lost the conversation (it died before saving it): start over on the same provider.
          course.resumeSessionId = undefined;
          return 'again';
        }
        return this._end(course, 'failed', `${name}: ${result.message}`, failure);
      case 'not-installed':
      case 'auth':
      case 'bad-request':
        return yield* this._onRefused(course, result, failure, unusable);
      case 'usage-limit':
        return yield* this._onUsageLimit(course, result, failure);
      default:
        return yield* this._onTransient(course, result, failure);
    }
  }

  /** The provider cannot serve this task at all (not installed, not logged in, rejected the request): the next one does. */
  private *_onRefused(course: DispatchCourse, result: ProviderResult, failure: FailureInfo, unusable: boolean): Generator<DispatchEvent, Step> {
    const slot = this._chain.slot(course.index);
    const name = slot.provider.name;
    const said = `${name}: ${result.message}`;
    course.dead.add(name);
    const fix = failure.kind === 'auth' && !unusable ? ` ${slot.provider.loginHint}` : '';
    if (failure.kind === 'auth') {
      // Other tasks skip it for the cooldown; a missing CLI is caught by the cached preflight instead.
      slot.breaker.trip();
      slot.rejected = `${sentence(said)}${fix}`;
    }
    const next = this._chain.nextUsable(course.index, course.dead);
    if (next === undefined) {
      return this._end(course, 'failed', `${sentence(said)}${fix}`, failure);
    }
    return yield* this._moveTo(course, next, result.message);
  }

  /** A usage limit: the provider is out until it resets; another takes the task, else it waits for the first reset. */
  private async *_onUsageLimit(course: DispatchCourse, result: ProviderResult, failure: FailureInfo): AsyncGenerator<DispatchEvent, Step> {
    const slot = this._chain.slot(course.index);
    const now = this._clock.now();
    slot.unavailableUntil =
      failure.resetsAt !== undefined && failure.resetsAt > now ? failure.resetsAt : now + (this._options.defaultParkMs ?? DEFAULTS.defaultParkMs);
    const next = this._chain.nextUsable(course.index, course.dead);
    if (next !== undefined) {
      return yield* this._moveTo(course, next, result.message);
    }
    // Nothing else can take it: wait for the earliest reset among the providers, then go on there.
    const parkedAt = this._chain.soonestAvailable(course.dead) ?? course.index;
    const parked = this._chain.slot(parkedAt);
    const resumeAt = parked.unavailableUntil;
    yield { type: 'parked', provider: parked.provider.name, until: resumeAt, reason: result.message };
    await this._sleepUntil(resumeAt, course.task.signal);
    if (parkedAt !== course.index) {
      course.handover = handoverText(slot.provider.name, result.message, course.progress);
      course.resumeSessionId = undefined;
    } else {
      course.resumeSessionId = course.progress.didSomething ? result.sessionId : undefined;
    }
    course.index = parkedAt;
    course.triesHere = 0;
    return 'again';
  }

  /** Transient (429 after the CLI's own retries, 5xx, a torn stream, a hang, a killed CLI): retry, else fall back. */
  private async *_onTransient(course: DispatchCourse, result: ProviderResult, failure: FailureInfo): AsyncGenerator<DispatchEvent, Step> {
    const slot = this._chain.slot(course.index);
    const name = slot.provider.name;
    const heldFor = slot.limiter.heldUntil - this._clock.now();
    // A rate limit whose end is known is not a sign of a broken provider: it does not count toward the
    // breaker (three tasks hitting one used-up window would otherwise keep it out for minutes).
    if (!(failure.kind === 'rate-limit' && heldFor > 0)) {
      slot.breaker.recordFailure();
    }
    // Held longer than a backoff would wait (a long retry-after, a used-up rate-limit window): another
    // provider takes the task now rather than this one waiting it out.
    const elsewhere = this._chain.elsewhereWhileHeld(course.index, course.dead, this._maxHeldMs());
    if (elsewhere !== undefined) {
      return yield* this._moveTo(course, elsewhere, `${name} is rate limited for ${Math.ceil(heldFor / 60_000)} min: ${result.message}`);
    }
    const tries = course.triesHere;
    if (tries < (this._options.attemptsPerProvider ?? DEFAULTS.attemptsPerProvider) && slot.breaker.canUse()) {
      const delayMs = backoffDelay(tries, this._options.backoff ?? DEFAULTS.backoff, this._options.random);
      yield { type: 'retrying', provider: name, attempt: tries + 1, delayMs, reason: result.message };
      // The sleep rejects only when the task's signal aborts: the loop checks the signal next.
      await this._clock.sleep(delayMs, course.task.signal).catch(() => undefined);
      // Continue the conversation when the agent had already done something; else start clean.
      course.resumeSessionId = course.progress.didSomething && result.sessionId ? result.sessionId : undefined;
      return 'again';
    }
    const next = this._chain.nextUsable(course.index, course.dead);
    const reason = `failed ${tries} time${tries === 1 ? '' : 's'}, last: ${result.message}`;
    if (next === undefined) {
      return this._end(
        course,
        'failed',
        `${name} ${sentence(reason)} It may be down or overloaded: retry the task later, or add another provider to the fallback chain.`,
        failure,
      );
    }
    return yield* this._moveTo(course, next, reason);
  }

  /** Hands the task to provider `to` with a summary of what was done; its first try there starts clean. */
  private *_moveTo(course: DispatchCourse, to: number, reason: string): Generator<DispatchEvent, 'again'> {
    course.handover = yield* this._fallBack(course.index, to, reason, course.progress);
    course.index = to;
    course.resumeSessionId = undefined;
    course.triesHere = 0;
    return 'again';
  }

  /** Announces the hand-over and returns the summary the next provider gets with the task. */
  private *_fallBack(from: number, to: number, reason: string, progress: TaskProgress): Generator<DispatchEvent, string> {
    const fromName = this._chain.slot(from).provider.name;
    const summary = handoverText(fromName, reason, progress);
    yield { type: 'fallback', from: fromName, to: this._chain.slot(to).provider.name, reason, summary };
    return summary;
  }

  /** How long a provider may be held before a task goes elsewhere rather than wait: the longest backoff. */
  private _maxHeldMs(): number {
    return (this._options.backoff ?? DEFAULTS.backoff).maxMs;
  }

  private async _sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    const wait = time - this._clock.now();
    if (wait > 0) {
      // The sleep rejects only when the task's signal aborts: the dispatch loop checks the signal next.
      await this._clock.sleep(wait, signal).catch(() => undefined);
    }
  }
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, cachedTokens: a.cachedTokens + b.cachedTokens };
}
