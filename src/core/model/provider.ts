/**
 * What every face and folder says about the coding agents: their names and the normalized events a run
 * streams. Types only (and two constants), so that the agent loop and the config can name them without
 * depending on the providers themselves.
 */

/** The agent CLIs, then the model APIs ACA runs its own agent loop with. */
export const PROVIDER_NAMES = ['claude-code', 'openai-codex', 'anthropic', 'openai', 'local-model', 'vscode-lm'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface TokenUsage {
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedTokens: number;
}

export type ProviderEvent =
  | { readonly type: 'session'; readonly sessionId: string; readonly model?: string }
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'tool'; readonly name: string; readonly summary: string }
  | { readonly type: 'file_change'; readonly path: string; readonly kind: string }
  | { readonly type: 'command'; readonly command: string; readonly exitCode: number | null }
  | { readonly type: 'usage'; readonly usage: TokenUsage }
  | { readonly type: 'permission_denied'; readonly tool: string; readonly summary: string }
  /** ACA's own agent loop decided whether a command may run (allowlist, the user's answer, or nobody to ask). */
  | { readonly type: 'decision'; readonly command: string; readonly allowed: boolean; readonly why: string }
  | { readonly type: 'retry'; readonly attempt: number; readonly status?: number; readonly delayMs?: number }
  /** ACA's agent loop waited before its next request because the API's rate-limit headers said the window is used up. */
  | { readonly type: 'paced'; readonly delayMs: number; readonly reason: string }
  /** ACA's agent loop replaced old tool outputs to stay inside the model's window (the task itself is never cut). */
  | {
      readonly type: 'trimmed';
      readonly outputs: number;
      readonly shortened: number;
      readonly tokensBefore: number;
      readonly tokensAfter: number;
      readonly contextWindow: number;
    }
  /** The plan's usage limit: `rejected` means it is used up until `resetsAt` (epoch ms). */
  | { readonly type: 'rate_limit'; readonly status: string; readonly resetsAt?: number }
  | { readonly type: 'error'; readonly message: string };

export const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cachedTokens: 0 };
