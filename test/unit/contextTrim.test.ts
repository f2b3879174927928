/**
 * Context trimming for ACA's own agent loop: old tool outputs give way first, the task and the newest steps
 * never do, every tool call keeps its result, and the input is never changed.
 */
import assert from 'node:assert/strict';
import type { ModelMessage, ToolResultPart } from 'ai';
import { contextWindowOf, estimateTokens, trimContext } from '../../src/core/agent/contextTrim';

const TASK: ModelMessage = { role: 'user', content: 'Add a --verbose flag to the CLI and document it in README.md.' };

/** One agent step: the assistant's tool call and the tool message with its result. */
function step(n: number, output: ToolResultPart['output'], toolName = 'read_file'): ModelMessage[] {
  const toolCallId = `call-${n}`;
  return [
    {
      role: 'assistant',
      content: [
        { type: 'text', text: `Step ${n}: reading.` },
        { type: 'tool-call', toolCallId, toolName, input: { path: `src/file${n}.ts` } },
      ],
    },
    { role: 'tool', content: [{ type: 'tool-result', toolCallId, toolName, output }] },
  ];
}

const text = (chars: number, seed = 'x'): ToolResultPart['output'] => ({ type: 'text', value: seed.repeat(chars) });

/** The task, then `steps` steps each with a `chars`-character output. */
function conversation(steps: number, chars: number): ModelMessage[] {
  return [TASK, ...Array.from({ length: steps }, (_, i) => step(i + 1, text(chars, String.fromCharCode(97 + i)))).flat()];
}

function toolResults(messages: readonly ModelMessage[]): ToolResultPart[] {
  return messages.flatMap((m) => (m.role === 'tool' ? m.content.filter((p): p is ToolResultPart => p.type === 'tool-result') : []));
}

function isTrimmed(part: ToolResultPart): boolean {
  return (part.output.type === 'text' || part.output.type === 'error-text') && /trimmed to save context/.test(part.output.value);
}

/** Every tool call has exactly one result with its id and name, and every result answers a call. */
function assertPairing(messages: readonly ModelMessage[]): void {
  const calls = messages.flatMap((m) => (m.role === 'assistant' && typeof m.content !== 'string' ? m.content.filter((p) => p.type === 'tool-call') : []));
  const results = toolResults(messages);
  assert.equal(results.length, calls.length);
  for (const call of calls) {
    const matching = results.filter((r) => r.toolCallId === call.toolCallId);
    assert.equal(matching.length, 1, call.toolCallId);
    assert.equal(matching[0]!.toolName, call.toolName);
  }
}

describe("context trimming (the API providers' agent loop)", () => {
  it('returns the very same array when the estimate is under the budget', () => {
    const messages = conversation(3, 1_000);
    const before = structuredClone(messages);
    const result = trimContext(messages, { contextWindow: 100_000 });
    assert.equal(result.messages, messages);
    assert.equal(result.trimmed, 0);
    assert.equal(result.shortened, 0);
    assert.equal(result.tokensAfter, result.tokensBefore);
    assert.equal(result.tokensBefore, estimateTokens(messages));
    assert.deepEqual(messages, before);
  });

  it('over budget, trims the oldest outputs first and only as many as needed; the task and the newest steps stay', () => {
    // Six steps of 12,000 characters (~4,000 tokens each); 14,000 tokens of room: three outputs must go.
    const messages = conversation(6, 12_000);
    const before = structuredClone(messages);
    const result = trimContext(messages, { contextWindow: 20_000, reserveTokens: 6_000 });

    assert.deepEqual(messages, before, 'the input is not mutated');
    assert.notEqual(result.messages, messages);
    assert.equal(result.messages.length, messages.length);
    assert.equal(result.messages[0], TASK, 'the task is the same object');

    const results = toolResults(result.messages);
    assert.deepEqual(results.map(isTrimmed), [true, true, true, false, false, false]);
    assert.equal(result.trimmed, 3);
    assert.deepEqual(results[0]!.output, {
      type: 'text',
      value: '[output of read_file trimmed to save context: 12,000 characters; call the tool again if you need it]',
    });
    assert.equal(results[0]!.toolCallId, 'call-1');
    // Untouched messages are shared, not copied; the newest two tool messages are among them.
    for (let i = 7; i < messages.length; i++) {
      assert.equal(result.messages[i], messages[i], `message ${i}`);
    }
    assertPairing(result.messages);

    assert.ok(result.tokensAfter < result.tokensBefore);
    assert.ok(result.tokensAfter <= 14_000, `${result.tokensAfter} fits`);
    assert.equal(result.tokensBefore, estimateTokens(messages));
    assert.equal(result.tokensAfter, estimateTokens(result.messages));
    assert.equal(result.shortened, 0);
  });

  it('never trims the newest keepRecentSteps tool messages, and the default keeps two', () => {
    const messages = conversation(5, 12_000);
    const tight = { contextWindow: 2_000, reserveTokens: 0 };
    const byDefault = toolResults(trimContext(messages, tight).messages).map(isTrimmed);
    assert.deepEqual(byDefault, [true, true, true, false, false]);
    const keepOne = toolResults(trimContext(messages, { ...tight, keepRecentSteps: 1 }).messages).map(isTrimmed);
    assert.deepEqual(keepOne, [true, true, true, true, false]);
    const keepNone = toolResults(trimContext(messages, { ...tight, keepRecentSteps: 0 }).messages).map(isTrimmed);
    assert.deepEqual(keepNone, [true, true, true, true, true]);
  });

  it('when the newest steps alone exceed the window, trims what it may and returns without throwing', () => {
    const messages = conversation(4, 60_000);
    const before = structuredClone(messages);
    const result = trimContext(messages, { contextWindow: 32_768 });
    assert.deepEqual(messages, before);
    assert.equal(result.trimmed, 2);
    assert.deepEqual(toolResults(result.messages).map(isTrimmed), [true, true, false, false]);
    assert.ok(result.tokensAfter > 32_768, 'still over: the API reports it');
    assert.ok(result.tokensAfter < result.tokensBefore);
    assert.equal(result.tokensAfter, estimateTokens(result.messages));
    assert.equal(result.messages[0], TASK);
    assertPairing(result.messages);
  });

  it('returns the same array when over budget but nothing is eligible', () => {
    const messages = conversation(2, 60_000);
    const result = trimContext(messages, { contextWindow: 8_000 });
    assert.equal(result.messages, messages);
    assert.equal(result.trimmed, 0);
    assert.equal(result.tokensAfter, result.tokensBefore);
  });

  it('trims each result of a step with parallel calls on its own, keeps system messages, and keeps errors errors', () => {
    const system: ModelMessage = { role: 'system', content: 'You are a careful coding agent. '.repeat(500) };
    const parallel: ModelMessage[] = [
      {
        role: 'assistant',
        content: [
          { type: 'tool-call', toolCallId: 'p1', toolName: 'run_command', input: { command: 'npm test' } },
          { type: 'tool-call', toolCallId: 'p2', toolName: 'search', input: { pattern: 'verbose' } },
          { type: 'tool-call', toolCallId: 'p3', toolName: 'list_files', input: { path: '.' } },
        ],
      },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: 'p1', toolName: 'run_command', output: { type: 'error-text', value: 'FAIL '.repeat(3_000) } },
          {
            type: 'tool-result',
            toolCallId: 'p2',
            toolName: 'search',
            output: { type: 'json', value: { matches: Array.from({ length: 500 }, (_, i) => `src/f${i}.ts:1`) } },
          },
          {
            type: 'tool-result',
            toolCallId: 'p3',
            toolName: 'list_files',
            output: { type: 'content', value: [{ type: 'text', text: 'a.ts\n'.repeat(2_000) }] },
          },
        ],
      },
    ];
    const messages = [system, TASK, ...parallel, ...step(2, text(500)), ...step(3, text(500))];
    const before = structuredClone(messages);
    // ~16,500 tokens: the error output (~5,000) and the search result (~2,500) must go, the listing (~3,300) may stay.
    const result = trimContext(messages, { contextWindow: 10_000, reserveTokens: 0 });
    assert.deepEqual(messages, before);
    assert.equal(result.messages[0], system);
    assert.equal(result.messages[1], TASK);
    assert.equal(result.messages[2], parallel[0], 'the tool calls themselves stay');
    const [p1, p2, p3] = toolResults(result.messages);
    assert.deepEqual(p1!.output, {
      type: 'error-text',
      value: '[error output of run_command trimmed to save context: 15,000 characters; call the tool again if you need it]',
    });
    const searchChars = JSON.stringify((toolResults(messages)[1]!.output as { value: unknown }).value).length;
    assert.deepEqual(p2!.output, {
      type: 'text',
      value: `[output of search trimmed to save context: ${searchChars.toLocaleString('en-US')} characters; call the tool again if you need it]`,
    });
    assert.equal(p3, toolResults(messages)[2], 'the listing was not needed');
    assert.equal(result.trimmed, 2);
    assert.ok(result.tokensAfter <= 10_000);
    assertPairing(result.messages);
  });

  it('does not trim its own placeholders again, so trimming the trimmed messages changes nothing', () => {
    const messages = conversation(6, 12_000);
    const options = { contextWindow: 5_000, reserveTokens: 0 };
    const once = trimContext(messages, options);
    const twice = trimContext(once.messages, options);
    assert.equal(twice.messages, once.messages);
    assert.equal(twice.trimmed, 0);
    assert.equal(twice.tokensBefore, once.tokensAfter);
  });

  it('shortens long assistant texts of old steps only after every eligible tool output is trimmed', () => {
    const essay = 'Here is my detailed plan. '.repeat(400); // 10,400 characters
    const messages: ModelMessage[] = [
      TASK,
      { role: 'assistant', content: essay },
      ...step(1, text(3_000)),
      {
        role: 'assistant',
        content: [
          { type: 'reasoning', text: 'think '.repeat(1_000) },
          { type: 'text', text: essay },
        ],
      },
      ...step(2, text(3_000)),
      ...step(3, text(3_000)),
      ...step(4, text(3_000)),
    ];
    const before = structuredClone(messages);

    // Enough room once the two old outputs are gone: the texts stay whole.
    const loose = trimContext(messages, { contextWindow: estimateTokens(messages) - 1_500, reserveTokens: 0 });
    assert.equal(loose.trimmed, 2);
    assert.equal(loose.shortened, 0);
    assert.equal(loose.messages[1], messages[1]);

    const tight = trimContext(messages, { contextWindow: 6_000, reserveTokens: 0 });
    assert.deepEqual(messages, before);
    assert.equal(tight.trimmed, 2);
    assert.equal(tight.shortened, 2);
    const first = tight.messages[1]!;
    assert.ok(first.role === 'assistant' && typeof first.content === 'string');
    assert.ok(first.content.startsWith(essay.slice(0, 1_000)));
    assert.match(first.content, /\[9,400 more characters of this message trimmed to save context\]$/);
    const second = tight.messages[4]!;
    assert.ok(second.role === 'assistant' && typeof second.content !== 'string');
    assert.equal(second.content[0], (messages[4]!.content as unknown[])[0], 'reasoning is never edited');
    assert.equal(tight.messages[0], TASK);
    assert.equal(tight.tokensAfter, estimateTokens(tight.messages));
    assertPairing(tight.messages);
  });

  it('estimates deterministically and on the high side, counting tool inputs, outputs and non-ASCII text', () => {
    const messages = conversation(3, 3_000);
    assert.equal(estimateTokens(messages), estimateTokens(structuredClone(messages)));
    const chars = JSON.stringify(messages).length;
    assert.ok(estimateTokens(messages) >= chars / 4, 'at least characters / 4');
    assert.equal(estimateTokens([]), 0);

    const input = (size: number): ModelMessage[] => [
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'c', toolName: 'write_file', input: { content: 'y'.repeat(size) } }] },
    ];
    assert.ok(estimateTokens(input(30_000)) - estimateTokens(input(0)) >= 9_999);
    const ascii: ModelMessage[] = [{ role: 'user', content: 'a'.repeat(3_000) }];
    const cjk: ModelMessage[] = [{ role: 'user', content: '漢'.repeat(3_000) }];
    assert.ok(estimateTokens(cjk) > 2 * estimateTokens(ascii));
    const image: ModelMessage[] = [{ role: 'user', content: [{ type: 'image', image: new Uint8Array(3_000) }] }];
    assert.ok(estimateTokens(image) >= 1_000);
  });

  it('rejects a window that is not a positive number', () => {
    assert.throws(() => trimContext([TASK], { contextWindow: 0 }), RangeError);
    assert.throws(() => trimContext([TASK], { contextWindow: Number.NaN }), RangeError);
    assert.throws(() => trimContext([TASK], { contextWindow: 1_000, keepRecentSteps: -1 }), RangeError);
  });

  it('knows the context windows of a few model families by id, and nothing else', () => {
    assert.equal(contextWindowOf('claude-sonnet-4-5'), 200_000);
    assert.equal(contextWindowOf('copilot/claude-sonnet-4'), 200_000);
    assert.equal(contextWindowOf('gpt-5-mini'), 400_000);
    assert.equal(contextWindowOf('gpt-4o-2024-08-06'), 128_000);
    assert.equal(contextWindowOf('qwen2.5-coder:7b'), 32_768);
    assert.equal(contextWindowOf('llama3.1:8b'), 128_000);
    assert.equal(contextWindowOf('LLaMA3.1'), 128_000);
    assert.equal(contextWindowOf('mistral-small'), undefined);
    assert.equal(contextWindowOf(''), undefined);
  });
});
