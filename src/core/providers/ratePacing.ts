/**
 * Pacing by the APIs' rate-limit headers, so a busy agent loop waits before a 429 instead of after it.
 * Anthropic sends `anthropic-ratelimit-{requests,tokens,input-tokens,output-tokens}-{limit,remaining,reset}`
 * (reset: an RFC 3339 time); OpenAI and many compatible servers `x-ratelimit-{limit,remaining,reset}-{requests,tokens}`
 * (reset: a duration such as `6m0s`, `1.5s` or `20ms`). One pacer per provider is shared by all its tasks.
 */

export interface PaceDecision {
  /** Epoch ms to wait until before the next request. */
  readonly until: number;
  /** Which budget ran out, for the transcript: `requests` or `tokens`. */
  readonly reason: string;
}

interface Budget {
  readonly remaining: number;
  readonly resetAt: number;
}

export class RatePacer {
  private _requests: Budget | undefined;
  private _tokens: Budget | undefined;

  /** Reads a response's headers (lower-case names, as fetch gives them). Unknown or absent headers change nothing. */
  observe(headers: Readonly<Record<string, string>> | undefined, now: number): void {
    if (!headers) {
      return;
    }
    const requests = budget(headers, ['anthropic-ratelimit-requests', 'x-ratelimit-remaining-requests'], now);
    // Anthropic's input-token budget is the one a growing conversation exhausts; `tokens` is the combined one.
    const tokens = lowest([
      budget(headers, ['anthropic-ratelimit-input-tokens', 'x-ratelimit-remaining-tokens'], now),
      budget(headers, ['anthropic-ratelimit-tokens'], now),
    ]);
    if (requests) {
      this._requests = requests;
    }
    if (tokens) {
      this._tokens = tokens;
    }
  }

  /**
   * Whether the next request must wait, and until when: no requests left, or fewer tokens left than the
   * request is expected to use (the loop passes the last step's input tokens: a conversation only grows).
   */
  next(now: number, expectedTokens: number): PaceDecision | undefined {
    const waits: PaceDecision[] = [];
    if (this._requests && this._requests.resetAt > now && this._requests.remaining < 1) {
      waits.push({ until: this._requests.resetAt, reason: 'no requests left in this window' });
    }
    if (this._tokens && this._tokens.resetAt > now && this._tokens.remaining < expectedTokens) {
      waits.push({ until: this._tokens.resetAt, reason: `${this._tokens.remaining} tokens left in this window, about ${expectedTokens} needed` });
    }
    return waits.sort((a, b) => b.until - a.until)[0];
  }
}

/** `<prefix>-remaining` + `<prefix>-reset` (Anthropic), or OpenAI's `x-ratelimit-remaining-X` + `x-ratelimit-reset-X`. */
function budget(headers: Readonly<Record<string, string>>, prefixes: readonly string[], now: number): Budget | undefined {
  for (const prefix of prefixes) {
    const openAi = prefix.startsWith('x-ratelimit-remaining-');
    const remainingText = openAi ? headers[prefix] : headers[`${prefix}-remaining`];
    const resetText = openAi ? headers[prefix.replace('remaining', 'reset')] : headers[`${prefix}-reset`];
    const remaining = Number(remainingText);
    const resetAt = resetText === undefined ? undefined : openAi ? now + (parseDuration(resetText) ?? NaN) : Date.parse(resetText);
    if (remainingText !== undefined && Number.isFinite(remaining) && resetAt !== undefined && Number.isFinite(resetAt)) {
      return { remaining, resetAt };
    }
  }
  return undefined;
}

function lowest(budgets: ReadonlyArray<Budget | undefined>): Budget | undefined {
  return budgets.filter((b): b is Budget => b !== undefined).sort((a, b) => a.remaining - b.remaining)[0];
}

/** OpenAI's reset durations: `1s`, `6m0s`, `1h2m3.5s`, `20ms`; a bare number is seconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) {
    return Number(trimmed) * 1000;
  }
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };
  let total = 0;
  let rest = trimmed;
  while (rest) {
    const match = /^(\d+(?:\.\d+)?)(ms|h|m|s)/.exec(rest);
    if (!match) {
      return undefined;
    }
    total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
    rest = rest.slice(match[0].length);
  }
  return trimmed ? total : undefined;
}
