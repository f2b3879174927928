import assert from 'node:assert/strict';
import { ModelServer, anthropicPrompt } from '../support/modelServer';

/** Splits an SSE body into [event, data] pairs. */
function sseEvents(body: string): Array<[string, Record<string, unknown>]> {
  return body
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? '';
      const data = /^data: (.*)$/m.exec(block)?.[1] ?? 'null';
      return [event, JSON.parse(data) as Record<string, unknown>];
    });
}

async function post(server: ModelServer, path: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal });
}

describe('scripted model server', function () {
  this.timeout(10_000);
  let server: ModelServer;
  afterEach(async () => server?.close());

  it('streams an Anthropic text turn in the documented event order and records the request', async () => {
    server = await ModelServer.start({ turns: [{ type: 'text', text: 'héllo 世界' }] });
    const res = await post(server, '/v1/messages?beta=true', {
      model: 'm',
      stream: true,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'say hi' }] }],
    });
    assert.equal(res.status, 200);
    const events = sseEvents(await res.text());
    assert.deepEqual(
      events.map(([name]) => name),
      ['message_start', 'ping', 'content_block_start', 'content_block_delta', 'content_block_stop', 'message_delta', 'message_stop'],
    );
    assert.equal((events[3]![1]['delta'] as { text: string }).text, 'héllo 世界');
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]!.path, '/v1/messages');
    assert.equal(anthropicPrompt(server.requests[0]!), 'say hi');
  });

  it('answers an Anthropic tool turn without streaming, with unique message ids', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'Write', input: { file_path: '/x', content: 'y' } },
        { type: 'text', text: 'done' },
      ],
    });
    const first = (await (await post(server, '/v1/messages', { model: 'm', messages: [] })).json()) as Record<string, unknown>;
    const second = (await (await post(server, '/v1/messages', { model: 'm', messages: [] })).json()) as Record<string, unknown>;
    assert.equal(first['stop_reason'], 'tool_use');
    assert.deepEqual((first['content'] as Array<Record<string, unknown>>)[0]?.['input'], { file_path: '/x', content: 'y' });
    assert.equal(second['stop_reason'], 'end_turn');
    assert.notEqual(first['id'], second['id']);
  });

  it('returns API-shaped errors with retry-after', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'error', status: 429, retryAfterSeconds: 3 },
        { type: 'error', status: 529 },
      ],
    });
    const limited = await post(server, '/v1/messages', { model: 'm' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '3');
    assert.equal(((await limited.json()) as { error: { type: string } }).error.type, 'rate_limit_error');
    const overloaded = await post(server, '/v1/responses', { model: 'm' });
    assert.equal(overloaded.status, 529);
    assert.ok(((await overloaded.json()) as { error: { message: string } }).error.message);
  });

  it('streams OpenAI Responses turns: a custom tool call, a function call, then text', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'apply_patch', input: '*** Begin Patch\n*** End Patch\n' },
        { type: 'tool', name: 'exec_command', input: { cmd: 'ls' } },
        { type: 'text', text: 'Done', usage: { input: 10, output: 2 } },
      ],
    });
    const items: Array<Record<string, unknown>> = [];
    let completed: Record<string, unknown> | undefined;
    for (let i = 0; i < 3; i++) {
      const events = sseEvents(await (await post(server, '/v1/responses', { model: 'gpt-5.5', stream: true, input: [] })).text());
      assert.equal(events[0]![0], 'response.created');
      assert.equal(events.at(-1)![0], 'response.completed');
      completed = events.at(-1)![1];
      items.push(...events.filter(([name]) => name === 'response.output_item.done').map(([, data]) => data['item'] as Record<string, unknown>));
    }
    assert.deepEqual(
      items.map((item) => item['type']),
      ['custom_tool_call', 'function_call', 'message'],
    );
    assert.equal(items[1]!['arguments'], '{"cmd":"ls"}');
    assert.deepEqual((completed!['response'] as { usage: { total_tokens: number } }).usage.total_tokens, 12);
  });

  it('tears a stream off mid-event for a malformed turn', async () => {
    server = await ModelServer.start({ turns: [{ type: 'malformed' }] });
    const body = await (await post(server, '/v1/messages', { stream: true })).text();
    assert.throws(() => sseEvents(body));
  });

  it('hangs until the client gives up, and close() still returns', async () => {
    server = await ModelServer.start({ turns: [{ type: 'hang' }] });
    await assert.rejects(post(server, '/v1/messages', {}, AbortSignal.timeout(200)), /abort|timeout/i);
    assert.equal(server.modelRequests.length, 1);
  });

  it('waits delayMs before answering', async () => {
    server = await ModelServer.start({ turns: [{ type: 'text', text: 'late', delayMs: 150 }] });
    const started = Date.now();
    await (await post(server, '/v1/messages', {})).json();
    assert.ok(Date.now() - started >= 140);
  });

  it('says so when the scenario is used up, and serves HEAD / and 404s', async () => {
    server = await ModelServer.start();
    const res = await post(server, '/v1/messages', {});
    assert.equal(res.status, 500);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /no turn left/);
    assert.equal((await fetch(`${server.baseUrl}/`, { method: 'HEAD' })).status, 200);
    assert.equal((await fetch(`${server.baseUrl}/v1/nothing`)).status, 404);
    assert.equal(server.modelRequests.length, 1);
    assert.equal(server.requests.length, 3);
  });
});
