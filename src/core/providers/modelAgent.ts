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
import { hasToolCall, stepCountIs, streamText, type LanguageModel, type PrepareStepFunction } from 'ai';
import { contextWindowOf, trimContext } from '../agent/contextTrim';
import { WorkspaceTools, type CommandPolicy } from '../agent/workspaceTools';
import { systemClock } from './limits';
import { agentTools, systemPrompt, type AgentTools } from './modelTools';
import { readStreamPart, RunWatch, streamResult } from './modelStream';
import { RatePacer } from './ratePacing';
import { NO_USAGE, priceOf, type AgentProvider, type Detection, type Price, type ProviderEvent, type ProviderResult, type TaskRun } from './provider';

export { classify, HostModelError } from './modelErrors';

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
  'local-model':
    'The local model server refused the request: if it needs a key, set LOCAL_MODEL_API_KEY (the aca command); check its address (OLLAMA_HOST, local_model.base_url, aca.localModel.baseUrl).',
  'vscode-lm':
    'Install and sign in to an extension that provides language models to VS Code (e.g. GitHub Copilot Chat), and allow ACA to use them when VS Code asks.',
};

/** What to do when no local model server answers. */
export const LOCAL_SERVER_HINT =
  'start it (e.g. `ollama serve`) or check its address (OLLAMA_HOST, local_model.base_url in aca.toml, aca.localModel.baseUrl in VS Code).';

const ONLY_IN_VSCODE = "vscode-lm uses the language models of VS Code (e.g. Copilot's): it runs only in the ACA extension, not in the aca command";

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
      return 'fix' in found
        ? { installed: false, fix: found.fix }
        : { installed: true, version: found.id, authenticated: true, capabilities: { ...capabilities, structuredOutput: false } };
    }
    if (this.name !== 'local-model') {
      return this._options.apiKey
        ? { installed: true, authenticated: true, capabilities }
        : { installed: true, authenticated: false, capabilities, fix: this.loginHint };
    }
    // A server that does not answer (refused, timed out) is the finding itself: it is told as the fix below.
    const models = await fetch(`${this._baseUrl}/models`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (!models?.ok) {
      return { installed: false, fix: `No model server answers at ${this._baseUrl}: ${LOCAL_SERVER_HINT}` };
    }
    // A list that is not JSON says nothing about the model: taken as an empty list.
    const listed = ((await models.json().catch(() => ({}))) as { data?: Array<{ id?: unknown }> }).data ?? [];
    if (listed.length > 0 && !listed.some((m) => m.id === this._options.model)) {
      return {
        installed: false,
        fix: `The server at ${this._baseUrl} has no model "${this._options.model}": run \`ollama pull ${this._options.model}\`, or choose one of ${listed.map((m) => String(m.id)).join(', ')}.`,
      };
    }
    // Ollama says what a model can do (`/api/show`); other servers answer 404 here and are taken at their word,
    // as are servers whose answer does not come or is not JSON (the catches below).
    const root = this._baseUrl.replace(/\/v1$/, '');
    const shown = await fetch(`${root}/api/show`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: this._options.model }),
      signal: AbortSignal.timeout(5000),
    }).catch(() => undefined);
    const probed = shown?.ok ? ((await shown.json().catch(() => ({}))) as { capabilities?: unknown }).capabilities : undefined;
    if (Array.isArray(probed) && !probed.includes('tools')) {
      return {
        installed: false,
        fix: `"${this._options.model}" cannot call tools (Ollama lists ${probed.join(', ') || 'no capabilities'}), so it cannot run tasks; choose a model with tool calling, e.g. qwen2.5-coder or llama3.1.`,
      };
    }
    return { installed: true, authenticated: true, capabilities };
  }

  async *run(task: TaskRun): AsyncGenerator<ProviderEvent, ProviderResult> {
    const started = Date.now();
    const resolved = await this._resolveModel();
    if ('fix' in resolved) {
      return { success: false, message: resolved.fix, failure: { kind: 'not-installed' }, usage: NO_USAGE, durationMs: Date.now() - started };
    }
    const { model, modelId } = resolved;
    const watch = new RunWatch(this._options.idleTimeoutMs ?? 600_000);
    const workspace = new WorkspaceTools(task.cwd, {
      commands: this._options.commands,
      ...(this._options.commandTimeoutMs ? { commandTimeoutMs: this._options.commandTimeoutMs } : {}),
      onEvent: (event) => watch.pending.push(event),
      ...(task.signal ? { signal: task.signal } : {}),
    });
    watch.touch();
    const signal = AbortSignal.any([...(task.signal ? [task.signal] : []), watch.idle.signal, watch.windowShut.signal]);
    const contextWindow = this._options.contextWindow ?? resolved.contextWindow ?? contextWindowOf(modelId);
    const stream = streamText({
      model,
      system: systemPrompt(task.cwd),
      prompt: task.prompt,
      tools: agentTools(workspace),
      stopWhen: [stepCountIs(this._options.maxSteps ?? 40), hasToolCall('task_complete')],
      prepareStep: this._stepPreparer(watch, signal, contextWindow),
      maxRetries: 0,
      // Errors arrive as `error` parts of the stream and are classified there; the SDK would also print them.
      onError: () => undefined,
      ...(this._options.maxOutputTokens ? { maxOutputTokens: this._options.maxOutputTokens } : {}),
      abortSignal: signal,
    });
    yield { type: 'session', sessionId: `${this.name}-${started.toString(36)}`, model: modelId };
    try {
      for await (const part of stream.fullStream) {
        watch.touch();
        yield* watch.pending.splice(0);
        yield* readStreamPart(part, watch, this.name, task.signal);
      }
    } finally {
      watch.stop();
    }
    yield* watch.pending.splice(0);
    // vscode-lm's models are paid for by the user's subscription (e.g. Copilot's): no price, so no cost.
    const costUsd = this.name === 'vscode-lm' ? undefined : priceOf(modelId, watch.usage, this._options.prices);
    return streamResult(watch, { name: this.name, taskSignal: task.signal, completion: workspace.completion, costUsd, started });
  }

  /** The model to run: the configured API's, or the one the host supplies now (`vscode-lm`). */
  private async _resolveModel(): Promise<{ model: LanguageModel; modelId: string; contextWindow?: number } | { fix: string }> {
    if (this.name !== 'vscode-lm') {
      const model = languageModelFor(this.name, {
        model: this._options.model,
        baseUrl: this._baseUrl,
        ...(this._options.apiKey ? { apiKey: this._options.apiKey } : {}),
      });
      return { model, modelId: this._options.model };
    }
    const found = await this._options.host?.resolve();
    if (!found || 'fix' in found) {
      return { fix: found?.fix ?? ONLY_IN_VSCODE };
    }
    return { model: found.model, modelId: found.id, ...(found.contextWindow !== undefined ? { contextWindow: found.contextWindow } : {}) };
  }

  /**
   * Before each model request: wait out a used-up rate-limit window (the headers said so) rather than earn a
   * 429, and trim old tool outputs near the model's context window.
   */
  private _stepPreparer(watch: RunWatch, signal: AbortSignal, contextWindow: number | undefined): PrepareStepFunction<AgentTools> {
    let lastInputTokens = 0;
    let trimmedSoFar = 0;
    return async ({ messages, steps }) => {
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
          watch.shutBy = { message: `${this.name}: the rate-limit window is used up (${pace.reason}) until ${new Date(pace.until).toISOString()}`, delayMs };
          watch.windowShut.abort();
          return undefined;
        }
        watch.stop(); // waiting is not hanging
        await systemClock.sleep(delayMs, signal).catch(() => undefined); // an abort ends the stream next
        watch.touch();
        watch.pending.push({ type: 'paced', delayMs, reason: pace.reason });
      }
      // Near the model's window, the oldest tool outputs give way (never the task); the SDK hands the full
      // history each step, so the same outputs are trimmed again and the conversation's start stays stable.
      if (!contextWindow) {
        return undefined;
      }
      const trim = trimContext(messages, { contextWindow });
      if (trim.trimmed + trim.shortened > trimmedSoFar) {
        trimmedSoFar = trim.trimmed + trim.shortened;
        watch.pending.push({
          type: 'trimmed',
          outputs: trim.trimmed,
          shortened: trim.shortened,
          tokensBefore: trim.tokensBefore,
          tokensAfter: trim.tokensAfter,
          contextWindow,
        });
      }
      return trim.messages === messages ? undefined : { messages: trim.messages };
    };
  }
}

/** The AI SDK model for a model API (the agent loop and one-shot completions share it). */
export function languageModelFor(
  name: HttpModelApiName,
  options: { readonly model: string; readonly baseUrl?: string; readonly apiKey?: string },
): LanguageModel {
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
