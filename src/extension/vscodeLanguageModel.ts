/**
 * `vscode-lm`: VS Code's language models (`vscode.lm`, e.g. GitHub Copilot's) as an AI SDK model, so ACA's
 * one agent loop (core/providers/modelAgent.ts) drives them with the same tools, limits and events as the
 * HTTP APIs. The adapter translates messages and tool calls both ways and turns `LanguageModelError`s into
 * the core's `HostModelError`, whose codes the dispatcher understands (NoPermissions: ask the user; Blocked:
 * park and fall back). VS Code reports no token usage, so usage is counted with the model's own tokenizer.
 */
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3Prompt,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  LanguageModelV3ToolResultOutput,
  LanguageModelV3Usage,
} from '@ai-sdk/provider';
import * as vscode from 'vscode';
import { HostModelError, type HostModel, type HostModelSource } from '../core/providers/modelAgent';

const JUSTIFICATION = 'ACA runs the tasks of your plan with this model: it reads and edits files in the workspace through its tools.';

/** The host's models, chosen by the setting `aca.vscodeLm.model` (an id, a family or `vendor/family`; empty: the first). */
export class VscodeModelSource implements HostModelSource {
  constructor(private readonly _preferred: () => string) {}

  async resolve(): Promise<HostModel | { fix: string }> {
    const models = await vscode.lm.selectChatModels();
    if (models.length === 0) {
      return { fix: 'VS Code has no language model: install and sign in to an extension that provides one (e.g. GitHub Copilot Chat).' };
    }
    const wanted = this._preferred().trim();
    const chat = wanted ? models.find((m) => [m.id, m.family, m.name, `${m.vendor}/${m.family}`].includes(wanted)) : models[0];
    if (!chat) {
      return {
        fix: `No VS Code language model matches "${wanted}" (setting aca.vscodeLm.model); there are: ${models.map((m) => `${m.vendor}/${m.family}`).join(', ')}.`,
      };
    }
    return {
      model: new VscodeChatModel(chat),
      id: `${chat.vendor}/${chat.family}`,
      ...(chat.maxInputTokens > 0 ? { contextWindow: chat.maxInputTokens } : {}),
    };
  }
}

export class VscodeChatModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3';
  readonly provider = 'vscode-lm';
  readonly modelId: string;
  readonly supportedUrls = {};

  constructor(private readonly _chat: vscode.LanguageModelChat) {
    this.modelId = `${_chat.vendor}/${_chat.family}`;
  }

  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const messages = toChatMessages(options);
    const tools: vscode.LanguageModelChatTool[] = (options.tools ?? []).flatMap((t) =>
      t.type === 'function' ? [{ name: t.name, description: t.description ?? t.name, inputSchema: t.inputSchema as object }] : [],
    );
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = (): void => cancel.cancel();
    options.abortSignal?.addEventListener('abort', onAbort, { once: true });
    if (options.abortSignal?.aborted) {
      cancel.cancel();
    }
    const release = (): void => {
      options.abortSignal?.removeEventListener('abort', onAbort);
      cancel.dispose();
    };
    let response: vscode.LanguageModelChatResponse;
    try {
      response = await this._chat.sendRequest(
        messages,
        {
          justification: JUSTIFICATION,
          ...(tools.length
            ? { tools, toolMode: options.toolChoice?.type === 'required' ? vscode.LanguageModelChatToolMode.Required : vscode.LanguageModelChatToolMode.Auto }
            : {}),
        },
        cancel.token,
      );
    } catch (error) {
      release();
      throw hostError(error);
    }
    const chat = this._chat;
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      async start(controller) {
        controller.enqueue({ type: 'stream-start', warnings: [] });
        let text = '';
        let openText: string | undefined;
        let toolCalls = 0;
        // Text ends where a tool call begins, so the transcript keeps the model's order (say, then do).
        const endText = (): void => {
          if (openText) {
            controller.enqueue({ type: 'text-end', id: openText });
            openText = undefined;
          }
        };
        try {
          for await (const part of response.stream) {
            if (part instanceof vscode.LanguageModelTextPart) {
              if (!openText) {
                openText = `text-${toolCalls}`;
                controller.enqueue({ type: 'text-start', id: openText });
              }
              text += part.value;
              controller.enqueue({ type: 'text-delta', id: openText, delta: part.value });
            } else if (part instanceof vscode.LanguageModelToolCallPart) {
              endText();
              toolCalls++;
              controller.enqueue({ type: 'tool-call', toolCallId: part.callId, toolName: part.name, input: JSON.stringify(part.input ?? {}) });
            }
          }
          endText();
          const finishReason: LanguageModelV3FinishReason = { unified: toolCalls > 0 ? 'tool-calls' : 'stop', raw: undefined };
          controller.enqueue({ type: 'finish', finishReason, usage: await countUsage(chat, messages, text, cancel.token) });
        } catch (error) {
          controller.enqueue({ type: 'error', error: hostError(error) });
        } finally {
          release();
          controller.close();
        }
      },
      // A reader that stops reading ends VS Code's request too.
      cancel: () => cancel.cancel(),
    });
    return { stream };
  }

  /** One-shot answers (plan analysis) are the stream, collected. */
  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { stream } = await this.doStream(options);
    const content: LanguageModelV3Content[] = [];
    let text = '';
    let finish: Extract<LanguageModelV3StreamPart, { type: 'finish' }> | undefined;
    const reader = stream.getReader();
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      const part = next.value;
      if (part.type === 'text-delta') {
        text += part.delta;
      } else if (part.type === 'tool-call') {
        content.push(part);
      } else if (part.type === 'finish') {
        finish = part;
      } else if (part.type === 'error') {
        throw part.error;
      }
    }
    if (text) {
      content.unshift({ type: 'text', text });
    }
    return { content, finishReason: finish?.finishReason ?? { unified: 'other', raw: undefined }, usage: finish?.usage ?? emptyUsage(), warnings: [] };
  }
}

/** The AI SDK prompt as VS Code chat messages. VS Code's stable API has no system role: it goes first, as the user's. */
function toChatMessages(options: LanguageModelV3CallOptions): vscode.LanguageModelChatMessage[] {
  const messages: vscode.LanguageModelChatMessage[] = [];
  for (const message of options.prompt as LanguageModelV3Prompt) {
    switch (message.role) {
      case 'system':
        messages.push(vscode.LanguageModelChatMessage.User(message.content));
        break;
      case 'user':
        messages.push(
          vscode.LanguageModelChatMessage.User(message.content.flatMap((p) => (p.type === 'text' ? [new vscode.LanguageModelTextPart(p.text)] : []))),
        );
        break;
      case 'assistant':
        messages.push(
          vscode.LanguageModelChatMessage.Assistant(
            message.content.flatMap<vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart>((p) =>
              p.type === 'text'
                ? [new vscode.LanguageModelTextPart(p.text)]
                : p.type === 'tool-call'
                  ? [new vscode.LanguageModelToolCallPart(p.toolCallId, p.toolName, (p.input ?? {}) as object)]
                  : [],
            ),
          ),
        );
        break;
      case 'tool':
        messages.push(
          vscode.LanguageModelChatMessage.User(
            message.content.flatMap((p) =>
              p.type === 'tool-result' ? [new vscode.LanguageModelToolResultPart(p.toolCallId, [new vscode.LanguageModelTextPart(outputText(p.output))])] : [],
            ),
          ),
        );
        break;
    }
  }
  // No JSON mode in vscode.lm: the schema goes into the prompt, and the caller validates the answer.
  if (options.responseFormat?.type === 'json') {
    const schema = options.responseFormat.schema ? ` It must satisfy this JSON Schema:\n${JSON.stringify(options.responseFormat.schema)}` : '';
    messages.push(vscode.LanguageModelChatMessage.User(`Answer with one JSON value only, no prose and no code fence.${schema}`));
  }
  return messages;
}

function outputText(output: LanguageModelV3ToolResultOutput): string {
  switch (output.type) {
    case 'text':
    case 'error-text':
      return output.value;
    case 'json':
    case 'error-json':
      return JSON.stringify(output.value);
    case 'execution-denied':
      return `Denied${output.reason ? `: ${output.reason}` : ''}`;
    case 'content':
      return output.value.map((item) => (item.type === 'text' ? item.text : `[${item.type}]`)).join('\n');
  }
}

async function countUsage(
  chat: vscode.LanguageModelChat,
  messages: readonly vscode.LanguageModelChatMessage[],
  answer: string,
  token: vscode.CancellationToken,
): Promise<LanguageModelV3Usage> {
  try {
    const [input, output] = await Promise.all([
      Promise.all(messages.map((m) => chat.countTokens(m, token))).then((counts) => counts.reduce((a, b) => a + b, 0)),
      answer ? chat.countTokens(answer, token) : 0,
    ]);
    return {
      inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
      outputTokens: { total: output, text: output, reasoning: undefined },
    };
  } catch {
    return emptyUsage();
  }
}

function emptyUsage(): LanguageModelV3Usage {
  return {
    inputTokens: { total: undefined, noCache: undefined, cacheRead: undefined, cacheWrite: undefined },
    outputTokens: { total: undefined, text: undefined, reasoning: undefined },
  };
}

/** VS Code's errors as the core's: a `LanguageModelError` keeps its code (NoPermissions, Blocked, NotFound). */
function hostError(error: unknown): unknown {
  if (error instanceof vscode.LanguageModelError) {
    return new HostModelError(error.code, error.message);
  }
  if (error instanceof vscode.CancellationError) {
    return error;
  }
  return error instanceof Error ? new HostModelError('Unknown', error.message) : error;
}
