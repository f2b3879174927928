/**
 * The dispatcher's public types: its options, the task it is given, the events it reports while it runs,
 * and its result. dispatcher.ts re-exports them.
 */
import type { FailureInfo } from './failures';
import type { Clock, LimiterOptions } from './limits';
import type { AgentProvider, ProviderEvent, ProviderName, TokenUsage } from './provider';

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
