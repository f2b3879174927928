/**
 * One interface for every coding-agent provider. A run is an async stream of normalized events ending in
 * a result; the engine journals the events and stores the provider's session id so that an interrupted
 * task continues its conversation (resume) instead of starting over.
 */
import type { FailureInfo } from './failures';

// The names and the event stream are shared with the agent loop and the config, which sit below this folder.
export { NO_USAGE, PROVIDER_NAMES, type ProviderEvent, type ProviderName, type TokenUsage } from '../model/provider';
import type { ProviderEvent, ProviderName, TokenUsage } from '../model/provider';

export interface ProviderResult {
  readonly success: boolean;
  /** The agent's final message, or what went wrong. */
  readonly message: string;
  readonly sessionId?: string;
  readonly usage: TokenUsage;
  /** USD, when the provider reports it or a price is known. */
  readonly costUsd?: number;
  readonly durationMs: number;
  /** The model's context window in tokens, when the provider reports it. */
  readonly contextWindow?: number;
  /** Why it failed, when it did: what the dispatcher decides on (retry, park, fall back, give up). */
  readonly failure?: FailureInfo;
}

export interface TaskRun {
  /** The task's instructions: reaches the agent as an argument or on stdin, never through a shell. */
  readonly prompt: string;
  /** The task's working folder. */
  readonly cwd: string;
  readonly signal?: AbortSignal;
  /** Continue this provider session (its conversation is resent by the CLI). */
  readonly resumeSessionId?: string;
  /** Codex reports usage cumulatively per thread: what the thread had used before this run. */
  readonly usageBefore?: TokenUsage;
}

/** What a provider can do, read from its own `--help` (not guessed from a version number). */
export interface Capabilities {
  readonly streaming: boolean;
  readonly resume: boolean;
  /** Answers validated against a JSON schema (`--json-schema`, `--output-schema`). */
  readonly structuredOutput: boolean;
  readonly toolUse: boolean;
  /** Reports its own cost; otherwise ACA prices the tokens from its table. */
  readonly costReporting: boolean;
}

export interface Detection {
  readonly installed: boolean;
  readonly version?: string;
  readonly capabilities?: Capabilities;
  /** Undefined when it cannot be told without a request. */
  readonly authenticated?: boolean;
  /** What the user can do, when something is missing. */
  readonly fix?: string;
}

export interface AgentProvider {
  readonly name: ProviderName;
  /** What to do when its login or key is rejected. */
  readonly loginHint: string;
  detect(): Promise<Detection>;
  run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult>;
}

export interface Price {
  readonly input: number;
  readonly output: number;
  readonly cached: number;
}

/** Prices in USD per million tokens (protocols/http-apis.md, Nov 2026); `[prices."model"]` in aca.toml overrides. */
export const PRICES_PER_MILLION: Readonly<Record<string, Price>> = {
  'claude-opus-4-5': { input: 5, output: 25, cached: 0.5 },
  'claude-opus-4-6': { input: 5, output: 25, cached: 0.5 },
  'claude-opus-4-7': { input: 5, output: 25, cached: 0.5 },
  'claude-opus-4-8': { input: 5, output: 25, cached: 0.5 },
  'claude-opus-5': { input: 5, output: 25, cached: 0.5 },
  'claude-sonnet-4-5': { input: 3, output: 15, cached: 0.3 },
  'claude-sonnet-4-6': { input: 3, output: 15, cached: 0.3 },
  'claude-sonnet-5': { input: 2, output: 10, cached: 0.2 },
  'claude-sonnet-5-5': { input: 2, output: 10, cached: 0.2 },
  'claude-haiku-4-5': { input: 1, output: 5, cached: 0.1 },
  'gpt-5.5': { input: 5, output: 30, cached: 0.5 },
  'gpt-5.4': { input: 2.5, output: 15, cached: 0.25 },
  'gpt-5.4-mini': { input: 0.75, output: 4.5, cached: 0.075 },
};

export function priceOf(model: string | undefined, usage: TokenUsage, prices: Readonly<Record<string, Price>> = PRICES_PER_MILLION): number | undefined {
  const price = model ? (prices[model] ?? PRICES_PER_MILLION[model]) : undefined;
  if (!price) {
    return undefined;
  }
  const uncached = Math.max(0, usage.inputTokens - usage.cachedTokens);
  return (uncached * price.input + usage.cachedTokens * price.cached + usage.outputTokens * price.output) / 1_000_000;
}

/** A short, single-line description of a tool call's input for logs and views. */
export function summarizeToolInput(input: unknown): string {
  if (typeof input === 'object' && input !== null) {
    const record = input as Record<string, unknown>;
    for (const key of ['file_path', 'command', 'cmd', 'path', 'pattern', 'url']) {
      if (typeof record[key] === 'string') {
        return oneLine(record[key]);
      }
    }
  }
  return oneLine(typeof input === 'string' ? input : (JSON.stringify(input) ?? ''));
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** Why a CLI could not be started at all (not found, not executable), or undefined when it ran. */
export function spawnFailure(
  executable: string,
  exited: { failed: boolean; exitCode?: number | undefined; signal?: string | undefined; isCanceled: boolean; shortMessage?: string; code?: string },
): string | undefined {
  // A signal means it ran and was killed (from outside): that is not a failure to start.
  if (!exited.failed || exited.exitCode !== undefined || exited.signal !== undefined || exited.isCanceled) {
    return undefined;
  }
  return exited.code === 'ENOENT'
    ? `cannot run "${executable}": not found; install it or set its path in the settings`
    : `cannot run "${executable}": ${exited.shortMessage ?? 'it could not be started'}`;
}

/**
 * Ends a CLI that prints nothing for `ms`: neither CLI reliably times out a stalled stream by itself.
 * `touch()` on every line of output; `signal` aborts the run (combined with the caller's).
 */
export class IdleWatch {
  private readonly _idle = new AbortController();
  private _timer: NodeJS.Timeout;
  readonly signal: AbortSignal;

  constructor(
    readonly ms: number,
    outer?: AbortSignal,
  ) {
    this._timer = setTimeout(() => this._idle.abort(), ms);
    this.signal = outer ? AbortSignal.any([outer, this._idle.signal]) : this._idle.signal;
  }

  get fired(): boolean {
    return this._idle.signal.aborted;
  }

  touch(): void {
    clearTimeout(this._timer);
    this._timer = setTimeout(() => this._idle.abort(), this.ms);
  }

  dispose(): void {
    clearTimeout(this._timer);
  }

  describe(cli: string): string {
    return `no output for ${Math.round(this.ms / 1000)} s: ${cli} was stopped (it does not end a stalled run by itself)`;
  }
}

/** Long enough for a slow build inside a tool call; configurable per provider. */
export const DEFAULT_IDLE_TIMEOUT_MS = 600_000;
