/**
 * `aca run --use-intelligent-parser` with the model-API providers: the real AI SDK clients against the
 * scripted model server speaking the Anthropic Messages API, the OpenAI Responses API and Chat Completions.
 * The schema goes out as each API's native structured output; the answer refines the plan; the failures
 * say what to do.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { runCli, type CliIo } from '../../src/cli/main';
import { analysisAnswerSchema } from '../../src/core/plan/analyze';
import { createCompletionPort } from '../../src/core/providers/completionFactory';
import { ProviderError } from '../../src/core/providers/errors';
import { ModelServer, type RecordedRequest, type ScriptedTurn } from '../support/modelServer';
import { useTempDirs } from '../support/processes';

const TASKS = ['# Shop', '', '- [ ] Design the database schema', '- [ ] Write the migrations', '- [ ] Build the REST API -> api.md', ''].join('\n');

/** What the scripted model answers: the analysed changes the plan must show afterwards. */
const ANSWER = {
  strategy: { mode: 'intelligent', maxConcurrent: 2 },
  tasks: [
    { id: '2', dependsOn: ['1'], complexity: 'simple' },
    { id: '3', dependsOn: ['2'], priority: 'high', complexity: 'complex' },
  ],
};
const ANALYSED = [
  ['1', [], 'normal', null],
  ['2', ['1'], 'normal', 'simple'],
  ['3', ['2'], 'high', 'complex'],
];

type Api = 'anthropic' | 'openai' | 'local-model';
const MODEL: Record<Api, string> = { anthropic: 'claude-sonnet-4-5', openai: 'gpt-5', 'local-model': 'scripted-model' };
const API_ENV: Record<Api, (server: ModelServer, key: string) => Record<string, string>> = {
  anthropic: (server, key) => ({ ANTHROPIC_BASE_URL: server.baseUrl, ANTHROPIC_API_KEY: key }),
  openai: (server, key) => ({ OPENAI_BASE_URL: `${server.baseUrl}/v1`, OPENAI_API_KEY: key }),
  'local-model': (server, key) => ({ OLLAMA_HOST: server.baseUrl.replace(/^http:\/\//, ''), LOCAL_MODEL_API_KEY: key }),
};
const WIRE: Record<Api, RecordedRequest['api']> = { anthropic: 'anthropic-messages', openai: 'openai-responses', 'local-model': 'openai-chat' };

/** The JSON Schema a request asked the API to enforce, where each API takes it natively. */
function requestedSchema(api: Api, body: Record<string, unknown>): { type?: unknown; schema?: { properties?: Record<string, unknown> } } | undefined {
  const get = (value: unknown, ...keys: string[]): unknown =>
    keys.reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), value);
  if (api === 'anthropic') {
    return get(body, 'output_config', 'format') as ReturnType<typeof requestedSchema>;
  }
  if (api === 'openai') {
    return get(body, 'text', 'format') as ReturnType<typeof requestedSchema>;
  }
  const format = get(body, 'response_format') as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  return format && { type: format.type, ...(format.json_schema ? { schema: format.json_schema.schema as { properties?: Record<string, unknown> } } : {}) };
}

/** All the text a request sent to the model (the prompt), whichever API. */
function promptOf(request: RecordedRequest): string {
  return JSON.stringify((request.body as { messages?: unknown; input?: unknown }).messages ?? (request.body as { input?: unknown }).input ?? '');
}

describe('plan analysis with the model APIs (AI SDK, native structured output)', function () {
  this.timeout(60_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  let stderr = '';

  beforeEach(async () => {
    stderr = '';
    await writeFile(path.join(dirs.workspace, 'tasks.md'), TASKS);
    await writeFile(path.join(dirs.workspace, 'api.md'), '# API\nEndpoints: GET /items, POST /orders\n');
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  function io(env: Record<string, string>): CliIo {
    return { out: () => undefined, err: (text) => (stderr += text), cwd: dirs.workspace, home: dirs.home, env: { PATH: process.env['PATH'] ?? '', ...env } };
  }

  async function analyse(api: Api, turns: ScriptedTurn[], key = 'sk-test-not-a-real-key', extra: string[] = []): Promise<number> {
    server = await ModelServer.start({ turns });
    return runCli(
      ['run', 'tasks.md', '--dry-run', '--use-intelligent-parser', '--provider', api, '--model', MODEL[api], '--dump-plan', 'plan.json', ...extra],
      io(API_ENV[api](server, key)),
    );
  }

  async function dumpedPlan(): Promise<{ strategy: unknown; tasks: Array<{ id: string; dependsOn: string[]; priority: string; complexity: string | null }> }> {
    return JSON.parse(await readFile(path.join(dirs.workspace, 'plan.json'), 'utf8')) as Awaited<ReturnType<typeof dumpedPlan>>;
  }

  for (const api of ['anthropic', 'openai', 'local-model'] as const) {
    it(`${api}: the schema goes out as the API's structured output, and the answer refines the plan`, async () => {
      const code = await analyse(api, [{ type: 'text', text: JSON.stringify(ANSWER) }], 'sk-test-not-a-real-key', ['--context', 'Postgres 16']);
      assert.equal(code, 0, stderr);
      assert.match(stderr, new RegExp(`Analysing 3 tasks with ${api}:${MODEL[api]}…`));
      assert.match(stderr, /Analysis done in 1 attempt\./);
      const plan = await dumpedPlan();
      assert.deepEqual(plan.strategy, { mode: 'intelligent', maxConcurrent: 2 });
      assert.deepEqual(
        plan.tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
        ANALYSED,
      );

      const requests = server!.modelRequests;
      assert.equal(requests.length, 1);
      const request = requests[0]!;
      assert.equal(request.api, WIRE[api]);
      const body = request.body as Record<string, unknown>;
      assert.equal(body['model'], MODEL[api]);
      const format = requestedSchema(api, body);
      assert.equal(format?.type, 'json_schema', `native structured output: ${JSON.stringify(body).slice(0, 600)}`);
      assert.deepEqual(Object.keys(format.schema?.properties ?? {}).sort(), ['strategy', 'tasks']);
      if (api === 'openai') {
        assert.equal((body['text'] as { format: { strict?: unknown } }).format.strict, false, "non-strict: the answer's fields are optional");
      }
      if (api === 'local-model') {
        assert.equal((body['response_format'] as { json_schema: { strict?: unknown } }).json_schema.strict, false);
      }
      assert.equal(body['tools'], undefined, 'no tools: analysis cannot touch the workspace');
      const prompt = promptOf(request);
      assert.match(prompt, /Design the database schema/);
      assert.match(prompt, /- Postgres 16/);
      assert.match(prompt, /Endpoints: GET \/items/, 'reference contents reach the model');

      // The same plan, hints and model: answered from the cache.
      stderr = '';
      assert.equal(
        await runCli(
          ['run', 'tasks.md', '-n', '--use-intelligent-parser', '--provider', api, '--model', MODEL[api], '--context', 'Postgres 16'],
          io(API_ENV[api](server!, 'sk-test-not-a-real-key')),
        ),
        0,
        stderr,
      );
      assert.match(stderr, /taken from the cache/);
      assert.equal(server!.modelRequests.length, 1);
    });
  }

  it('anthropic: an answer naming an unknown task is sent back once with the problems; the second answer is used', async () => {
    const code = await analyse('anthropic', [
      { type: 'text', text: JSON.stringify({ tasks: [{ id: '9', priority: 'high' }] }) },
      { type: 'text', text: JSON.stringify(ANSWER) },
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Analysis done in 2 attempts\./);
    assert.deepEqual(
      (await dumpedPlan()).tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
      ANALYSED,
    );
    assert.match(promptOf(server!.modelRequests[1]!), /Your previous answer was rejected:[\s\S]*names task \\"9\\", which is not in the plan/);
  });

  it('local-model: a server that refuses the json_schema response format is asked again in plain text; the JSON is found in the prose', async () => {
    const code = await analyse('local-model', [
      { type: 'error', status: 400, message: 'response_format json_schema is not supported' },
      { type: 'text', text: `Here is the refined plan:\n\n\`\`\`json\n${JSON.stringify(ANSWER, null, 2)}\n\`\`\`\n` },
    ]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Analysis done in 1 attempt\./);
    assert.deepEqual(
      (await dumpedPlan()).tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
      ANALYSED,
    );
    const [first, second] = server!.modelRequests;
    assert.ok((first!.body as { response_format?: unknown }).response_format, 'asked for the schema first');
    assert.equal((second!.body as { response_format?: unknown }).response_format, undefined, 'then plain text');
  });

  it('openai: a 429 is retried by the SDK (a one-shot call has no dispatcher to retry it)', async () => {
    const code = await analyse('openai', [
      { type: 'error', status: 429, message: 'Rate limit reached', retryAfterSeconds: 0 },
      { type: 'text', text: JSON.stringify(ANSWER) },
    ]);
    assert.equal(code, 0, stderr);
    assert.equal(server!.modelRequests.length, 2);
    assert.deepEqual(
      (await dumpedPlan()).tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
      ANALYSED,
    );
  });

  for (const api of ['anthropic', 'openai'] as const) {
    it(`${api}: a rejected key (401) fails at once, says which key to set, and never shows the key`, async () => {
      const canary = `sk-${api === 'anthropic' ? 'ant-' : ''}canary${Math.random().toString(36).slice(2)}`;
      const code = await analyse(api, [{ type: 'error', status: 401, message: `Incorrect API key provided: ${canary}` }], canary);
      assert.equal(code, 1, stderr);
      assert.match(stderr, new RegExp(`aca: ${api}: rejected the key \\(HTTP 401\\)`));
      assert.match(stderr, api === 'anthropic' ? /ANTHROPIC_API_KEY for the aca command/ : /OPENAI_API_KEY for the aca command/);
      assert.ok(!stderr.includes(canary), stderr);
      assert.equal(server!.modelRequests.length, 1, 'a 401 is not retried');
      assert.match(await readFile(path.join(dirs.workspace, 'tasks.md'), 'utf8'), /Design the database schema/);
    });
  }

  it('an unknown model (404) and a local server that is not there say what to do', async () => {
    const code = await analyse('openai', [{ type: 'error', status: 404, message: 'The model `gpt-5` does not exist or you do not have access to it.' }]);
    assert.equal(code, 1, stderr);
    assert.match(stderr, /openai: does not know the model \(HTTP 404\)[\s\S]*"gpt-5"/);

    stderr = '';
    const port = server!.baseUrl.split(':').at(-1)!;
    await server!.close();
    server = undefined;
    const gone = await runCli(
      ['run', 'tasks.md', '-n', '--use-intelligent-parser', '--provider', 'local-model', '--model', 'qwen2.5-coder'],
      io({ OLLAMA_HOST: `127.0.0.1:${port}` }),
    );
    assert.equal(gone, 1, stderr);
    assert.match(stderr, /aca: local-model: .*Start the local model server/);
  });

  it('the port: a timeout and a cancellation are told apart; analysis with Codex still goes through Claude Code; vscode-lm is refused clearly', async () => {
    server = await ModelServer.start({ turns: [{ type: 'hang' }, { type: 'hang' }] });
    const schema = z.toJSONSchema(analysisAnswerSchema, { target: 'draft-7' }) as Record<string, unknown>;
    const env = { env: API_ENV.anthropic(server, 'sk-test-not-a-real-key') };
    const slow = createCompletionPort('anthropic', {}, { cwd: dirs.workspace, environment: env, timeoutMs: 1000 });
    await assert.rejects(
      slow.complete({ prompt: 'plan', schema }),
      (error: unknown) => ProviderError.is(error) && error.failure === 'timed-out' && /anthropic: no answer within 1 s/.test(error.message),
    );

    const port = createCompletionPort('anthropic', {}, { cwd: dirs.workspace, environment: env });
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 200);
    await assert.rejects(
      port.complete({ prompt: 'plan', schema, signal: abort.signal }),
      (error: unknown) => ProviderError.is(error) && error.failure === 'cancelled',
    );

    assert.match(createCompletionPort('openai-codex', {}, { cwd: dirs.workspace }).id, /^claude-code:/);
    assert.throws(
      () => createCompletionPort('vscode-lm' as never, {}, { cwd: dirs.workspace }),
      /Analysis with the provider "vscode-lm" is not supported; use one of claude-code, anthropic, openai, local-model/,
    );
  });

  it('aca run --use-intelligent-parser --provider openai-codex is refused before anything runs', async () => {
    const code = await runCli(['run', 'tasks.md', '-n', '--use-intelligent-parser', '--provider', 'openai-codex'], io({}));
    assert.equal(code, 2);
    assert.match(stderr, /--provider openai-codex: analysis supports claude-code, anthropic, openai, local-model/);
  });
});
