/**
 * One-shot completions through a model API (the AI SDK), for plan analysis: the prompt as one user message,
 * the answer's JSON Schema as the API's own structured output where the model has it (Anthropic
 * `output_config.format`, OpenAI `text.format`, Chat Completions `response_format`), else plain text in
 * which analyze.ts looks for the JSON itself. No tools: a completion can never touch the workspace.
 */
import {
  APICallError,
  generateText,
  jsonSchema,
  LoadAPIKeyError,
  NoObjectGeneratedError,
  NoOutputGeneratedError,
  Output,
  RetryError,
  type JSONSchema7,
  type LanguageModel,
} from 'ai';
import { redactSecrets } from '../common/logger';
import type { CompletionAnswer, CompletionPort, CompletionRequest } from '../plan/analyze';
import { ProviderError } from './errors';
import { classify, KEY_HINT, LOCAL_SERVER_HINT, type ModelApiName } from './modelAgent';

export interface ModelCompletionOptions {
  /** The provider as the user names it (`anthropic`, `openai`, `local-model`): in the id and every message. */
  readonly name: string;
  readonly model: LanguageModel;
  readonly modelId: string;
  /** The whole call, retries included (default 5 minutes, as for Claude Code). */
  readonly timeoutMs?: number;
  /** Ask the API to enforce the schema (default true); off, the model is only asked for JSON in the prompt. */
  readonly structuredOutput?: boolean;
  /** Values never to show in a message (the API key), besides the key shapes redactSecrets knows. */
  readonly secrets?: readonly string[];
}

const DEFAULT_TIMEOUT_MS = 300_000;

/**
 * The schema is sent non-strict. Strict mode (OpenAI, and servers copying it) demands every property be
 * required, but the answer's fields are optional on purpose: a field left out keeps the plan's value. So the
 * schema guides the model and analyze.ts validates (with one retry). The keys are the SDK providers' option
 * names: `openai`, and `local-model`, the name the OpenAI-compatible provider is created with.
 */
const NON_STRICT_SCHEMA = { openai: { strictJsonSchema: false }, 'local-model': { strictJsonSchema: false } };

export class ModelCompletion implements CompletionPort {
  readonly id: string;
  private _structured: boolean;

  constructor(private readonly _options: ModelCompletionOptions) {
    this.id = `${_options.name}:${_options.modelId}`;
    this._structured = _options.structuredOutput ?? true;
  }

  async complete(request: CompletionRequest): Promise<CompletionAnswer> {
    const timeoutMs = this._options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
    try {
      if (this._structured) {
        try {
          return await this._ask(request, signal, true);
        } catch (error) {
          // OpenAI-compatible servers vary: one that refuses the response format gets plain text, from now on.
          if (signal.aborted || !refusesResponseFormat(error)) {
            throw error;
          }
          this._structured = false;
        }
      }
      return await this._ask(request, signal, false);
    } catch (error) {
      const name = this._options.name;
      if (request.signal?.aborted) {
        throw new ProviderError(name, 'cancelled', 'the analysis was cancelled');
      }
      if (timeout.aborted) {
        throw new ProviderError(name, 'timed-out', `no answer within ${Math.round(timeoutMs / 1000)} s`);
      }
      throw new ProviderError(name, 'failed', redactSecrets(describeFailure(error, name, this._options.modelId), this._options.secrets));
    }
  }

  private async _ask(request: CompletionRequest, signal: AbortSignal, structured: boolean): Promise<CompletionAnswer> {
    const call = {
      model: this._options.model,
      prompt: request.prompt,
      abortSignal: signal,
      providerOptions: NON_STRICT_SCHEMA,
      // The SDK's default retries (backing off from 2 s, honouring a retry-after under a minute), unlike the agent
      // loop's maxRetries 0: there the dispatcher owns retrying, but nothing else retries this one-shot call
      // after a 429, 5xx, overload or dropped connection (analyze.ts's second attempt is for an invalid answer).
      // 400, 401, 403 and 404 are not retried; the timeout covers the retries.
      maxRetries: 2,
    };
    if (!structured) {
      return { text: (await generateText(call)).text };
    }
    try {
      const result = await generateText({ ...call, output: Output.object({ schema: jsonSchema(request.schema as JSONSchema7), name: 'plan_analysis' }) });
      // jsonSchema() without a validator only parses: analyze.ts validates, naming what is wrong for the retry.
      return { structured: result.output, text: result.text };
    } catch (error) {
      // Text that is not JSON (or no text at all): analyze.ts's tolerant extraction and its retry take it from here.
      if (NoObjectGeneratedError.isInstance(error)) {
        return { text: error.text ?? '' };
      }
      if (NoOutputGeneratedError.isInstance(error)) {
        return { text: '' };
      }
      throw error;
    }
  }
}

/** A 400/422 about the request's format, as from a server that does not take `response_format: json_schema`. */
function refusesResponseFormat(error: unknown): boolean {
  return APICallError.isInstance(error) && (error.statusCode === 400 || error.statusCode === 422);
}

/** What went wrong and what to do, without the provider's name (ProviderError adds it). */
function describeFailure(error: unknown, name: string, modelId: string): string {
  const cause = RetryError.isInstance(error) ? error.lastError : error;
  if (LoadAPIKeyError.isInstance(cause)) {
    return `no API key. ${KEY_HINT[name as ModelApiName] ?? 'Set the API key.'}`;
  }
  // classify uses the name only in its messages, which start with it.
  const { message, info } = classify(cause, name as ModelApiName);
  const said = (
    message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message.startsWith(`${name} `) ? message.slice(name.length + 1) : message
  ).replace(/\.? Check the model name in the settings\.$/, '');
  const retried = RetryError.isInstance(error) ? ` (after ${error.errors.length} attempts)` : '';
  let fix: string | undefined;
  if (info.kind === 'auth') {
    // vscode-lm's message already says how to allow ACA; it has no key.
    fix = name === 'vscode-lm' ? undefined : (KEY_HINT[name as ModelApiName] ?? 'Check the API key.');
  } else if (info.status === 404) {
    fix = `Check the model name "${modelId}" (--model, the provider's model in aca.toml, or aca.analysis.model in VS Code)${name === 'local-model' ? ` or pull it (\`ollama pull ${modelId}\`)` : ''}, and the server's address.`;
  } else if (info.kind === 'rate-limit') {
    fix = 'Wait a minute and analyze again.';
  } else if (info.kind === 'usage-limit') {
    fix = 'Add credit to the account, or analyze with another provider.';
  } else if (info.kind === 'network' && name === 'local-model') {
    fix = `Start the local model server or check it: ${LOCAL_SERVER_HINT}`;
  }
  return `${said}${retried}${fix && !said.includes(fix) ? `${/[.!?]$/.test(said) ? '' : '.'} ${fix}` : ''}`;
}
