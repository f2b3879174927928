/**
 * Runs one task attempt on a chain of providers and makes sure every provider failure ends in one of four
 * ways: retried (transient: 429, 5xx, torn stream, hang, killed CLI), parked until a usage limit resets,
 * fallen back to the next provider in the chain with a written summary of what was done so far, or failed
 * with a message that says what happened and what the user can do. Limiters (requests, tokens,
 * concurrency, adaptive holds after real 429s) and circuit breakers are per provider and shared by every
 * task that goes through this dispatcher.
 */
import { type FailureInfo, type FailureKind } from './failures';
import { backoffDelay, CircuitBreaker, ProviderLimiter, systemClock, type Clock, type LimiterOptions } from './limits';
import { NO_USAGE, type AgentProvider, type Detection, type ProviderEvent, type ProviderName, type ProviderResult, type TokenUsage } from './provider';

export interface DispatcherOptions {
  /** Providers in order of preference: the first is used, the others are the fallback chain. */
  readonly chain: readonly AgentProvider[];
  readonly limits?: Partial<Record<ProviderName, LimiterOptions>>;
  /** Tries of one provider for transient failures before falling back (default 3). */
  readonly attemptsPerProvider?: number;
  readonly backoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly breaker?: { readonly failureThreshold: number; readonly cooldownMs: number };
  /** How long to park when a usage limit does not say when it resets (default 15 min). */
  readonly defaultParkMs?: number;
  /** Check each provider with `detect()` before its first run (default on): Codex never fails fast when logged out. */
  readonly preflight?: boolean;
  readonly clock?: Clock;
  readonly random?: () => number;
}

export interface DispatchTask {
  readonly prompt: string;
  readonly cwd: string;
  readonly signal?: AbortSignal;
  /** For the token bucket; a rough size of the prompt and answer. */
  readonly estimatedTokens?: number;
  /** Continue an interrupted conversation (the engine keeps the provider session id in the journal). */
  readonly resume?: { readonly provider: ProviderName; readonly sessionId: string };
  /** With `resume`: the whole task, for when the provider no longer has that conversation. */
  readonly freshPrompt?: string;
}

export type DispatchEvent =
  | { readonly type: 'attempt'; readonly provider: ProviderName; readonly attempt: number; readonly resumed: boolean }
  | { readonly type: 'agent'; readonly provider: ProviderName; readonly event: ProviderEvent }
  | { readonly type: 'retrying'; readonly provider: ProviderName; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly type: 'parked'; readonly provider: ProviderName; readonly until: number; readonly reason: string }
  | { readonly type: 'fallback'; readonly from: ProviderName; readonly to: ProviderName; readonly reason: string; readonly summary: string };

export type DispatchOutcome = 'done' | 'failed' | 'cancelled';

export interface DispatchResult {
  readonly outcome: DispatchOutcome;
  /** The provider that ran last. */
  readonly provider: ProviderName;
  /** The agent's final message, or what went wrong and what the user can do. */
  readonly message: string;
  readonly failure?: FailureInfo | { readonly kind: 'permission' };
  /** The provider session of the last run, to resume it later. */
  readonly sessionId?: string;
  /** Summed over every run of this dispatch. */
  readonly usage: TokenUsage;
  readonly costUsd?: number;
  readonly durationMs: number;
  readonly runs: number;
}

const DEFAULTS = { attemptsPerProvider: 3, backoff: { baseMs: 2000, maxMs: 60_000 }, breaker: { failureThreshold: 3, cooldownMs: 300_000 }, defaultParkMs: 900_000 };

interface ProviderSlot {
  readonly provider: AgentProvider;
  readonly limiter: ProviderLimiter;
  readonly breaker: CircuitBreaker;
  detection?: Promise<Detection>;
  /** Out of use until then (a usage limit). */
  unavailableUntil: number;
  /** Why it was taken out for good (a rejected login): told to the next task instead of making it wait. */
  rejected?: string;
}

/** What a run did, for the summary handed to the next provider. */
interface Progress {
  readonly files: Map<string, string>;
  readonly commands: string[];
  lastText?: string;
}

export class AgentDispatcher {
  private readonly _slots: ProviderSlot[];
  private readonly _clock: Clock;
  private readonly _options: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    if (options.chain.length === 0) {
      throw new Error('the provider chain is empty');
    }
    this._options = options;
    this._clock = options.clock ?? systemClock;
    const breakerOptions = options.breaker ?? DEFAULTS.breaker;
    this._slots = options.chain.map((provider) => ({
      provider,
      limiter: new ProviderLimiter(options.limits?.[provider.name] ?? {}, this._clock),
      breaker: new CircuitBreaker(breakerOptions, this._clock),
      unavailableUntil: 0,
    }));
  }

  /** Headroom for the scheduler: how many more runs a provider takes now (Infinity when uncapped). */
  headroom(name?: ProviderName): number {
    if (name === undefined) {
      // What a new task would get: the first provider of the chain that can take it.
      return Math.max(0, ...this._slots.map((s) => this.headroom(s.provider.name)));
    }
    const slot = this._slots.find((s) => s.provider.name === name);
    if (!slot || !slot.breaker.canUse() || slot.unavailableUntil > this._clock.now() || slot.limiter.heldUntil) {
      return 0;
    }
    const max = this._options.limits?.[name]?.maxConcurrent ?? Number.POSITIVE_INFINITY;
    return max - slot.limiter.running;
  }

  async *run(task: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult> {
    const started = this._clock.now();
    const attemptsPerProvider = this._options.attemptsPerProvider ?? DEFAULTS.attemptsPerProvider;
    const progress: Progress = { files: new Map(), commands: [] };
    /** Providers that cannot serve this task at all (not installed, not logged in, rejected the request). */
    const dead = new Set<ProviderName>();
    let index = Math.max(0, task.resume ? this._slots.findIndex((s) => s.provider.name === task.resume!.provider) : 0);
    let resumeSessionId = task.resume && this._slots[index]!.provider.name === task.resume.provider ? task.resume.sessionId : undefined;
    let handover = '';
    let triesHere = 0;
    let runs = 0;
    let usage = NO_USAGE;
    let cost: number | undefined;
    let lastSessionId: string | undefined;
    const end = (outcome: DispatchOutcome, message: string, failure?: DispatchResult['failure']): DispatchResult => ({
      outcome,
      provider: this._slots[index]!.provider.name,
      message,
      ...(failure ? { failure } : {}),
      ...(lastSessionId ? { sessionId: lastSessionId } : {}),
      usage,
      ...(cost !== undefined ? { costUsd: cost } : {}),
      durationMs: this._clock.now() - started,
      runs,
    });

    for (;;) {
      if (task.signal?.aborted) {
        return end('cancelled', 'cancelled', { kind: 'cancelled' });
      }
      const slot = this._slots[index]!;
      const name = slot.provider.name;
      if (!slot.breaker.canUse() && !dead.has(name)) {
        // Kept out after repeated failures (by this or another task): try the others, else wait.
        const next = this._nextUsable(index, dead);
        if (next !== undefined) {
          handover = yield* this._fallBack(index, next, `${name} is kept out for ${Math.ceil(slot.breaker.retryInMs / 1000)} s after repeated failures`, progress);
          [index, resumeSessionId, triesHere] = [next, undefined, 0];
          continue;
        }
        if (slot.rejected) {
          return end('failed', slot.rejected, { kind: 'auth' });
        }
        const until = this._clock.now() + slot.breaker.retryInMs;
        yield { type: 'parked', provider: name, until, reason: `${name} failed repeatedly and no other provider can take the task` };
        await this._sleepUntil(until, task.signal);
        continue;
      }

      // Held (rate limited) longer than a backoff would wait, by this task or another: start elsewhere if possible.
      const elsewhere = this._elsewhereWhileHeld(index, dead);
      if (elsewhere !== undefined) {
        handover = yield* this._fallBack(index, elsewhere, `${name} is rate limited for ${Math.ceil((slot.limiter.heldUntil - this._clock.now()) / 60_000)} more min`, progress);
        [index, resumeSessionId, triesHere] = [elsewhere, undefined, 0];
        continue;
      }
      const unusable = await this._preflight(slot);
      let result: ProviderResult;
      let denials: string[] = [];
      if (unusable) {
        result = { success: false, message: unusable.message, usage: NO_USAGE, durationMs: 0, failure: { kind: unusable.kind } };
      } else {
        const release = await slot.limiter.acquire(task.estimatedTokens ?? 0, task.signal).catch(() => undefined);
        if (!release) {
          return end('cancelled', 'cancelled', { kind: 'cancelled' });
        }
        triesHere++;
        runs++;
        yield { type: 'attempt', provider: name, attempt: triesHere, resumed: Boolean(resumeSessionId) };
        // Continuing a conversation sends the caller's prompt; starting one sends the whole task.
        const basePrompt = resumeSessionId ? task.prompt : (task.freshPrompt ?? task.prompt);
        const prompt = handover && !resumeSessionId ? `${basePrompt}\n\n${handover}` : basePrompt;
        try {
          const outcome = yield* this._runOnce(slot, { prompt, cwd: task.cwd, ...(task.signal ? { signal: task.signal } : {}), ...(resumeSessionId ? { resumeSessionId } : {}) }, progress);
          [result, denials] = [outcome.result, outcome.denials];
        } finally {
          release();
        }
        usage = addUsage(usage, result.usage);
        cost = result.costUsd !== undefined ? (cost ?? 0) + result.costUsd : cost;
        lastSessionId = result.sessionId ?? lastSessionId;
      }

      if (result.success) {
        slot.breaker.recordSuccess();
        slot.rejected = undefined;
        if (denials.length > 0) {
          const what = denials.join('; ');
          return end('failed', `${name} was not allowed to: ${what}. Allow it in the settings (allowed tools or permission mode) and retry the task.`, { kind: 'permission' });
        }
        return end('done', result.message);
      }

      const failure = result.failure ?? { kind: 'agent' as FailureKind };
      const said = `${name}: ${result.message}`;
      switch (failure.kind) {
        case 'cancelled':
          return end('cancelled', 'cancelled', failure);
        case 'agent':
          // The agent ran and did not succeed (max turns, its own error): the task's problem, not the provider's.
          slot.breaker.recordSuccess();
          if (resumeSessionId && /no conversation found|session .*not found|no rollout found/i.test(result.message)) {
            // The provider lost the conversation (it died before saving it): start over on the same provider.
            resumeSessionId = undefined;
            continue;
          }
          return end('failed', said, failure);
        case 'not-installed':
        case 'auth':
        case 'bad-request': {
          dead.add(name);
          const fix = failure.kind === 'auth' && !unusable ? ` ${slot.provider.loginHint}` : '';
          if (failure.kind === 'auth') {
            // Other tasks skip it for the cooldown; a missing CLI is caught by the cached preflight instead.
            slot.breaker.trip();
            slot.rejected = `${sentence(said)}${fix}`;
          }
          const next = this._nextUsable(index, dead);
          if (next === undefined) {
            return end('failed', `${sentence(said)}${fix}`, failure);
          }
          handover = yield* this._fallBack(index, next, result.message, progress);
          [index, resumeSessionId, triesHere] = [next, undefined, 0];
          continue;
        }
        case 'usage-limit': {
          const until = failure.resetsAt !== undefined && failure.resetsAt > this._clock.now() ? failure.resetsAt : this._clock.now() + (this._options.defaultParkMs ?? DEFAULTS.defaultParkMs);
          slot.unavailableUntil = until;
          const next = this._nextUsable(index, dead);
          if (next !== undefined) {
            handover = yield* this._fallBack(index, next, result.message, progress);
            [index, resumeSessionId, triesHere] = [next, undefined, 0];
            continue;
          }
          // Nothing else can take it: wait for the earliest reset among the providers, then go on there.
          const soonest = this._soonestAvailable(dead);
          const parkedAt = soonest ?? index;
          const resumeAt = this._slots[parkedAt]!.unavailableUntil;
          yield { type: 'parked', provider: this._slots[parkedAt]!.provider.name, until: resumeAt, reason: result.message };
          await this._sleepUntil(resumeAt, task.signal);
          if (parkedAt !== index) {
            handover = handoverText(name, result.message, progress);
            resumeSessionId = undefined;
          } else {
            resumeSessionId = progress.files.size + progress.commands.length > 0 ? result.sessionId : undefined;
          }
          [index, triesHere] = [parkedAt, 0];
          continue;
        }
        default: {
          // Transient: 429 after the CLI's own retries, 5xx, a torn stream, a hang, a killed CLI.
          const backoff = this._options.backoff ?? DEFAULTS.backoff;
          const heldFor = slot.limiter.heldUntil - this._clock.now();
          // A rate limit whose end is known is not a sign of a broken provider: it does not count toward the
          // breaker (three tasks hitting one used-up window would otherwise keep it out for minutes).
          if (!(failure.kind === 'rate-limit' && heldFor > 0)) {
            slot.breaker.recordFailure();
          }
          // Held longer than a backoff would wait (a long retry-after, a used-up rate-limit window): another
          // provider takes the task now rather than this one waiting it out.
          const elsewhere = this._elsewhereWhileHeld(index, dead);
          if (elsewhere !== undefined) {
            handover = yield* this._fallBack(index, elsewhere, `${name} is rate limited for ${Math.ceil(heldFor / 60_000)} min: ${result.message}`, progress);
            [index, resumeSessionId, triesHere] = [elsewhere, undefined, 0];
            continue;
          }
          if (triesHere < attemptsPerProvider && slot.breaker.canUse()) {
            const delayMs = backoffDelay(triesHere, backoff, this._options.random);
            yield { type: 'retrying', provider: name, attempt: triesHere + 1, delayMs, reason: result.message };
            await this._clock.sleep(delayMs, task.signal).catch(() => undefined);
            // Continue the conversation when the agent had already done something; else start clean.
            resumeSessionId = progress.files.size + progress.commands.length > 0 && result.sessionId ? result.sessionId : undefined;
            continue;
          }
          const next = this._nextUsable(index, dead);
          const reason = `failed ${triesHere} time${triesHere === 1 ? '' : 's'}, last: ${result.message}`;
          if (next === undefined) {
            return end('failed', `${name} ${sentence(reason)} It may be down or overloaded: retry the task later, or add another provider to the fallback chain.`, failure);
          }
          handover = yield* this._fallBack(index, next, reason, progress);
          [index, resumeSessionId, triesHere] = [next, undefined, 0];
          continue;
        }
      }
    }
  }

  private async *_runOnce(slot: ProviderSlot, run: Parameters<AgentProvider['run']>[0], progress: Progress): AsyncGenerator<DispatchEvent, { result: ProviderResult; denials: string[] }> {
    const name = slot.provider.name;
    const denials: string[] = [];
    const stream = slot.provider.run(run);
    for (let next = await stream.next(); ; next = await stream.next()) {
      if (next.done) {
        return { result: next.value, denials };
      }
      const event = next.value;
      switch (event.type) {
        case 'file_change':
          progress.files.set(event.path, event.kind);
          break;
        case 'command':
          progress.commands.push(`${event.command} (exit ${event.exitCode ?? '?'})`);
          break;
        case 'text':
          progress.lastText = event.text;
          break;
        case 'permission_denied':
          denials.push(`${event.tool} ${event.summary}`.trim());
          break;
        case 'retry':
          // The CLI is waiting out a 429/529 itself: hold this provider's other requests as long.
          if (event.delayMs && (event.status === 429 || event.status === 529)) {
            slot.limiter.holdUntil(this._clock.now() + event.delayMs);
          }
          break;
        default:
          break;
      }
      yield { type: 'agent', provider: name, event };
    }
  }

  private async _preflight(slot: ProviderSlot): Promise<{ kind: FailureKind; message: string } | undefined> {
    if (this._options.preflight === false) {
      return undefined;
    }
    slot.detection ??= slot.provider.detect().catch((error: unknown) => ({ installed: false, fix: String(error) }));
    const detection = await slot.detection;
    if (!detection.installed) {
      return { kind: 'not-installed', message: detection.fix ?? 'not installed' };
    }
    if (detection.authenticated === false) {
      slot.detection = undefined; // the user may log in meanwhile: check again next time
      return { kind: 'auth', message: `not logged in. ${detection.fix ?? slot.provider.loginHint}` };
    }
    return undefined;
  }

  /** When this provider is held longer than a backoff would wait: the next one that is not, if any. */
  private _elsewhereWhileHeld(index: number, dead: ReadonlySet<ProviderName>): number | undefined {
    const maxHeldMs = (this._options.backoff ?? DEFAULTS.backoff).maxMs;
    return this._slots[index]!.limiter.heldUntil - this._clock.now() > maxHeldMs ? this._nextUsable(index, dead, maxHeldMs) : undefined;
  }

  /** The next provider that can take a task now; with `maxHeldMs`, not one held (rate limited) longer than that. */
  private _nextUsable(from: number, dead: ReadonlySet<ProviderName>, maxHeldMs = Number.POSITIVE_INFINITY): number | undefined {
    const now = this._clock.now();
    for (let step = 1; step < this._slots.length; step++) {
      const candidate = (from + step) % this._slots.length;
      const slot = this._slots[candidate]!;
      if (!dead.has(slot.provider.name) && slot.breaker.canUse() && slot.unavailableUntil <= now && slot.limiter.heldUntil - now <= maxHeldMs) {
        return candidate;
      }
    }
    return undefined;
  }

  private _soonestAvailable(dead: ReadonlySet<ProviderName>): number | undefined {
    let best: number | undefined;
    this._slots.forEach((slot, i) => {
      if (!dead.has(slot.provider.name) && (best === undefined || slot.unavailableUntil < this._slots[best]!.unavailableUntil)) {
        best = i;
      }
    });
    return best;
  }

  /** Announces the hand-over and returns the summary the next provider gets with the task. */
  private *_fallBack(from: number, to: number, reason: string, progress: Progress): Generator<DispatchEvent, string> {
    const fromName = this._slots[from]!.provider.name;
    const summary = handoverText(fromName, reason, progress);
    yield { type: 'fallback', from: fromName, to: this._slots[to]!.provider.name, reason, summary };
    return summary;
  }

  private async _sleepUntil(time: number, signal?: AbortSignal): Promise<void> {
    const wait = time - this._clock.now();
    if (wait > 0) {
      await this._clock.sleep(wait, signal).catch(() => undefined);
    }
  }
}

/** The written summary a fallback provider gets with the task, so it continues instead of starting over. */
function handoverText(from: ProviderName, reason: string, progress: Progress): string {
  const lines = [`## Handed over from ${from}`, `${from} started this task and stopped before finishing it (${oneLine(reason)}).`];
  if (progress.files.size === 0 && progress.commands.length === 0 && !progress.lastText) {
    lines.push('It made no changes that ACA saw. Do the whole task.');
    return lines.join('\n');
  }
  lines.push('What it did so far, as ACA saw it:');
  for (const [file, kind] of progress.files) {
    lines.push(`- ${kind} ${file}`);
  }
  for (const command of progress.commands.slice(-10)) {
    lines.push(`- ran \`${command}\``);
  }
  if (progress.lastText) {
    lines.push(`- its last message: ${oneLine(progress.lastText)}`);
  }
  lines.push('These changes are already in the workspace. Check them, then finish the task; do not redo finished work.');
  return lines.join('\n');
}

function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}

function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, cachedTokens: a.cachedTokens + b.cachedTokens };
}
