/**
 * Providers that are models, not agents: the Anthropic Messages API, the OpenAI Responses API, and any
 * OpenAI-compatible server (Ollama, LM Studio, llama.cpp, vLLM). ACA runs the agent loop itself with the AI
 * SDK (`streamText` with tools, one step per model turn) and the workspace tools, and reports the same
 * events as the CLI providers, so the dispatcher retries, parks and falls back the same way. The SDK's own
 * retries are off: the dispatcher owns retrying, with the provider's limiter held for `retry-after`.
 * Keys come from the caller (SecretStorage in VS Code, the environment in the CLI) and are never logged.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, hasToolCall, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import * as z from 'zod';
import { redactSecrets } from '../common/logger';
import { PROTECTED_FILES, PROTECTED_FOLDERS, PROTECTED_SUFFIXES } from '../agent/protectedPaths';
import { ToolRefusal, WorkspaceTools, type CommandPolicy } from '../agent/workspaceTools';
import type { FailureInfo } from './failures';
import { systemClock } from './limits';
import { RatePacer } from './ratePacing';
import { contextWindowOf, trimContext } from '../agent/contextTrim';
import { NO_USAGE, priceOf, type AgentProvider, type Detection, type Price, type ProviderEvent, type ProviderResult, type TaskRun, type TokenUsage } from './provider';

/** The model APIs ACA reaches over HTTP with a URL and a key. */
export type HttpModelApiName = 'anthropic' | 'openai' | 'local-model';
/** …and `vscode-lm`: a model the host (VS Code's `vscode.lm`) supplies, in the extension only. */
export type ModelApiName = HttpModelApiName | 'vscode-lm';

/** A model the host supplies, already wrapped as an AI SDK model. */
export interface HostModel {
  readonly model: LanguageModel;
  /** How the user names it (`vendor/family`), for messages and the journal. */
  readonly id: string;
  /** Its input window in tokens, when the host says. */
  readonly contextWindow?: number;
}

/** Finds the host's model each time a task starts (models come and go with the extensions that provide them). */
export interface HostModelSource {
  resolve(): Promise<HostModel | { readonly fix: string }>;
}

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

export interface ModelAgentOptions {
  readonly name: ModelApiName;
  readonly model: string;
  /** The API's base URL (Anthropic: without `/v1`, as `ANTHROPIC_BASE_URL`; OpenAI and local: with `/v1`). */
  readonly baseUrl?: string;
  readonly apiKey?: string;
  /** Model turns per attempt (default 40). */
  readonly maxSteps?: number;
  readonly commands: CommandPolicy;
  readonly commandTimeoutMs?: number;
  readonly maxOutputTokens?: number;
  /** How long the stream may stay silent before ACA ends it as a hang (default 10 minutes). */
  readonly idleTimeoutMs?: number;
  readonly prices?: Readonly<Record<string, Price>>;
  /** The model's input window in tokens, for trimming old tool outputs (default: a table of known models). */
  readonly contextWindow?: number;
  /** `vscode-lm`: where the model comes from (none outside VS Code). */
  readonly host?: HostModelSource;
}

const DEFAULT_BASE: Record<HttpModelApiName, string> = {
  anthropic: 'https://api.anthropic.com',
  openai: 'https://api.openai.com/v1',
  'local-model': 'http://127.0.0.1:11434/v1',
};

/** What to do when a model API rejects the key (shared with one-shot completions, modelCompletion.ts). */
export const KEY_HINT: Record<ModelApiName, string> = {
  anthropic: 'Set an Anthropic API key: "ACA: Set API Key…" in VS Code, ANTHROPIC_API_KEY for the aca command.',
  openai: 'Set an OpenAI API key: "ACA: Set API Key…" in VS Code, OPENAI_API_KEY for the aca command.',
  'local-model': 'The local model server refused the request: if it needs a key, set LOCAL_MODEL_API_KEY (the aca command); check its address (OLLAMA_HOST, local_model.base_url, aca.localModel.baseUrl).',
  'vscode-lm': 'Install and sign in to an extension that provides language models to VS Code (e.g. GitHub Copilot Chat), and allow ACA to use them when VS Code asks.',
};

/** What to do when no local model server answers. */
export const LOCAL_SERVER_HINT = 'start it (e.g. `ollama serve`) or check its address (OLLAMA_HOST, local_model.base_url in aca.toml, aca.localModel.baseUrl in VS Code).';

const ONLY_IN_VSCODE = 'vscode-lm uses the language models of VS Code (e.g. Copilot\'s): it runs only in the ACA extension, not in the aca command';

/**
 * The longest wait for a rate-limit window inside a run; a longer one ends the attempt as rate limited. Above
 * the usual per-minute windows with a margin (clock skew, the time the answer took), so those are waited out.
 */
const MAX_PACE_MS = 120_000;

export class ModelAgentProvider implements AgentProvider {
  readonly name: ModelApiName;
  readonly loginHint: string;
  /** Shared by every task of this provider: the API's rate-limit window is per key, not per task. */
  private readonly _pacer = new RatePacer();

  constructor(private readonly _options: ModelAgentOptions) {
    this.name = _options.name;
    this.loginHint = KEY_HINT[_options.name];
  }

  private get _baseUrl(): string {
    return this.name === 'vscode-lm' ? '' : (this._options.baseUrl ?? DEFAULT_BASE[this.name]).replace(/\/+$/, '');
  }

  async detect(): Promise<Detection> {
    const capabilities = { streaming: true, resume: false, structuredOutput: true, toolUse: true, costReporting: false };
    if (this.name === 'vscode-lm') {
      const found = await this._options.host?.resolve();
      if (!found) {
        return { installed: false, fix: ONLY_IN_VSCODE };
      }
      return 'fix' in found ? { installed: false, fix: found.fix } : { installed: true, version: found.id, authenticated: true, capabilities: { ...capabilities, structuredOutput: false } };
    }
    if (this.name !== 'local-model') {
      return this._options.apiKey ? { installed: true, authenticated: true, capabilities } : { installed: true, authenticated: false, capabilities, fix: this.loginHint };
    }
    const models = await fetch(`${this._baseUrl}/models`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!models?.ok) {
      return { installed: false, fix: `No model server answers at ${this._baseUrl}: ${LOCAL_SERVER_HINT}` };
    }
    const listed = ((await models.json().catch(() => ({}))) as { data?: Array<{ id?: unknown }> }).data ?? [];
    if (listed.length > 0 && !listed.some((m) => m.id === this._options.model)) {
      return { installed: false, fix: `The server at ${this._baseUrl} has no model "${this._options.model}": run \`ollama pull ${this._options.model}\`, or choose one of ${listed.map((m) => String(m.id)).join(', ')}.` };
    }
    // Ollama says what a model can do (`/api/show`); other servers answer 404 here and are taken at their word.
    const root = this._baseUrl.replace(/\/v1$/, '');
    const shown = await fetch(`${root}/api/show`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: this._options.model }), signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    const probed = shown?.ok ? ((await shown.json().catch(() => ({}))) as { capabilities?: unknown }).capabilities : undefined;
    if (Array.isArray(probed) && !probed.includes('tools')) {
      return { installed: false, fix: `"${this._options.model}" cannot call tools (Ollama lists ${probed.join(', ') || 'no capabilities'}), so it cannot run tasks; choose a model with tool calling, e.g. qwen2.5-coder or llama3.1.` };
    }
    return { installed: true, authenticated: true, capabilities };
  }

  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    const started = Date.now();
    let model: LanguageModel;
    let modelId = this._options.model;
    let hostWindow: number | undefined;
    if (this.name === 'vscode-lm') {
      const found = await this._options.host?.resolve();
      if (!found || 'fix' in found) {
        return { success: false, message: found?.fix ?? ONLY_IN_VSCODE, failure: { kind: 'not-installed' }, usage: NO_USAGE, durationMs: Date.now() - started };
      }
      [model, modelId, hostWindow] = [found.model, found.id, found.contextWindow];
    } else {
      model = languageModelFor(this.name, { model: modelId, baseUrl: this._baseUrl, ...(this._options.apiKey ? { apiKey: this._options.apiKey } : {}) });
    }
    const pending: ProviderEvent[] = [];
    const workspace = new WorkspaceTools(task.cwd, {
      commands: this._options.commands,
      ...(this._options.commandTimeoutMs ? { commandTimeoutMs: this._options.commandTimeoutMs } : {}),
      onEvent: (event) => pending.push(event),
      ...(task.signal ? { signal: task.signal } : {}),
    });
    let usage: TokenUsage = NO_USAGE;
    let lastText = '';
    let text = '';
    let failure: { message: string; info: FailureInfo } | undefined;
    let finishReason: string | undefined;
    let steps = 0;
    // Neither the SDK nor every server ends a silent stream: a watchdog does, as for the CLIs.
    const idleMs = this._options.idleTimeoutMs ?? 600_000;
    const idle = new AbortController();
    let idleTimer: ReturnType<typeof setTimeout> | undefined;
    const touch = (): void => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => idle.abort(), idleMs);
    };
    touch();
    // A rate-limit window used up for longer than a run should wait ends the attempt (see prepareStep).
    const windowShut = new AbortController();
    let shutBy: { message: string; delayMs: number } | undefined;
    const signal = AbortSignal.any([...(task.signal ? [task.signal] : []), idle.signal, windowShut.signal]);
    let lastInputTokens = 0;
    let trimmedSoFar = 0;
    const contextWindow = this._options.contextWindow ?? hostWindow ?? contextWindowOf(modelId);
    const stream = streamText({
      model,
      system: systemPrompt(task.cwd),
      prompt: task.prompt,
      tools: agentTools(workspace),
      stopWhen: [stepCountIs(this._options.maxSteps ?? 40), hasToolCall('task_complete')],
      // Before each model request: wait out a used-up rate-limit window (the headers said so) rather than earn a 429.
      prepareStep: async ({ messages, steps }) => {
        // The last answer's headers and size, read here: the consumer of the stream may not have seen them yet.
        const last = steps.at(-1);
        if (last) {
          // A relative reset ("6m0s") is counted from now, a little after the headers came: waiting slightly
          // longer is safe, and the response's own timestamp is whole seconds on some servers.
          this._pacer.observe(last.response.headers, Date.now());
          lastInputTokens = last.usage.inputTokens ?? lastInputTokens;
        }
        const pace = this._pacer.next(Date.now(), lastInputTokens);
        if (pace) {
          const delayMs = pace.until - Date.now();
          if (delayMs > MAX_PACE_MS) {
            shutBy = { message: `${this.name}: the rate-limit window is used up (${pace.reason}) until ${new Date(pace.until).toISOString()}`, delayMs };
            windowShut.abort();
            return undefined;
          }
          clearTimeout(idleTimer); // waiting is not hanging
          await systemClock.sleep(delayMs, signal).catch(() => undefined); // an abort ends the stream next
          touch();
          pending.push({ type: 'paced', delayMs, reason: pace.reason });
        }
        // Near the model's window, the oldest tool outputs give way (never the task); the SDK hands the full
        // history each step, so the same outputs are trimmed again and the conversation's start stays stable.
        if (!contextWindow) {
          return undefined;
        }
        const trim = trimContext(messages, { contextWindow });
        if (trim.trimmed + trim.shortened > trimmedSoFar) {
          trimmedSoFar = trim.trimmed + trim.shortened;
          pending.push({ type: 'trimmed', outputs: trim.trimmed, shortened: trim.shortened, tokensBefore: trim.tokensBefore, tokensAfter: trim.tokensAfter, contextWindow });
        }
        return trim.messages === messages ? undefined : { messages: trim.messages };
      },
      maxRetries: 0,
      // Errors arrive as `error` parts of the stream and are classified there; the SDK would also print them.
      onError: () => undefined,
      ...(this._options.maxOutputTokens ? { maxOutputTokens: this._options.maxOutputTokens } : {}),
      abortSignal: signal,
    });
    yield { type: 'session', sessionId: `${this.name}-${started.toString(36)}`, model: modelId };
    try {
      for await (const part of stream.fullStream) {
        touch();
        yield* pending.splice(0);
        switch (part.type) {
          case 'text-delta':
            text += part.text;
            break;
          case 'text-end':
            if (text.trim()) {
              lastText = text;
              yield { type: 'text', text };
            }
            text = '';
            break;
          case 'tool-call':
            yield { type: 'tool', name: part.toolName, summary: summarize(part.input) };
            break;
          case 'finish':
            finishReason = part.finishReason;
            break;
          case 'finish-step': {
            steps++;
            const step: TokenUsage = { inputTokens: part.usage.inputTokens ?? 0, outputTokens: part.usage.outputTokens ?? 0, cachedTokens: part.usage.inputTokenDetails?.cacheReadTokens ?? 0 };
            usage = { inputTokens: usage.inputTokens + step.inputTokens, outputTokens: usage.outputTokens + step.outputTokens, cachedTokens: usage.cachedTokens + step.cachedTokens };
            yield { type: 'usage', usage: step };
            break;
          }
          case 'error':
            failure = classify(part.error, this.name);
            if (failure.info.status === 429 || failure.info.status === 529) {
              const delayMs = retryAfterMs(part.error);
              if (delayMs !== undefined) {
                yield { type: 'retry', attempt: 1, status: failure.info.status, delayMs };
              }
            }
            yield { type: 'error', message: failure.message };
            break;
          case 'abort':
            if (shutBy) {
              failure = { message: shutBy.message, info: { kind: 'rate-limit', status: 429 } };
              yield { type: 'retry', attempt: 1, status: 429, delayMs: shutBy.delayMs };
              break;
            }
            failure = idle.signal.aborted && !task.signal?.aborted ? { message: `no answer for ${Math.round(idleMs / 1000)} s: ${this.name} was stopped`, info: { kind: 'network' } } : { message: 'cancelled', info: { kind: 'cancelled' } };
            break;
          default:
            break;
        }
      }
    } finally {
      clearTimeout(idleTimer);
    }
    yield* pending.splice(0);
    // vscode-lm's models are paid for by the user's subscription (e.g. Copilot's): no price, so no cost.
    const costUsd = this.name === 'vscode-lm' ? undefined : priceOf(modelId, usage, this._options.prices);
    const common = { usage, durationMs: Date.now() - started, ...(costUsd !== undefined ? { costUsd } : {}) };
    if (task.signal?.aborted) {
      return { success: false, message: 'cancelled', failure: { kind: 'cancelled' }, ...common };
    }
    if (failure) {
      return { success: false, message: failure.message, failure: failure.info, ...common };
    }
    if (workspace.completion !== undefined) {
      return { success: true, message: workspace.completion, ...common };
    }
    // A model that ends its turn without the tool has finished too (many do): its last words are the summary.
    if (finishReason === 'stop' && lastText) {
      return { success: true, message: lastText, ...common };
    }
    if (finishReason === 'tool-calls') {
      return { success: false, message: `the model used all ${steps} steps (the step limit) without finishing the task`, failure: { kind: 'agent' }, ...common };
    }
    if (finishReason === 'length') {
      return { success: false, message: 'the model ran out of output tokens before finishing', failure: { kind: 'agent' }, ...common };
    }
    return { success: false, message: `${this.name}: the stream ended early (finish reason: ${finishReason ?? 'none'})`, failure: { kind: 'network' }, ...common };
  }

}

/** The AI SDK model for a model API (the agent loop and one-shot completions share it). */
export function languageModelFor(name: HttpModelApiName, options: { readonly model: string; readonly baseUrl?: string; readonly apiKey?: string }): LanguageModel {
  const baseUrl = (options.baseUrl ?? DEFAULT_BASE[name]).replace(/\/+$/, '');
  const key = options.apiKey ? { apiKey: options.apiKey } : {};
  switch (name) {
    case 'anthropic':
      return createAnthropic({ baseURL: `${baseUrl}/v1`, ...key })(options.model);
    case 'openai':
      return createOpenAI({ baseURL: baseUrl, ...key })(options.model);
    case 'local-model':
      // Ollama 0.5+, LM Studio, llama.cpp's server and vLLM take `response_format: json_schema` (analysis uses it;
      // a server that refuses it gets plain text, see modelCompletion.ts).
      return createOpenAICompatible({ name: 'local-model', baseURL: baseUrl, ...key, includeUsage: true, supportsStructuredOutputs: true })(options.model);
  }
}

function systemPrompt(root: string): string {
  return [
    'You are a coding agent working on one task in a software project.',
    `The project folder is ${root}; every path you use is relative to it, and nothing outside it can be read or written.`,
    `Configuration that git, ACA, editors and agents act on cannot be written: ${[...PROTECTED_FOLDERS.map((folder) => `${folder}/`), ...PROTECTED_FILES, ...PROTECTED_SUFFIXES.map((end) => `*${end}`)].join(', ')}.`,
    'Use the tools: read_file, list_directory, search_text, write_file, edit_file (replace one exact, unique snippet), run_command (no shell: one program and its arguments; code given inline, like node -e, needs the user\'s permission).',
    'Work step by step; check your work when you can. When the task is done, call task_complete with a short summary of what you changed.',
  ].join('\n');
}

/** The AI SDK tools over the workspace; a refusal or error goes back to the model as the tool's answer. */
function agentTools(workspace: WorkspaceTools) {
  const guarded =
    <I>(run: (input: I) => Promise<string> | string) =>
    async (input: I): Promise<string> => {
      try {
        return await run(input);
      } catch (error) {
        return `Error: ${error instanceof ToolRefusal || error instanceof Error ? error.message : String(error)}`;
      }
    };
  return {
    read_file: tool({ description: 'Read a text file.', inputSchema: z.object({ path: z.string() }), execute: guarded(({ path }) => workspace.readFile(path)) }),
    list_directory: tool({ description: 'List a directory (default: the project folder).', inputSchema: z.object({ path: z.string().optional() }), execute: guarded(({ path }) => workspace.listDirectory(path ?? '.')) }),
    search_text: tool({ description: 'Find lines containing a text, literally.', inputSchema: z.object({ text: z.string(), path: z.string().optional() }), execute: guarded(({ text, path }) => workspace.searchText(text, path ?? '.')) }),
    write_file: tool({ description: 'Create or overwrite a file with the given content.', inputSchema: z.object({ path: z.string(), content: z.string() }), execute: guarded(({ path, content }) => workspace.writeFile(path, content)) }),
    edit_file: tool({
      description: 'Replace one exact, unique occurrence of old_text in a file with new_text.',
      inputSchema: z.object({ path: z.string(), old_text: z.string(), new_text: z.string() }),
      execute: guarded(({ path, old_text, new_text }) => workspace.editFile(path, old_text, new_text)),
    }),
    run_command: tool({ description: 'Run one command (a program and its arguments, no shell) in the project folder.', inputSchema: z.object({ command: z.string() }), execute: guarded(({ command }) => workspace.runCommand(command)) }),
    task_complete: tool({ description: 'Say that the task is done, with a summary of the changes.', inputSchema: z.object({ summary: z.string() }), execute: guarded(({ summary }) => workspace.complete(summary)) }),
  };
}

function summarize(input: unknown): string {
  if (input && typeof input === 'object') {
    const record = input as Record<string, unknown>;
    const main = record['path'] ?? record['command'] ?? record['text'] ?? record['summary'];
    if (typeof main === 'string') {
      return main.length > 200 ? `${main.slice(0, 200)}…` : main;
    }
  }
  return '';
}

function retryAfterMs(error: unknown): number | undefined {
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
      return { message: `${name}: the model cannot call tools, so it cannot run tasks (HTTP ${status}): ${detail}. Choose a model with tool calling (e.g. qwen2.5-coder or llama3.1).`, info: { kind: 'bad-request', status } };
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
      return { message: `vscode-lm: the language model provider blocked the request (${detail}); its quota or rate limit is likely used up`, info: { kind: 'usage-limit' } };
    case 'NotFound':
      return { message: `vscode-lm: the language model is gone (${detail}); choose another in the setting aca.vscodeLm.model`, info: { kind: 'not-installed' } };
    default:
      return { message: `vscode-lm: ${detail}`, info: { kind: 'network' } };
  }
}
