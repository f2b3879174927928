/**
 * Provider limits: a waiting token bucket with continuous refill (a request waits for capacity instead of
 * being rejected), a per-provider limiter for requests and tokens per minute plus a concurrency cap, a
 * circuit breaker that keeps a failing provider out for a while, and backoff with jitter that honours
 * `retry-after`. Time comes from a Clock, so tests run on a fake one.
 */

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export class TokenBucket {
  private _level: number;
  private _updated: number;
  /** Takers wait in arrival order, so a large request is not starved by small ones. */
  private _queue: Promise<void> = Promise.resolve();

  constructor(
    readonly capacity: number,
    /** Units added per millisecond. */
    private readonly _refillPerMs: number,
    private readonly _clock: Clock = systemClock,
  ) {
    this._level = capacity;
    this._updated = _clock.now();
  }

  /** How long `amount` would have to wait now (0 when available). */
  waitTime(amount: number): number {
    this._refill();
    const needed = Math.min(amount, this.capacity) - this._level;
    return needed <= 0 ? 0 : Math.ceil(needed / this._refillPerMs);
  }

  /** Waits until `amount` is available, then takes it. Amounts over the capacity take the whole bucket. */
  take(amount: number, signal?: AbortSignal): Promise<void> {
    const turn = this._queue.then(async () => {
      for (let wait = this.waitTime(amount); wait > 0; wait = this.waitTime(amount)) {
        await this._clock.sleep(wait, signal);
      }
      this._level -= Math.min(amount, this.capacity);
    });
    // The queue only orders turns: the caller gets `turn` itself, with its error; the queue must not reject.
    this._queue = turn.catch(() => undefined);
    return turn;
  }

  private _refill(): void {
    const now = this._clock.now();
    this._level = Math.min(this.capacity, this._level + (now - this._updated) * this._refillPerMs);
    this._updated = now;
  }
}

export interface LimiterOptions {
  readonly requestsPerMinute?: number;
  readonly tokensPerMinute?: number;
  readonly maxConcurrent?: number;
}

/** Requests, tokens and concurrency for one provider. `acquire` resolves to a release function. */
export class ProviderLimiter {
  private readonly _requests?: TokenBucket;
  private readonly _tokens?: TokenBucket;
  private _running = 0;
  private readonly _waiting: Array<() => void> = [];
  private _heldUntil = 0;

  constructor(
    private readonly _options: LimiterOptions,
    private readonly _clock: Clock = systemClock,
  ) {
    if (_options.requestsPerMinute) {
      this._requests = new TokenBucket(_options.requestsPerMinute, _options.requestsPerMinute / 60_000, _clock);
    }
    if (_options.tokensPerMinute) {
      this._tokens = new TokenBucket(_options.tokensPerMinute, _options.tokensPerMinute / 60_000, _clock);
    }
  }

  get running(): number {
    return this._running;
  }

  /** Adaptive backoff: a real 429/529 (with its retry-after) holds every new request until `time`. */
  holdUntil(time: number): void {
    this._heldUntil = Math.max(this._heldUntil, time);
  }

  /** Epoch ms before which new requests wait (0 when not held). */
  get heldUntil(): number {
    return this._heldUntil > this._clock.now() ? this._heldUntil : 0;
  }

  async acquire(estimatedTokens: number, signal?: AbortSignal): Promise<() => void> {
    for (let wait = this._heldUntil - this._clock.now(); wait > 0; wait = this._heldUntil - this._clock.now()) {
      await this._clock.sleep(wait, signal);
    }
    const max = this._options.maxConcurrent ?? Number.POSITIVE_INFINITY;
    while (this._running >= max) {
      // Abortable: a cancelled task stops waiting for a slot.
      await new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          this._waiting.splice(this._waiting.indexOf(wake), 1);
          reject(signal?.reason);
        };
        const wake = (): void => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        };
        if (signal?.aborted) {
          reject(signal.reason);
          return;
        }
        signal?.addEventListener('abort', onAbort, { once: true });
        this._waiting.push(wake);
      });
    }
    this._running++;
    try {
      await this._requests?.take(1, signal);
      await this._tokens?.take(estimatedTokens, signal);
    } catch (error) {
      this._release();
      throw error;
    }
    let released = false;
    return () => {
      if (!released) {
        released = true;
        this._release();
      }
    };
  }

  private _release(): void {
    this._running--;
    this._waiting.shift()?.();
  }
}

export type CircuitState = 'closed' | 'open' | 'half-open';

/** After `failureThreshold` failures in a row the provider is out for `cooldownMs`; then one trial call. */
export class CircuitBreaker {
  private _failures = 0;
  private _openedAt: number | undefined;

  constructor(
    private readonly _options: { failureThreshold: number; cooldownMs: number },
    private readonly _clock: Clock = systemClock,
  ) {}

  get state(): CircuitState {
    if (this._openedAt === undefined) {
      return 'closed';
    }
    return this._clock.now() - this._openedAt >= this._options.cooldownMs ? 'half-open' : 'open';
  }

  /** When the provider may be used again (ms from now); 0 when it may be used now. */
  get retryInMs(): number {
    // state is 'open' only while _openedAt is set.
    return this.state === 'open' && this._openedAt !== undefined ? this._openedAt + this._options.cooldownMs - this._clock.now() : 0;
  }

  canUse(): boolean {
    return this.state !== 'open';
  }

  recordSuccess(): void {
    this._failures = 0;
    this._openedAt = undefined;
  }

  /** Out now, for the whole cooldown: for failures that another try cannot fix (a bad login). */
  trip(): void {
    this._failures = Math.max(this._failures, this._options.failureThreshold);
    this._openedAt = this._clock.now();
  }

  recordFailure(): void {
    this._failures++;
    if (this.state === 'half-open' || this._failures >= this._options.failureThreshold) {
      this._openedAt = this._clock.now();
    }
  }
}

/**
 * Delay before retry `attempt` (1-based): exponential with full jitter, capped; a server's `retry-after`
 * is a floor, never shortened by the jitter.
 */
export function backoffDelay(attempt: number, options: { baseMs: number; maxMs: number; retryAfterMs?: number }, random: () => number = Math.random): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(random() * ceiling);
  return Math.max(jittered, options.retryAfterMs ?? 0);
}
