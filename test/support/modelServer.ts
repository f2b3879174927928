/**
 * A scripted model server on 127.0.0.1 for tests. It speaks the Anthropic Messages API (streaming and
 * not), the OpenAI Responses API (streaming and not) and Chat Completions (the OpenAI-compatible wire of local
 * servers) well enough for the real `claude` and `codex`
 * CLIs and the official SDKs, plays a scenario of turns in order, and records every request so a test
 * can assert on what the agent sent. Wire shapes follow ../shared/protocols/.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface TokenUsage {
  readonly input: number;
  readonly output: number;
}

/** One model turn: what the next model request is answered with. */
export type ScriptedTurn = (
  | { readonly type: 'text'; readonly text: string }
  /**
   * A tool call. `input` is the tool's arguments: an object becomes an Anthropic `tool_use` block or an
   * OpenAI `function_call` (arguments as JSON text); a string becomes an OpenAI `custom_tool_call`
   * (Codex's `apply_patch`).
   */
  | { readonly type: 'tool'; readonly name: string; readonly input: unknown; readonly text?: string }
  /** An HTTP error in the API's own error shape, optionally with `retry-after` and other headers (rate-limit headers). */
  | {
      readonly type: 'error';
      readonly status: number;
      readonly message?: string;
      readonly retryAfterSeconds?: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly errorFields?: Readonly<Record<string, unknown>>;
    }
  /** A 200 whose SSE body breaks off mid-event (a torn stream). */
  | { readonly type: 'malformed' }
  /** A 200 with the first well-formed events of a text answer, then the connection closes (no end event). */
  | { readonly type: 'truncated' }
  /** A 200 with the first events, then nothing more: a hang in the middle of the stream. */
  | { readonly type: 'stall' }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { readonly type: 'hang' }
  /** A 200 with the first events, then the API's own in-stream error event (Anthropic `event: error`, OpenAI `error`). */
  | { readonly type: 'stream-error'; readonly message?: string }
) & {
  /** Wait this long before answering. */
  readonly delayMs?: number;
  readonly usage?: TokenUsage;
  /** Response headers (e.g. the rate-limit ones). */
  readonly headers?: Readonly<Record<string, string>>;
};

export type ApiKind = 'anthropic-messages' | 'openai-responses' | 'openai-chat' | 'other';

export interface RecordedRequest {
  readonly api: ApiKind;
  readonly method: string;
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON (undefined when empty). */
  readonly body: unknown;
  /** The turn this request was answered with (model requests only). */
  readonly turn?: ScriptedTurn;
  /** When it arrived (epoch ms). */
  readonly at: number;
}

export interface ModelServerOptions {
  readonly turns?: readonly ScriptedTurn[];
  /** What a model request gets once the scenario is used up; by default a 500 that says so. */
  readonly whenExhausted?: ScriptedTurn;
  /** Answer Ollama's `POST /api/show` with these capabilities per model (otherwise it is a 404, as on non-Ollama servers). */
  readonly ollamaCapabilities?: Readonly<Record<string, readonly string[]>>;
}

const DEFAULT_USAGE: TokenUsage = { input: 120, output: 24 };

export class ModelServer {
  private readonly _server: http.Server;
  private readonly _sockets = new Set<Socket>();
  private readonly _timers = new Set<NodeJS.Timeout>();
  private _turns: ScriptedTurn[];
  private _whenExhausted: ScriptedTurn;
  private readonly _ollamaCapabilities: Readonly<Record<string, readonly string[]>> | undefined;
  private readonly _idPrefix = randomBytes(4).toString('hex');
  private _nextId = 1;
  private _baseUrl: string | undefined;

  readonly requests: RecordedRequest[] = [];

  constructor(options: ModelServerOptions = {}) {
    this._turns = [...(options.turns ?? [])];
    this._ollamaCapabilities = options.ollamaCapabilities;
    this._whenExhausted = options.whenExhausted ?? {
      type: 'error',
      status: 500,
      message: 'scripted model server: the scenario has no turn left for this request',
    };
    this._server = http.createServer((req, res) => void this._handle(req, res));
    this._server.on('connection', (socket) => {
      this._sockets.add(socket);
      socket.on('close', () => this._sockets.delete(socket));
    });
  }

  static async start(options: ModelServerOptions = {}): Promise<ModelServer> {
    const server = new ModelServer(options);
    await server.listen();
    return server;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this._server.once('error', reject);
      this._server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = this._server.address() as AddressInfo;
    this._baseUrl = `http://127.0.0.1:${port}`;
    return this._baseUrl;
  }

  /** `http://127.0.0.1:PORT`, without a trailing slash or `/v1`. */
  get baseUrl(): string {
    if (!this._baseUrl) {
      throw new Error('ModelServer is not listening yet');
    }
    return this._baseUrl;
  }

  /** Appends turns to the scenario. */
  enqueue(...turns: ScriptedTurn[]): void {
    this._turns.push(...turns);
  }

  /** Replaces the scenario: the fault is over (a test switches it when ACA starts its retry). */
  script(turns: readonly ScriptedTurn[], whenExhausted?: ScriptedTurn): void {
    this._turns = [...turns];
    if (whenExhausted) {
      this._whenExhausted = whenExhausted;
    }
  }

  get remainingTurns(): number {
    return this._turns.length;
  }

  /** The requests that asked a model for a turn, in order. */
  get modelRequests(): RecordedRequest[] {
    return this.requests.filter((r) => r.api !== 'other');
  }

  async close(): Promise<void> {
    for (const timer of this._timers) {
      clearTimeout(timer);
    }
    this._timers.clear();
    for (const socket of this._sockets) {
      socket.destroy();
    }
    await new Promise<void>((resolve) => this._server.close(() => resolve()));
  }

  private async _handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const api: ApiKind =
      req.method === 'POST' && path.endsWith('/messages')
        ? 'anthropic-messages'
        : req.method === 'POST' && path.endsWith('/responses')
          ? 'openai-responses'
          : req.method === 'POST' && path.endsWith('/chat/completions')
            ? 'openai-chat'
            : 'other';
    const body = parseJsonOrText(raw);

    if (api === 'other') {
      this.requests.push({ api, method: req.method ?? 'GET', path, headers: req.headers, body, at: Date.now() });
      this._answerOther(req, res, path, body);
      return;
    }

    const turn = this._turns.shift() ?? this._whenExhausted;
    this.requests.push({ api, method: req.method ?? 'POST', path, headers: req.headers, body, turn, at: Date.now() });
    if (turn.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          this._timers.delete(timer);
          resolve();
        }, turn.delayMs);
        this._timers.add(timer);
      });
    }
    if (res.destroyed) {
      return;
    }
    const stream = isRecord(body) && body['stream'] === true;
    const model = isRecord(body) && typeof body['model'] === 'string' ? body['model'] : 'scripted-model';
    // A turn's headers go with any answer (rate-limit headers on a success; retry-after on an error).
    for (const [name, value] of Object.entries(turn.headers ?? {})) {
      res.setHeader(name, value);
    }
    if (api === 'anthropic-messages') {
      this._answerAnthropic(res, turn, stream, model);
    } else if (api === 'openai-chat') {
      this._answerChat(res, turn, stream, model);
    } else {
      this._answerOpenAi(res, turn, stream, model);
    }
  }

  private _answerOther(req: http.IncomingMessage, res: http.ServerResponse, path: string, body: unknown): void {
    const model = isRecord(body) && typeof body['model'] === 'string' ? body['model'] : '';
    if (req.method === 'POST' && path === '/api/show' && this._ollamaCapabilities) {
      const capabilities = this._ollamaCapabilities[model];
      if (capabilities) {
        sendJson(res, 200, { capabilities, model_info: { 'general.architecture': 'scripted', 'scripted.context_length': 32768 } });
      } else {
        sendJson(res, 404, { error: `model '${model}' not found` });
      }
    } else if (path === '/' || req.method === 'HEAD') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end(req.method === 'HEAD' ? undefined : 'ok');
    } else if (req.method === 'GET' && path.endsWith('/models')) {
      sendJson(res, 200, { object: 'list', data: [{ id: 'scripted-model', object: 'model', display_name: 'Scripted' }] });
    } else {
      sendJson(res, 404, { error: { type: 'not_found_error', message: `scripted model server: no route ${req.method} ${path}` } });
    }
  }

  private _id(prefix: string): string {
    return `${prefix}_${this._idPrefix}${String(this._nextId++).padStart(4, '0')}`;
  }

  private _answerAnthropic(res: http.ServerResponse, turn: ScriptedTurn, stream: boolean, model: string): void {
    if (turn.type === 'hang') {
      return;
    }
    if (turn.type === 'error') {
      sendError(res, turn, {
        type: 'error',
        error: { type: anthropicErrorType(turn.status), message: turn.message ?? `scripted ${turn.status}`, ...turn.errorFields },
        request_id: this._id('req'),
      });
      return;
    }
    const usage = turn.usage ?? DEFAULT_USAGE;
    const id = this._id('msg');
    if (turn.type === 'malformed') {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(stream ? 'event: message_start\ndata: {"type":"message_start","message":{"id":' : '{"id":');
      return;
    }
    if (turn.type === 'stream-error') {
      const start = {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      };
      sendSse(res, [
        ['message_start', start],
        ['error', { type: 'error', error: { type: 'overloaded_error', message: turn.message ?? 'Overloaded' } }],
      ]);
      return;
    }
    if (turn.type === 'truncated' || turn.type === 'stall') {
      const start = {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: 1 },
        },
      };
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.write(
        stream
          ? `event: message_start\ndata: ${JSON.stringify(start)}\n\nevent: content_block_start\ndata: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}\n\n`
          : '{"id":"',
      );
      if (turn.type === 'truncated') {
        res.end();
      }
      return;
    }
    const content: Array<Record<string, unknown>> = [];
    if (turn.type === 'text') {
      content.push({ type: 'text', text: turn.text });
    } else {
      if (turn.text) {
        content.push({ type: 'text', text: turn.text });
      }
      content.push({ type: 'tool_use', id: this._id('toolu'), name: turn.name, input: turn.input });
    }
    const stopReason = turn.type === 'tool' ? 'tool_use' : 'end_turn';
    const message = {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content,
      stop_reason: stopReason,
      stop_sequence: null,
      usage: { input_tokens: usage.input, output_tokens: usage.output, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    };
    if (!stream) {
      sendJson(res, 200, message);
      return;
    }
    const events: Array<[string, unknown]> = [
      ['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage: { ...message.usage, output_tokens: 1 } } }],
      ['ping', { type: 'ping' }],
    ];
    content.forEach((block, index) => {
      if (block['type'] === 'text') {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }]);
        events.push(['content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: block['text'] } }]);
      } else {
        events.push(['content_block_start', { type: 'content_block_start', index, content_block: { ...block, input: {} } }]);
        events.push([
          'content_block_delta',
          { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(block['input']) } },
        ]);
      }
      events.push(['content_block_stop', { type: 'content_block_stop', index }]);
    });
    events.push(['message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: usage.output } }]);
    events.push(['message_stop', { type: 'message_stop' }]);
    sendSse(res, events);
  }

  private _answerChat(res: http.ServerResponse, turn: ScriptedTurn, stream: boolean, model: string): void {
    chatAnswer(res, turn, stream, model, this._id('chatcmpl'));
  }

  private _answerOpenAi(res: http.ServerResponse, turn: ScriptedTurn, stream: boolean, model: string): void {
    if (turn.type === 'hang') {
      return;
    }
    if (turn.type === 'error') {
      sendError(res, turn, {
        error: { message: turn.message ?? `scripted ${turn.status}`, type: openAiErrorType(turn.status), param: null, code: null, ...turn.errorFields },
      });
      return;
    }
    if (turn.type === 'malformed') {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.end(stream ? 'event: response.created\ndata: {"type":"response.cre' : '{"id":');
      return;
    }
    if (turn.type === 'stream-error') {
      sendSse(res, [
        ['response.created', { type: 'response.created', response: { id: this._id('resp'), object: 'response', status: 'in_progress', model, output: [] } }],
        [
          'error',
          {
            type: 'error',
            code: 'server_error',
            message: turn.message ?? 'The server had an error while processing your request.',
            param: null,
            sequence_number: 1,
          },
        ],
      ]);
      return;
    }
    if (turn.type === 'truncated' || turn.type === 'stall') {
      res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
      res.write(
        stream
          ? `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', response: { id: this._id('resp'), object: 'response', status: 'in_progress', model, output: [] } })}\n\n`
          : '{"id":"',
      );
      if (turn.type === 'truncated') {
        res.end();
      }
      return;
    }
    const usage = turn.usage ?? DEFAULT_USAGE;
    const output: Array<Record<string, unknown>> = [];
    const textItem = (text: string): Record<string, unknown> => ({
      type: 'message',
      id: this._id('msg'),
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text, annotations: [] }],
    });
    if (turn.type === 'text') {
      output.push(textItem(turn.text));
    } else {
      if (turn.text) {
        output.push(textItem(turn.text));
      }
      output.push(
        typeof turn.input === 'string'
          ? { type: 'custom_tool_call', id: this._id('ctc'), call_id: this._id('call'), name: turn.name, input: turn.input, status: 'completed' }
          : {
              type: 'function_call',
              id: this._id('fc'),
              call_id: this._id('call'),
              name: turn.name,
              arguments: JSON.stringify(turn.input ?? {}),
              status: 'completed',
            },
      );
    }
    const response = {
      id: this._id('resp'),
      object: 'response',
      created_at: Math.floor(Date.now() / 1000),
      status: 'completed',
      model,
      output,
      usage: {
        input_tokens: usage.input,
        input_tokens_details: { cached_tokens: 0 },
        output_tokens: usage.output,
        output_tokens_details: { reasoning_tokens: 0 },
        total_tokens: usage.input + usage.output,
      },
    };
    if (!stream) {
      sendJson(res, 200, response);
      return;
    }
    const events: Array<[string, unknown]> = [['response.created', { type: 'response.created', response: { ...response, status: 'in_progress', output: [] } }]];
    output.forEach((item, outputIndex) => {
      events.push(['response.output_item.added', { type: 'response.output_item.added', output_index: outputIndex, item }]);
      if (item['type'] === 'message') {
        const text = (item['content'] as Array<{ text: string }>)[0]?.text ?? '';
        events.push([
          'response.output_text.delta',
          { type: 'response.output_text.delta', item_id: item['id'], output_index: outputIndex, content_index: 0, delta: text },
        ]);
        events.push([
          'response.output_text.done',
          { type: 'response.output_text.done', item_id: item['id'], output_index: outputIndex, content_index: 0, text },
        ]);
      }
      events.push(['response.output_item.done', { type: 'response.output_item.done', output_index: outputIndex, item }]);
    });
    events.push(['response.completed', { type: 'response.completed', response }]);
    sendSse(res, events);
  }
}

/** Chat Completions, the wire of Ollama, LM Studio, llama.cpp and vLLM: `data:` lines ending `data: [DONE]`. */
function chatAnswer(this: void, res: http.ServerResponse, turn: ScriptedTurn, stream: boolean, model: string, id: string): void {
  if (turn.type === 'hang') {
    return;
  }
  if (turn.type === 'error') {
    sendError(res, turn, {
      error: { message: turn.message ?? `scripted ${turn.status}`, type: openAiErrorType(turn.status), param: null, code: null, ...turn.errorFields },
    });
    return;
  }
  const created = Math.floor(Date.now() / 1000);
  const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
  if (turn.type === 'malformed') {
    res.writeHead(200, { 'content-type': stream ? 'text/event-stream' : 'application/json' });
    res.end(stream ? 'data: {"id":"chatcmpl-x","choices":[{"del' : '{"id":');
    return;
  }
  if (turn.type === 'stream-error') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
    res.end(`data: ${JSON.stringify({ error: { message: turn.message ?? 'the model runner stopped', type: 'server_error', param: null, code: null } })}\n\n`);
    return;
  }
  if (turn.type === 'truncated' || turn.type === 'stall') {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
    if (turn.type === 'truncated') {
      res.end();
    }
    return;
  }
  const usage = turn.usage ?? DEFAULT_USAGE;
  const usageBody = {
    prompt_tokens: usage.input,
    completion_tokens: usage.output,
    total_tokens: usage.input + usage.output,
    prompt_tokens_details: { cached_tokens: 0 },
  };
  const text = turn.type === 'text' ? turn.text : (turn.text ?? '');
  const toolCall =
    turn.type === 'tool' ? { id: `call_${id}`, type: 'function', function: { name: turn.name, arguments: JSON.stringify(turn.input ?? {}) } } : undefined;
  const finish = toolCall ? 'tool_calls' : 'stop';
  if (!stream) {
    sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: text || null, ...(toolCall ? { tool_calls: [toolCall] } : {}) }, finish_reason: finish }],
      usage: usageBody,
    });
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(chunk({ role: 'assistant', content: '' }, null));
  if (text) {
    res.write(chunk({ content: text }, null));
  }
  if (toolCall) {
    // The arguments arrive in fragments, as real servers send them.
    const args = toolCall.function.arguments;
    const half = Math.floor(args.length / 2);
    res.write(
      chunk(
        { tool_calls: [{ index: 0, id: toolCall.id, type: 'function', function: { name: toolCall.function.name, arguments: args.slice(0, half) } }] },
        null,
      ),
    );
    res.write(chunk({ tool_calls: [{ index: 0, function: { arguments: args.slice(half) } }] }, null));
  }
  res.write(chunk({}, finish));
  res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage: usageBody })}\n\n`);
  res.end('data: [DONE]\n\n');
}

function anthropicErrorType(status: number): string {
  const types: Record<number, string> = {
    400: 'invalid_request_error',
    401: 'authentication_error',
    403: 'permission_error',
    404: 'not_found_error',
    413: 'request_too_large',
    429: 'rate_limit_error',
    529: 'overloaded_error',
  };
  return types[status] ?? 'api_error';
}

function openAiErrorType(status: number): string {
  if (status === 429) {
    return 'rate_limit_exceeded';
  }
  if (status === 401) {
    return 'invalid_request_error';
  }
  return status >= 500 ? 'server_error' : 'invalid_request_error';
}

function sendError(
  res: http.ServerResponse,
  turn: { status: number; retryAfterSeconds?: number; headers?: Readonly<Record<string, string>> },
  body: unknown,
): void {
  const headers: http.OutgoingHttpHeaders = { ...turn.headers };
  if (turn.retryAfterSeconds !== undefined) {
    headers['retry-after'] = String(turn.retryAfterSeconds);
  }
  sendJson(res, turn.status, body, headers);
}

function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: http.OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function sendSse(res: http.ServerResponse, events: ReadonlyArray<[string, unknown]>): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  for (const [name, data] of events) {
    res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
  }
  res.end();
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJsonOrText(raw: string): unknown {
  if (raw === '') {
    return undefined;
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The text of the last text block of the first user message: where Claude Code puts the prompt. */
export function anthropicPrompt(request: RecordedRequest): string | undefined {
  if (!isRecord(request.body)) {
    return undefined;
  }
  const messages = request.body['messages'];
  if (!Array.isArray(messages)) {
    return undefined;
  }
  const first = messages.find((m): m is Record<string, unknown> => isRecord(m) && m['role'] === 'user');
  const content = first?.['content'];
  if (typeof content === 'string') {
    return content;
  }
  if (!Array.isArray(content)) {
    return undefined;
  }
  const texts = content.filter((b): b is { type: 'text'; text: string } => isRecord(b) && b['type'] === 'text' && typeof b['text'] === 'string');
  return texts.at(-1)?.text;
}

/** Every input item of an OpenAI Responses request (Codex sends the whole history each turn). */
export function openAiInputItems(request: RecordedRequest): Array<Record<string, unknown>> {
  if (!isRecord(request.body) || !Array.isArray(request.body['input'])) {
    return [];
  }
  return request.body['input'].filter(isRecord);
}
