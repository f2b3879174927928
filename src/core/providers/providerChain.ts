/**
 * The providers of a dispatcher's chain, each with its state shared by every task that goes through the
 * dispatcher: its limiter (requests, tokens, concurrency, holds after real 429s), its circuit breaker, its
 * cached preflight, and how long a usage limit keeps it out. Which one can take a task now is asked here;
 * what a dispatch does with the answer is the dispatcher's.
 */
import { must } from '../common/must';
import type { FailureKind } from './failures';
import type { TaskProgress } from './handover';
import { CircuitBreaker, ProviderLimiter, type Clock, type LimiterOptions } from './limits';
import type { AgentProvider, Detection, ProviderEvent, ProviderName, ProviderResult } from './provider';

export interface ProviderSlot {
  readonly provider: AgentProvider;
  readonly limiter: ProviderLimiter;
  readonly breaker: CircuitBreaker;
  detection?: Promise<Detection>;
  /** Out of use until then (a usage limit). */
  unavailableUntil: number;
  /** Why it was taken out for good (a rejected login): told to the next task instead of making it wait. */
  rejected?: string;
}

/** An event of the agent, as the dispatcher passes it on (a member of its DispatchEvent). */
export interface AgentEvent {
  readonly type: 'agent';
  readonly provider: ProviderName;
  readonly event: ProviderEvent;
}

export interface ProviderChainOptions {
  readonly limits?: Partial<Record<ProviderName, LimiterOptions>>;
  readonly breaker: { readonly failureThreshold: number; readonly cooldownMs: number };
  /** Check each provider with `detect()` before its first run. */
  readonly preflight: boolean;
}

export class ProviderChain {
  private readonly _slots: ProviderSlot[];

  constructor(
    chain: readonly AgentProvider[],
    private readonly _options: ProviderChainOptions,
    private readonly _clock: Clock,
  ) {
    this._slots = chain.map((provider) => ({
      provider,
      limiter: new ProviderLimiter(_options.limits?.[provider.name] ?? {}, _clock),
      breaker: new CircuitBreaker(_options.breaker, _clock),
      unavailableUntil: 0,
    }));
  }

  /** The provider at `index` of the chain; every index the dispatcher uses comes from the chain itself. */
  slot(index: number): ProviderSlot {
    return must(this._slots[index], `provider ${index} of the chain`);
  }

  /** Where a provider is in the chain; -1 when it is not there. */
  indexOf(name: ProviderName): number {
    return this._slots.findIndex((s) => s.provider.name === name);
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

  /** When this provider is held longer than `maxHeldMs` (what a backoff would wait): the next one that is not, if any. */
  elsewhereWhileHeld(index: number, dead: ReadonlySet<ProviderName>, maxHeldMs: number): number | undefined {
    return this.slot(index).limiter.heldUntil - this._clock.now() > maxHeldMs ? this.nextUsable(index, dead, maxHeldMs) : undefined;
  }

  /** The next provider that can take a task now; with `maxHeldMs`, not one held (rate limited) longer than that. */
  nextUsable(from: number, dead: ReadonlySet<ProviderName>, maxHeldMs = Number.POSITIVE_INFINITY): number | undefined {
    const now = this._clock.now();
    for (let step = 1; step < this._slots.length; step++) {
      const candidate = (from + step) % this._slots.length;
      const slot = this.slot(candidate);
      if (!dead.has(slot.provider.name) && slot.breaker.canUse() && slot.unavailableUntil <= now && slot.limiter.heldUntil - now <= maxHeldMs) {
        return candidate;
      }
    }
    return undefined;
  }

  /** The provider whose usage limit resets first, among those that can serve the task. */
  soonestAvailable(dead: ReadonlySet<ProviderName>): number | undefined {
    let best: { index: number; until: number } | undefined;
    this._slots.forEach((slot, index) => {
      if (!dead.has(slot.provider.name) && (best === undefined || slot.unavailableUntil < best.until)) {
        best = { index, until: slot.unavailableUntil };
      }
    });
    return best?.index;
  }

  /** Why the provider cannot run now (not installed, not logged in), from its cached `detect()`; undefined when it can. */
  async preflight(slot: ProviderSlot): Promise<{ kind: FailureKind; message: string } | undefined> {
    if (!this._options.preflight) {
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

  /** One run of the provider: its events pass through (noted in `progress`), with the permissions it was denied. */
  async *runOnce(
    slot: ProviderSlot,
    run: Parameters<AgentProvider['run']>[0],
    progress: TaskProgress,
  ): AsyncGenerator<AgentEvent, { result: ProviderResult; denials: string[] }> {
    const name = slot.provider.name;
    const denials: string[] = [];
    const stream = slot.provider.run(run);
    for (let next = await stream.next(); ; next = await stream.next()) {
      if (next.done) {
        return { result: next.value, denials };
      }
      const event = next.value;
      progress.observe(event);
      if (event.type === 'permission_denied') {
        denials.push(`${event.tool} ${event.summary}`.trim());
      } else if (event.type === 'retry' && event.delayMs && (event.status === 429 || event.status === 529)) {
        // The CLI is waiting out a 429/529 itself: hold this provider's other requests as long.
        slot.limiter.holdUntil(this._clock.now() + event.delayMs);
      }
      yield { type: 'agent', provider: name, event };
    }
  }
}
