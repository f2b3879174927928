/**
 * Keeps ACA's own agent loop inside the model's context window. A long task piles up tool outputs (files it
 * read, command output) in the conversation; before each model turn the loop can pass its messages through
 * `trimContext`, which replaces the outputs of the oldest tool results with a short placeholder until the
 * estimate fits. The task (the first user message), system messages and the newest steps are never touched,
 * and every tool result keeps its part (same `toolCallId` and `toolName`), because the APIs refuse a tool
 * call without its result. Pure: no I/O, the input is never mutated, and the same input gives the same output.
 */
import type { AssistantModelMessage, ModelMessage, ToolResultPart } from 'ai';

type ToolResultOutput = ToolResultPart['output'];

export interface TrimOptions {
  /** The model's context window in tokens (see `contextWindowOf`; the caller falls back to a configured value). */
  readonly contextWindow: number;
  /**
   * Tokens kept free for what is not in `messages` — the answer, and the system prompt and tool schemas the
   * SDK sends beside them. Default: 20% of the window, but at least 8,000 (at most half the window).
   */
  readonly reserveTokens?: number;
  /** The newest tool messages (one per step) whose results are never trimmed. Default 2. */
  readonly keepRecentSteps?: number;
}

export interface TrimResult {
  /** The input array itself when nothing changed; otherwise a new array sharing every unchanged message. */
  readonly messages: ModelMessage[];
  /** Tool outputs replaced by a placeholder. */
  readonly trimmed: number;
  /** Long assistant texts of old steps cut short (only once every eligible tool output was trimmed). */
  readonly shortened: number;
  readonly tokensBefore: number;
  /** `estimateTokens` of the returned messages; still over budget when nothing more could be trimmed. */
  readonly tokensAfter: number;
}

/** Per message and per part: role markers, ids and the JSON around each part that the text itself misses. */
const MESSAGE_OVERHEAD = 4;
const PART_OVERHEAD = 4;
/** Old assistant texts longer than this are cut to `KEPT_TEXT_CHARS` when trimming tool outputs was not enough. */
const LONG_TEXT_CHARS = 2_000;
const KEPT_TEXT_CHARS = 1_000;
const PLACEHOLDER = /^\[(?:error )?output of .* trimmed to save context: [\d,]+ characters; call the tool again if you need it\]$/;

/**
 * A cheap, deterministic estimate of the tokens `messages` take: one token per 3 ASCII characters and one per
 * other UTF-16 unit, over all text, reasoning, tool names, tool inputs (as JSON) and tool outputs, plus a few
 * tokens per message and part. It leans high on purpose: the usual 4 characters per token is the average of
 * English prose, while code, JSON and paths — what fills an agent's context — tokenize denser, and non-Latin
 * scripts take about a token per character; trimming a little early is cheap, an overflow fails the turn.
 * Binary data counts as its base64 length, which overestimates images (APIs bill them by size in pixels).
 */
export function estimateTokens(messages: readonly ModelMessage[]): number {
  let total = 0;
  for (const message of messages) {
    total += messageTokens(message);
  }
  return total;
}

/**
 * Fits `messages` into `contextWindow - reserveTokens` by replacing tool outputs, oldest first, with a
 * placeholder that says what was dropped and that the tool can be called again. Only results in `tool`
 * messages older than the newest `keepRecentSteps` are eligible (provider-executed results inside assistant
 * messages stay as they are). If that is not enough, long assistant texts of those old steps are shortened,
 * oldest first. If even that is not enough the messages are returned as far as they could be trimmed — the API
 * then fails the turn with its own clear error, which is better than dropping the task or the newest results.
 */
export function trimContext(messages: ModelMessage[], options: TrimOptions): TrimResult {
  const { contextWindow } = options;
  if (!Number.isFinite(contextWindow) || contextWindow <= 0) {
    throw new RangeError(`contextWindow must be a positive number of tokens, not ${contextWindow}`);
  }
  const reserve = options.reserveTokens ?? Math.max(Math.ceil(contextWindow * 0.2), Math.min(8_000, Math.floor(contextWindow / 2)));
  const keepRecent = options.keepRecentSteps ?? 2;
  if (!(reserve >= 0) || !Number.isInteger(keepRecent) || keepRecent < 0) {
    throw new RangeError('reserveTokens and keepRecentSteps must not be negative');
  }
  const budget = contextWindow - reserve;
  const tokensBefore = estimateTokens(messages);
  if (tokensBefore <= budget) {
    return { messages, trimmed: 0, shortened: 0, tokensBefore, tokensAfter: tokensBefore };
  }

  const protectedFrom = firstProtectedIndex(messages, keepRecent);
  const trimming: Trimming = { tokens: tokensBefore, budget, replaced: new Map() };
  const trimmed = trimToolOutputs(messages, protectedFrom, trimming);
  const shortened = shortenAssistantTexts(messages, protectedFrom, trimming);
  if (trimming.replaced.size === 0) {
    return { messages, trimmed: 0, shortened: 0, tokensBefore, tokensAfter: tokensBefore };
  }
  return { messages: withReplacements(messages, trimming.replaced), trimmed, shortened, tokensBefore, tokensAfter: trimming.tokens };
}

/** The state of one trimming: the tokens left, the budget, and the replacements by message index, then part index (-1: the whole string content). */
interface Trimming {
  tokens: number;
  readonly budget: number;
  readonly replaced: Map<number, Map<number, unknown>>;
}

/** Records a replacement: only changed messages are copied, once, at the end (withReplacements). */
function replacePart(trimming: Trimming, messageIndex: number, partIndex: number, part: unknown): void {
  let parts = trimming.replaced.get(messageIndex);
  if (!parts) {
    parts = new Map();
    trimming.replaced.set(messageIndex, parts);
  }
  parts.set(partIndex, part);
}

/** First pass: tool outputs before `protectedFrom` become placeholders, oldest first, until the budget holds. */
function trimToolOutputs(messages: readonly ModelMessage[], protectedFrom: number, trimming: Trimming): number {
  let trimmed = 0;
  for (let i = 0; i < protectedFrom && trimming.tokens > trimming.budget; i++) {
    const message = messages[i];
    if (message?.role !== 'tool') {
      continue;
    }
    message.content.forEach((part, j) => {
      if (trimming.tokens <= trimming.budget || part.type !== 'tool-result') {
        return;
      }
      const replacement: ToolResultPart = { ...part, output: placeholderFor(part) };
      const saved = partTokens(part) - partTokens(replacement);
      // An output no longer than its placeholder (or already a placeholder) gains nothing.
      if (saved > 0 && !isPlaceholder(part.output)) {
        replacePart(trimming, i, j, replacement);
        trimming.tokens -= saved;
        trimmed++;
      }
    });
  }
  return trimmed;
}

/** Second pass: long assistant texts before `protectedFrom` are shortened, oldest first, until the budget holds. */
function shortenAssistantTexts(messages: readonly ModelMessage[], protectedFrom: number, trimming: Trimming): number {
  let shortened = 0;
  for (let i = 0; i < protectedFrom && trimming.tokens > trimming.budget; i++) {
    const message = messages[i];
    if (message?.role !== 'assistant') {
      continue;
    }
    if (typeof message.content === 'string') {
      const text = shorten(message.content);
      if (text !== undefined) {
        trimming.tokens -= textTokens(message.content) - textTokens(text);
        replacePart(trimming, i, -1, text);
        shortened++;
      }
      continue;
    }
    message.content.forEach((part, j) => {
      // Reasoning stays: providers sign it, and an edited signature fails the request.
      if (trimming.tokens <= trimming.budget || part.type !== 'text') {
        return;
      }
      const text = shorten(part.text);
      if (text !== undefined) {
        trimming.tokens -= textTokens(part.text) - textTokens(text);
        replacePart(trimming, i, j, { ...part, text });
        shortened++;
      }
    });
  }
  return shortened;
}

/** `messages` with the recorded replacements: changed messages copied, the others shared. */
function withReplacements(messages: readonly ModelMessage[], replaced: ReadonlyMap<number, ReadonlyMap<number, unknown>>): ModelMessage[] {
  return messages.map((message, i) => {
    const parts = replaced.get(i);
    if (!parts) {
      return message;
    }
    if (parts.has(-1)) {
      return { ...(message as AssistantModelMessage), content: parts.get(-1) as string };
    }
    const content = (message.content as unknown[]).map((part, j) => (parts.has(j) ? parts.get(j) : part));
    return { ...message, content } as ModelMessage;
  });
}

/**
 * The context window in tokens of well-known model families, by the model's id (`claude-sonnet-4-5`,
 * `copilot/gpt-4o`, `qwen2.5-coder:7b`); `undefined` when unknown, and the caller falls back to a configured
 * value. These are the models' own windows: a local server may run a model with less (Ollama's `num_ctx`),
 * and VS Code's models report their own limit, so a configured or reported value should win over this table.
 */
export function contextWindowOf(modelId: string): number | undefined {
  // Drop a vendor prefix (`vendor/family`) and an Ollama tag (`:7b`).
  const name = modelId.toLowerCase().replace(/^.*\//, '').replace(/:.*$/, '');
  return CONTEXT_WINDOWS.find(([pattern]) => pattern.test(name))?.[1];
}

/** First match wins, so more specific names come first. */
const CONTEXT_WINDOWS: ReadonlyArray<readonly [RegExp, number]> = [
  [/^claude-/, 200_000],
  [/^gpt-5/, 400_000],
  [/^gpt-4\.1/, 1_047_576],
  [/^gpt-4o/, 128_000],
  [/^o[134](?:-|$)/, 200_000],
  [/^qwen2\.5-coder/, 32_768],
  [/^llama3\.[123]/, 128_000],
];

/** The index of the first message of the newest `keep` steps (each step: the assistant turn and its tool message). */
function firstProtectedIndex(messages: readonly ModelMessage[], keep: number): number {
  let index = messages.length;
  let seen = 0;
  for (let i = messages.length - 1; i >= 0 && seen < keep; i--) {
    if (messages[i]?.role === 'tool') {
      seen++;
      index = i > 0 && messages[i - 1]?.role === 'assistant' ? i - 1 : i;
    }
  }
  return index;
}

function placeholderFor(part: ToolResultPart): ToolResultOutput {
  const error = part.output.type === 'error-text' || part.output.type === 'error-json';
  const value = `[${error ? 'error ' : ''}output of ${part.toolName} trimmed to save context: ${withCommas(outputLength(part.output))} characters; call the tool again if you need it]`;
  // An error stays an error: the APIs mark it as one (Anthropic's `is_error`), and the model reads it so.
  return error ? { type: 'error-text', value } : { type: 'text', value };
}

function isPlaceholder(output: ToolResultOutput): boolean {
  return (output.type === 'text' || output.type === 'error-text') && PLACEHOLDER.test(output.value);
}

function shorten(text: string): string | undefined {
  if (text.length <= LONG_TEXT_CHARS) {
    return undefined;
  }
  return `${text.slice(0, KEPT_TEXT_CHARS)}\n[${withCommas(text.length - KEPT_TEXT_CHARS)} more characters of this message trimmed to save context]`;
}

/** Locale-independent, so the placeholder is the same on every machine. */
function withCommas(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

function messageTokens(message: ModelMessage): number {
  if (typeof message.content === 'string') {
    return MESSAGE_OVERHEAD + textTokens(message.content);
  }
  let total = MESSAGE_OVERHEAD;
  for (const part of message.content) {
    total += partTokens(part);
  }
  return total;
}

type Part = Exclude<ModelMessage['content'], string>[number];

function partTokens(part: Part): number {
  let weight: number;
  switch (part.type) {
    case 'text':
    case 'reasoning':
      weight = weightOf(part.text);
      break;
    case 'tool-call':
      weight = weightOf(part.toolName) + weightOf(json(part.input));
      break;
    case 'tool-result':
      weight = weightOf(part.toolName) + outputWeight(part.output);
      break;
    case 'image':
      weight = dataWeight(part.image) + weightOf(part.mediaType ?? '');
      break;
    case 'file':
      weight = dataWeight(part.data) + weightOf(part.mediaType) + weightOf(part.filename ?? '');
      break;
    default:
      // Tool approvals and whatever later SDKs add: their JSON is a fair upper bound.
      weight = weightOf(json(part));
      break;
  }
  return PART_OVERHEAD + Math.ceil(weight);
}

function outputWeight(output: ToolResultOutput): number {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return weightOf(output.value);
    case 'json':
    case 'error-json':
      return weightOf(json(output.value));
    case 'execution-denied':
      return weightOf(output.reason ?? '');
    case 'content':
      return output.value.reduce((sum, item) => sum + weightOf(contentText(item)), 0);
    default:
      return weightOf(json(output));
  }
}

/** The characters an output takes, as the placeholder reports them. */
function outputLength(output: ToolResultOutput): number {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value.length;
    case 'json':
    case 'error-json':
      return json(output.value).length;
    case 'execution-denied':
      return output.reason?.length ?? 0;
    case 'content':
      return output.value.reduce((sum, item) => sum + contentText(item).length, 0);
    default:
      return json(output).length;
  }
}

type ContentItem = Extract<ToolResultOutput, { type: 'content' }>['value'][number];

function contentText(item: ContentItem): string {
  switch (item.type) {
    case 'text':
      return item.text;
    case 'media':
    case 'file-data':
    case 'image-data':
      return item.data;
    case 'file-url':
    case 'image-url':
      return item.url;
    default:
      return json(item);
  }
}

function dataWeight(data: string | Uint8Array | ArrayBuffer | URL): number {
  if (typeof data === 'string') {
    return weightOf(data);
  }
  if (data instanceof URL) {
    return weightOf(data.href);
  }
  // Sent as base64: 4 characters per 3 bytes, all ASCII.
  return (Math.ceil(data.byteLength / 3) * 4) / 3;
}

function textTokens(text: string): number {
  return PART_OVERHEAD + Math.ceil(weightOf(text));
}

/** Tokens before rounding: a third per ASCII character, one per other UTF-16 unit. */
function weightOf(text: string): number {
  let ascii = 0;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) < 0x80) {
      ascii++;
    }
  }
  return ascii / 3 + (text.length - ascii);
}

function json(value: unknown): string {
  return JSON.stringify(value) ?? '';
}
