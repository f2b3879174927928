/**
 * The errors of a model API, as the dispatcher's failure kinds with a message that says what to do: the AI
 * SDK's HTTP errors, a stream's own error events, and the host's (VS Code's language-model) error codes.
 */
import { APICallError } from 'ai';
import { redactSecrets } from '../common/logger';
import type { FailureInfo } from './failures';
import type { ModelApiName } from './modelAgent';

/**
 * An error of the host's model API, as its code: VS Code's `LanguageModelError` codes `NoPermissions`,
 * `Blocked` and `NotFound` (the adapter in the extension converts them, so the core needs no `vscode`).
 */
export class HostModelError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostModelError';
  }
}

/** How long a 429/529 answer says to wait (`retry-after-ms`, `retry-after` in seconds), if it says. */
export function retryAfterMs(error: unknown): number | undefined {
  if (!APICallError.isInstance(error)) {
    return undefined;
  }
  const headers = error.responseHeaders ?? {};
  const ms = Number(headers['retry-after-ms']);
  if (Number.isFinite(ms) && ms > 0) {
    return ms;
  }
  const seconds = Number(headers['retry-after']);
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** An API error as the dispatcher's failure kinds, with a message that says what to do. */
export function classify(error: unknown, name: ModelApiName): { message: string; info: FailureInfo } {
  if (APICallError.isInstance(error)) {
    const status = error.statusCode;
    const body = String(error.responseBody ?? '');
    const detail = redactSecrets(`${error.message}`.slice(0, 300));
    if (status === 401 || status === 403) {
      return { message: `${name} rejected the key (HTTP ${status}): ${detail}`, info: { kind: 'auth', status } };
    }
    if (status === 429 && /insufficient_quota/.test(body)) {
      return { message: `${name}: the account's quota is used up (insufficient_quota): ${detail}`, info: { kind: 'usage-limit', status } };
    }
    if (status === 429) {
      return { message: `${name} is rate limiting (HTTP 429): ${detail}`, info: { kind: 'rate-limit', status } };
    }
    if (/does not support tools/i.test(body)) {
      return {
        message: `${name}: the model cannot call tools, so it cannot run tasks (HTTP ${status}): ${detail}. Choose a model with tool calling (e.g. qwen2.5-coder or llama3.1).`,
        info: { kind: 'bad-request', status },
      };
    }
    if (status === 404 && /model/i.test(body)) {
      return { message: `${name} does not know the model (HTTP 404): ${detail}. Check the model name in the settings.`, info: { kind: 'bad-request', status } };
    }
    if (status !== undefined && status >= 500) {
      return { message: `${name} had a server error (HTTP ${status}): ${detail}`, info: { kind: 'server', status } };
    }
    if (status !== undefined && status >= 400) {
      return { message: `${name} refused the request (HTTP ${status}): ${detail}`, info: { kind: 'bad-request', status } };
    }
    return { message: `${name}: ${detail}`, info: { kind: 'network' } };
  }
  if (error instanceof HostModelError) {
    return classifyHostError(error);
  }
  // A stream's own error event arrives as the parsed object: `{type, message}` or `{error: {type, message}}`.
  const message = error instanceof Error ? error.message : describeObject(error);
  if (/overloaded/i.test(message)) {
    return { message: `${name} is overloaded: ${redactSecrets(message)}`, info: { kind: 'server', status: 529 } };
  }
  return { message: `${name}: ${redactSecrets(message.slice(0, 300))}`, info: { kind: 'network' } };
}

/** An error that is not an Error (an API's in-stream error event): its message, else its JSON. */
function describeObject(error: unknown): string {
  if (error && typeof error === 'object') {
    const record = error as { message?: unknown; error?: { message?: unknown; type?: unknown }; type?: unknown };
    const message = record.message ?? record.error?.message;
    const type = record.type ?? record.error?.type;
    if (typeof message === 'string') {
      return typeof type === 'string' && type !== 'error' ? `${type}: ${message}` : message;
    }
    return JSON.stringify(error).slice(0, 300);
  }
  return String(error);
}

/** VS Code's language-model errors: what each means for the run, and what the user can do. */
function classifyHostError(error: HostModelError): { message: string; info: FailureInfo } {
  const detail = redactSecrets(error.message.slice(0, 300));
  switch (error.code) {
    case 'NoPermissions':
      return {
        message: `vscode-lm: VS Code did not allow ACA to use the language model (${detail}). Allow ACA when VS Code asks, or under Accounts > Manage Language Model Access, then run again.`,
        info: { kind: 'auth' },
      };
    case 'Blocked':
      // The provider refuses this extension for now (its quota or rate limit): park and fall back, do not hammer it.
      return {
        message: `vscode-lm: the language model provider blocked the request (${detail}); its quota or rate limit is likely used up`,
        info: { kind: 'usage-limit' },
      };
    case 'NotFound':
      return {
        message: `vscode-lm: the language model is gone (${detail}); choose another in the setting aca.vscodeLm.model`,
        info: { kind: 'not-installed' },
      };
    default:
      return { message: `vscode-lm: ${detail}`, info: { kind: 'network' } };
  }
}
