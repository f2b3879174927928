/**
 * Reading the model's stream in the agent loop: what one run has seen (text, usage, the failure, why it
 * finished), the idle watchdog, the provider events each part of the stream makes, and the run's result.
 */
import type { TextStreamPart } from 'ai';
import type { FailureInfo } from './failures';
import type { ModelApiName } from './modelAgent';
import { classify, retryAfterMs } from './modelErrors';
import { summarize, type AgentTools } from './modelTools';
import { NO_USAGE, type ProviderEvent, type ProviderResult, type TokenUsage } from './provider';

/**
 * What one run has seen so far, shared by the step preparer and the stream's reader, and the watchdog:
 * neither the SDK nor every server ends a silent stream, so a timer does, as for the CLIs.
 */
export class RunWatch {
  /** Events of the tools and the step preparer, passed on with the stream's next part. */
  readonly pending: ProviderEvent[] = [];
  usage: TokenUsage = NO_USAGE;
  /** The text of the assistant message being streamed, and of the last one finished. */
  text = '';
  lastText = '';
  failure: { message: string; info: FailureInfo } | undefined;
  finishReason: string | undefined;
  steps = 0;
  /** Ends the stream when it stays silent for `idleMs`. */
  readonly idle = new AbortController();
  /** A rate-limit window used up for longer than a run should wait ends the attempt (see the step preparer). */
  readonly windowShut = new AbortController();
  shutBy: { message: string; delayMs: number } | undefined;
  private _idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly idleMs: number) {}

  /** The stream is alive: the watchdog starts again. */
  touch(): void {
    clearTimeout(this._idleTimer);
    this._idleTimer = setTimeout(() => this.idle.abort(), this.idleMs);
  }

  /** No watchdog until the next `touch` (a wait that is not a hang, or the end). */
  stop(): void {
    clearTimeout(this._idleTimer);
  }
}

/** One part of the model's stream: the events it makes, and what the run's result will need from it. */
export function* readStreamPart(
  part: TextStreamPart<AgentTools>,
  watch: RunWatch,
  name: ModelApiName,
  taskSignal: AbortSignal | undefined,
): Generator<ProviderEvent, void> {
  switch (part.type) {
    case 'text-delta':
      watch.text += part.text;
      break;
    case 'text-end':
      if (watch.text.trim()) {
        watch.lastText = watch.text;
        yield { type: 'text', text: watch.text };
      }
      watch.text = '';
      break;
    case 'tool-call':
      yield { type: 'tool', name: part.toolName, summary: summarize(part.input) };
      break;
    case 'finish':
      watch.finishReason = part.finishReason;
      break;
    case 'finish-step': {
      watch.steps++;
      const step: TokenUsage = {
        inputTokens: part.usage.inputTokens ?? 0,
        outputTokens: part.usage.outputTokens ?? 0,
        cachedTokens: part.usage.inputTokenDetails?.cacheReadTokens ?? 0,
      };
      watch.usage = {
        inputTokens: watch.usage.inputTokens + step.inputTokens,
        outputTokens: watch.usage.outputTokens + step.outputTokens,
        cachedTokens: watch.usage.cachedTokens + step.cachedTokens,
      };
      yield { type: 'usage', usage: step };
      break;
    }
    case 'error': {
      const failure = (watch.failure = classify(part.error, name));
      if (failure.info.status === 429 || failure.info.status === 529) {
        const delayMs = retryAfterMs(part.error);
        if (delayMs !== undefined) {
          yield { type: 'retry', attempt: 1, status: failure.info.status, delayMs };
        }
      }
      yield { type: 'error', message: failure.message };
      break;
    }
    case 'abort':
      if (watch.shutBy) {
        watch.failure = { message: watch.shutBy.message, info: { kind: 'rate-limit', status: 429 } };
        yield { type: 'retry', attempt: 1, status: 429, delayMs: watch.shutBy.delayMs };
        break;
      }
      watch.failure =
        watch.idle.signal.aborted && !taskSignal?.aborted
          ? { message: `no answer for ${Math.round(watch.idleMs / 1000)} s: ${name} was stopped`, info: { kind: 'network' } }
          : { message: 'cancelled', info: { kind: 'cancelled' } };
      break;
    default:
      break;
  }
}

/** How the run ended, from what its stream said. */
export function streamResult(
  watch: RunWatch,
  end: { name: ModelApiName; taskSignal: AbortSignal | undefined; completion: string | undefined; costUsd: number | undefined; started: number },
): ProviderResult {
  const { usage, failure, finishReason, lastText } = watch;
  const { costUsd } = end;
  const common = { usage, durationMs: Date.now() - end.started, ...(costUsd !== undefined ? { costUsd } : {}) };
  if (end.taskSignal?.aborted) {
    return { success: false, message: 'cancelled', failure: { kind: 'cancelled' }, ...common };
  }
  if (failure) {
    return { success: false, message: failure.message, failure: failure.info, ...common };
  }
  if (end.completion !== undefined) {
    return { success: true, message: end.completion, ...common };
  }
  // A model that ends its turn without the tool has finished too (many do): its last words are the summary.
  if (finishReason === 'stop' && lastText) {
    return { success: true, message: lastText, ...common };
  }
  if (finishReason === 'tool-calls') {
    return {
      success: false,
      message: `the model used all ${watch.steps} steps (the step limit) without finishing the task`,
      failure: { kind: 'agent' },
      ...common,
    };
  }
  if (finishReason === 'length') {
    return { success: false, message: 'the model ran out of output tokens before finishing', failure: { kind: 'agent' }, ...common };
  }
  return { success: false, message: `${end.name}: the stream ended early (finish reason: ${finishReason ?? 'none'})`, failure: { kind: 'network' }, ...common };
}
