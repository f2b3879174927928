/**
 * The fault table with the real CLIs against the scripted model server, each row through the dispatcher
 * and ending as the issue specifies: retried (and then finished), parked until a usage limit resets,
 * fallen back with a handed-over summary, or failed with a message that says what happened and what to do
 * — never a hang. The CLIs' own retries are shortened; ACA's backoff is shortened by its options.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClaudeCodeProvider } from '../../src/core/providers/claudeCode';
import { CodexProvider } from '../../src/core/providers/codex';
import { ModelAgentProvider } from '../../src/core/providers/modelAgent';
import { AgentDispatcher, type DispatchEvent, type DispatchResult, type DispatcherOptions } from '../../src/core/providers/dispatcher';
import type { Clock } from '../../src/core/providers/limits';
import type { AgentProvider, ProviderName } from '../../src/core/providers/provider';
import { anthropicPrompt, ModelServer, openAiInputItems, type ScriptedTurn } from '../support/modelServer';
import { repoBin, useTempDirs } from '../support/processes';
import { scriptedCodexConfig } from '../support/codexConfig';

interface Fault {
  readonly name: string;
  readonly turns: ScriptedTurn[];
  /** What the CLI says about it (the reason of ACA's retry, or the final message); absent for rows of the APIs only. */
  readonly claude?: RegExp;
  readonly codex?: RegExp;
  /** What ACA's own agent loop (the Anthropic API through the AI SDK) says about it. */
  readonly api: RegExp;
  /** How the row ends: a transient fault is retried and the task then finishes; a rejected login fails with the fix. */
  readonly ending: 'retried' | 'failed';
  /** The providers the row is for (default: all); a failed row's message ends with this fix (default: the login's). */
  readonly only?: readonly ProviderName[];
  readonly fix?: string;
}

const APIS = ['anthropic', 'openai', 'local-model'] as const;

const FAULTS: Fault[] = [
  {
    name: '401 unauthorized',
    turns: [{ type: 'error', status: 401 }],
    claude: /API key|401|authenticat/i,
    codex: /401/,
    api: /rejected the key \(HTTP 401\)/,
    ending: 'failed',
  },
  { name: '403 forbidden', turns: [{ type: 'error', status: 403 }], claude: /403/, codex: /403/, api: /rejected the key \(HTTP 403\)/, ending: 'failed' },
  {
    name: '429 with retry-after',
    turns: [{ type: 'error', status: 429, retryAfterSeconds: 1 }],
    claude: /429|rate/i,
    codex: /429|retry limit/i,
    api: /rate limiting \(HTTP 429\)/,
    ending: 'retried',
  },
  {
    name: '529 overloaded',
    turns: [{ type: 'error', status: 529 }],
    claude: /529|overloaded/i,
    codex: /529|retry limit|demand/i,
    api: /HTTP 529/,
    ending: 'retried',
  },
  { name: '500 server error', turns: [{ type: 'error', status: 500 }], claude: /500/, codex: /500|retry limit|demand/i, api: /HTTP 500/, ending: 'retried' },
  {
    name: 'malformed stream',
    turns: [{ type: 'malformed' }, { type: 'malformed' }],
    claude: /parse|JSON|API Error/i,
    codex: /stream|disconnected|completion/i,
    api: /anthropic|openai|local-model/,
    ending: 'retried',
  },
  {
    name: 'hang before headers',
    turns: [{ type: 'hang' }],
    claude: /tim|abort|API Error|without a result/i,
    codex: /no output for 4 s: Codex was stopped/,
    api: /no answer for 4 s: (anthropic|openai|local-model) was stopped/,
    ending: 'retried',
  },
  {
    name: 'truncated stream',
    turns: [{ type: 'truncated' }, { type: 'truncated' }],
    claude: /API Error|parse|JSON|terminated|closed/i,
    codex: /stream|disconnected|completion|closed/i,
    api: /anthropic|openai|ended early|without a finish reason/,
    ending: 'retried',
  },
  {
    name: 'hang mid-stream',
    turns: [{ type: 'stall' }],
    claude: /no output for 6 s: Claude Code was stopped/,
    codex: /no output for 4 s|idle|timeout|stream/i,
    api: /no answer for 4 s: (anthropic|openai|local-model) was stopped/,
    ending: 'retried',
  },
  { name: '503 unavailable', turns: [{ type: 'error', status: 503 }], api: /HTTP 503/, ending: 'retried', only: APIS },
  {
    name: 'mid-stream error event',
    turns: [{ type: 'stream-error' }],
    api: /overloaded|server had an error|model runner stopped/i,
    ending: 'retried',
    only: APIS,
  },
  {
    name: 'unknown model (404)',
    turns: [{ type: 'error', status: 404, message: "model 'no-such-model' not found" }],
    api: /does not know the model \(HTTP 404\)/,
    ending: 'failed',
    only: APIS,
    fix: 'Check the model name in the settings.',
  },
  {
    name: 'model without tools (400)',
    turns: [{ type: 'error', status: 400, message: 'registry.ollama.ai/library/gemma:2b does not support tools' }],
    api: /the model cannot call tools, so it cannot run tasks/,
    ending: 'failed',
    only: ['local-model'],
    fix: 'Choose a model with tool calling (e.g. qwen2.5-coder or llama3.1).',
  },
];

/** Real time, but a park returns at once: the test checks when ACA would resume, not that it waited an hour. */
function fastForwardClock(): Clock & { readonly slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => Date.now(), sleep: async (ms) => void slept.push(ms) };
}

async function dispatch(
  dispatcher: AgentDispatcher,
  cwd: string,
  onEvent: (event: DispatchEvent) => void = () => undefined,
  signal?: AbortSignal,
): Promise<{ events: DispatchEvent[]; result: DispatchResult; ms: number }> {
  const started = Date.now();
  const events: DispatchEvent[] = [];
  const run = dispatcher.run({ prompt: 'Do the task', cwd, ...(signal ? { signal } : {}) });
  for (let next = await run.next(); ; next = await run.next()) {
    if (next.done) {
      return { events, result: next.value, ms: Date.now() - started };
    }
    events.push(next.value);
    onEvent(next.value);
  }
}

describe('provider faults with the real CLIs, each ending as retried, parked, fallen back or failed', function () {
  this.timeout(90_000);
  const dirs = useTempDirs('home', 'codexHome', 'ws');
  const servers: ModelServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function serve(turns: ScriptedTurn[], whenExhausted?: ScriptedTurn): Promise<ModelServer> {
    const server = await ModelServer.start({ turns, ...(whenExhausted ? { whenExhausted } : {}) });
    servers.push(server);
    return server;
  }

  const claude = (server: ModelServer, env: Record<string, string> = {}): ClaudeCodeProvider =>
    new ClaudeCodeProvider({
      executable: repoBin('claude'),
      model: 'claude-sonnet-4-5',
      env: {
        HOME: dirs.home,
        ANTHROPIC_BASE_URL: server.baseUrl,
        ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
        CLAUDE_CODE_MAX_RETRIES: '0',
        API_TIMEOUT_MS: '4000',
        DISABLE_TELEMETRY: '1',
        ...env,
      },
      idleTimeoutMs: 6000,
    });

  const codex = async (server: ModelServer): Promise<CodexProvider> => {
    await writeFile(path.join(dirs.codexHome, 'config.toml'), scriptedCodexConfig(server.baseUrl, { streamIdleTimeoutMs: 4000 }));
    return new CodexProvider({
      executable: repoBin('codex'),
      model: 'gpt-5.5',
      env: { HOME: dirs.home, CODEX_HOME: dirs.codexHome, SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key' },
      idleTimeoutMs: 4000,
    });
  };

  const anthropicApi = (server: ModelServer): ModelAgentProvider =>
    new ModelAgentProvider({
      name: 'anthropic',
      model: 'claude-sonnet-4-5',
      baseUrl: server.baseUrl,
      apiKey: 'sk-test-not-a-real-key',
      commands: { allow: [] },
      idleTimeoutMs: 4000,
    });

  const openAiApi = (server: ModelServer): ModelAgentProvider =>
    new ModelAgentProvider({
      name: 'openai',
      model: 'gpt-5',
      baseUrl: `${server.baseUrl}/v1`,
      apiKey: 'sk-test-not-a-real-key',
      commands: { allow: [] },
      idleTimeoutMs: 4000,
    });

  const localModel = (server: ModelServer): ModelAgentProvider =>
    new ModelAgentProvider({ name: 'local-model', model: 'scripted-model', baseUrl: `${server.baseUrl}/v1`, commands: { allow: [] }, idleTimeoutMs: 4000 });

  const provider = async (name: ProviderName, server: ModelServer): Promise<AgentProvider> =>
    name === 'claude-code'
      ? claude(server)
      : name === 'anthropic'
        ? anthropicApi(server)
        : name === 'openai'
          ? openAiApi(server)
          : name === 'local-model'
            ? localModel(server)
            : codex(server);

  const dispatcher = (chain: AgentProvider[], options: Partial<DispatcherOptions> = {}): AgentDispatcher =>
    new AgentDispatcher({ chain, attemptsPerProvider: 2, backoff: { baseMs: 100, maxMs: 200 }, preflight: false, ...options });

  for (const fault of FAULTS) {
    for (const name of (['claude-code', 'openai-codex', 'anthropic', 'openai', 'local-model'] as const).filter((n) => !fault.only || fault.only.includes(n))) {
      it(`${name}: ${fault.name} is ${fault.ending === 'retried' ? 'retried, and the task finishes' : fault.fix ? 'not retried: it fails saying what to do' : 'not retried: it fails with the login fix'}`, async () => {
        const server = await serve([...fault.turns], fault.turns[fault.turns.length - 1]!);
        const said = (name === 'claude-code' ? fault.claude : name === 'openai-codex' ? fault.codex : fault.api)!;
        // The fault is over once ACA decides to retry: the next attempt gets a working model.
        const { events, result, ms } = await dispatch(dispatcher([await provider(name, server)]), dirs.ws, (event) => {
          if (event.type === 'retrying') {
            server.script([], { type: 'text', text: 'recovered' });
          }
        });
        if (fault.ending === 'retried') {
          const retrying = events.find((e) => e.type === 'retrying');
          assert.ok(retrying?.type === 'retrying', `no retry: ${result.message}`);
          assert.match(retrying.reason, said);
          assert.equal(result.outcome, 'done', result.message);
          assert.equal(result.message, 'recovered');
          assert.equal(result.runs, 2);
        } else {
          assert.equal(result.outcome, 'failed');
          assert.equal(result.runs, 1, 'a rejected login or request is not retried');
          assert.match(result.message, said);
          const fixes = {
            'claude-code': 'Run "claude login" in a terminal, or set ANTHROPIC_API_KEY.',
            'openai-codex': 'Run "codex login" in a terminal (or set CODEX_API_KEY).',
            anthropic: 'Set an Anthropic API key: "ACA: Set API Key…" in VS Code, ANTHROPIC_API_KEY for the aca command.',
            openai: 'Set an OpenAI API key: "ACA: Set API Key…" in VS Code, OPENAI_API_KEY for the aca command.',
            'local-model':
              'The local model server refused the request: if it needs a key, set LOCAL_MODEL_API_KEY (the aca command); check its address (OLLAMA_HOST, local_model.base_url, aca.localModel.baseUrl).',
          };
          assert.ok(result.message.endsWith(fault.fix ?? fixes[name]), result.message);
        }
        assert.ok(ms < 60_000, `took ${ms} ms`);
      });
    }
  }

  // Pacing: the rate-limit headers of a success say the window is used up; the loop waits for the reset
  // before its next request instead of running into a 429.
  const usedUp: Record<'anthropic' | 'openai' | 'local-model', { headers: () => Record<string, string>; budget: RegExp }> = {
    anthropic: {
      // Fewer input tokens left than the conversation already uses (120 per request here).
      headers: () => ({
        'anthropic-ratelimit-input-tokens-limit': '30000',
        'anthropic-ratelimit-input-tokens-remaining': '40',
        'anthropic-ratelimit-input-tokens-reset': new Date(Date.now() + 1500).toISOString(),
      }),
      budget: /40 tokens left in this window, about 120 needed/,
    },
    openai: {
      headers: () => ({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' }),
      budget: /no requests left/,
    },
    'local-model': {
      headers: () => ({ 'x-ratelimit-limit-requests': '60', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1500ms' }),
      budget: /no requests left/,
    },
  };
  for (const name of APIS) {
    it(`${name}: the rate-limit headers say the window is used up, and the loop waits for the reset before its next request (no 429)`, async () => {
      const server = await serve([
        { type: 'tool', name: 'write_file', input: { path: 'paced.txt', content: 'paced\n' }, headers: usedUp[name].headers() },
        { type: 'tool', name: 'task_complete', input: { summary: 'Paced.' } },
      ]);
      const { events, result } = await dispatch(dispatcher([await provider(name, server)]), dirs.ws);
      assert.equal(result.outcome, 'done', result.message);
      const paced = events.flatMap((e) => (e.type === 'agent' && e.event.type === 'paced' ? [e.event] : []));
      assert.equal(paced.length, 1, JSON.stringify(events));
      assert.match(paced[0]!.reason, usedUp[name].budget);
      const [first, second] = server.modelRequests;
      assert.ok(second!.at - first!.at >= 1000, `the second request came ${second!.at - first!.at} ms after the first, before the window reset`);
      assert.equal(server.modelRequests.length, 2);
    });
  }

  it("anthropic: near the model's window, the oldest tool outputs are trimmed first; the task and the newest outputs stay", async () => {
    for (const name of ['a', 'b', 'c']) {
      await writeFile(path.join(dirs.ws, `${name}.txt`), `MARKER-${name.toUpperCase()} ${'x'.repeat(3000)}\n`);
    }
    const server = await serve([
      { type: 'tool', name: 'read_file', input: { path: 'a.txt' } },
      { type: 'tool', name: 'read_file', input: { path: 'b.txt' } },
      { type: 'tool', name: 'read_file', input: { path: 'c.txt' } },
      { type: 'tool', name: 'task_complete', input: { summary: 'Read them all.' } },
    ]);
    const small = new ModelAgentProvider({
      name: 'anthropic',
      model: 'claude-sonnet-4-5',
      baseUrl: server.baseUrl,
      apiKey: 'sk-test-not-a-real-key',
      commands: { allow: [] },
      contextWindow: 3000,
    });
    const { events, result } = await dispatch(dispatcher([small]), dirs.ws);
    assert.equal(result.outcome, 'done', result.message);
    const last = JSON.stringify(server.modelRequests[3]!.body);
    assert.match(last, /Do the task/, 'the task is never trimmed');
    assert.doesNotMatch(last, /MARKER-A/, 'the oldest output is gone');
    assert.match(last, /output of read_file trimmed to save context/);
    assert.match(last, /MARKER-B/);
    assert.match(last, /MARKER-C/);
    assert.match(JSON.stringify(server.modelRequests[2]!.body), /MARKER-A/, 'nothing is trimmed before the window is near');
    const trimmed = events.flatMap((e) => (e.type === 'agent' && e.event.type === 'trimmed' ? [e.event] : []));
    assert.equal(trimmed.length, 1);
    assert.ok(trimmed[0]!.tokensAfter < trimmed[0]!.tokensBefore);
  });

  it('openai: a window used up for an hour ends the attempt as rate limited (no request sent into it), and the next provider finishes the task', async () => {
    const limited = await serve([
      {
        type: 'tool',
        name: 'write_file',
        input: { path: 'started.txt', content: 'half\n' },
        headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1h0m0s' },
      },
    ]);
    const other = await serve([{ type: 'tool', name: 'task_complete', input: { summary: 'Finished elsewhere.' } }]);
    const { events, result } = await dispatch(dispatcher([openAiApi(limited), anthropicApi(other)]), dirs.ws);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.provider, 'anthropic');
    assert.equal(limited.modelRequests.length, 1, 'nothing was sent into the used-up window');
    const fallback = events.find((e) => e.type === 'fallback');
    assert.ok(
      fallback?.type === 'fallback' && /rate-limit window is used up \(no requests left in this window\)/.test(fallback.reason),
      JSON.stringify(fallback),
    );
  });

  it('claude-code: a fault that persists is retried, then fails with what to do', async () => {
    const server = await serve([], { type: 'error', status: 529 });
    const { result } = await dispatch(dispatcher([claude(server)]), dirs.ws);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.runs, 2);
    assert.match(
      result.message,
      /^claude-code failed 2 times, last: API Error: 529.* It may be down or overloaded: retry the task later, or add another provider to the fallback chain\.$/,
    );
  });

  it('claude-code: not logged in (no key, fresh home) fails before running, with what to do', async () => {
    const server = await serve([]);
    const { result, ms } = await dispatch(dispatcher([claude(server, { ANTHROPIC_API_KEY: '' })], { preflight: true }), dirs.ws);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.runs, 0);
    assert.equal(result.message, 'claude-code: not logged in. Run "claude login" in a terminal, or set ANTHROPIC_API_KEY.');
    assert.equal(server.modelRequests.length, 0);
    assert.ok(ms < 20_000);
  });

  it('openai-codex: not logged in (which never fails fast by itself) fails before running, with what to do', async () => {
    // The default OpenAI provider and no key: a run would loop on reconnects; `codex login status` tells.
    const provider = new CodexProvider({ executable: repoBin('codex'), env: { HOME: dirs.home, CODEX_HOME: dirs.codexHome } });
    const { result, ms } = await dispatch(dispatcher([provider], { preflight: true }), dirs.ws);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.runs, 0);
    assert.equal(result.message, 'openai-codex: not logged in. Run "codex login" in a terminal (or set CODEX_API_KEY).');
    assert.ok(ms < 20_000);
  });

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: a CLI killed from outside is retried, and the task finishes`, async () => {
      const server = await serve([{ type: 'text', text: 'late', delayMs: 20_000 }], { type: 'text', text: 'recovered' });
      const started = Date.now();
      let killed = false;
      // Claude's own request timeout (4 s in this file) must not end the first attempt before the kill does: on a
      // busy machine the session event and pkill come late, and the attempt failed as a timeout instead.
      const agent = name === 'claude-code' ? claude(server, { API_TIMEOUT_MS: '15000' }) : await provider(name, server);
      const { events, result } = await dispatch(dispatcher([agent]), dirs.ws, (event) => {
        if (!killed && event.type === 'agent' && event.event.type === 'session') {
          killed = true;
          // Claude's session id is on its command line; Codex's process is found by its config folder.
          const pattern = name === 'claude-code' ? event.event.sessionId : 'codex.*exec --json';
          // Killed once the model request is in (the server holds its answer), not at a fixed delay: on a
          // busy machine the CLI may not have asked yet, and the retry then got the held answer and stalled.
          const killWhenAsked = (): void => {
            if (server.modelRequests.length === 0 && Date.now() - started < 20_000) {
              setTimeout(killWhenAsked, 100);
              return;
            }
            try {
              execFileSync('pkill', ['-KILL', '-f', pattern]);
            } catch {
              // nothing matched: the assertions below report it
            }
          };
          setTimeout(killWhenAsked, 500);
        }
      });
      const retrying = events.find((e) => e.type === 'retrying');
      assert.ok(retrying?.type === 'retrying', result.message);
      assert.match(retrying.reason, /SIGKILL|exited|without a result|signal/i);
      assert.equal(result.outcome, 'done', result.message);
      assert.ok(Date.now() - started < 30_000);
    });
  }

  it('claude-code: a permission denial fails the task with the denied tool and how to allow it', async () => {
    const server = await serve([
      { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.home, 'outside.txt'), content: 'x' } },
      { type: 'text', text: 'I could not write it.' },
    ]);
    const { result } = await dispatch(dispatcher([claude(server)]), dirs.ws);
    assert.equal(result.outcome, 'failed');
    assert.equal(result.failure?.kind, 'permission');
    assert.equal(
      result.message,
      `claude-code was not allowed to: Write ${path.join(dirs.home, 'outside.txt')}. Allow it in the settings (allowed tools or permission mode) and retry the task.`,
    );
  });

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: cancelling ends the CLI and the task as cancelled`, async () => {
      const server = await serve([{ type: 'text', text: 'late', delayMs: 20_000 }]);
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 1500);
      const { result, ms } = await dispatch(dispatcher([await provider(name, server)]), dirs.ws, undefined, abort.signal);
      assert.equal(result.outcome, 'cancelled');
      assert.ok(ms < 15_000, `took ${ms} ms`);
    });

    it(`${name}: a missing CLI fails at once with how to install it`, async () => {
      const missing = path.join(dirs.ws, 'missing-cli');
      const provider = name === 'claude-code' ? new ClaudeCodeProvider({ executable: missing }) : new CodexProvider({ executable: missing });
      const { result } = await dispatch(dispatcher([provider], { preflight: true }), dirs.ws);
      assert.equal(result.outcome, 'failed');
      assert.equal(result.runs, 0);
      assert.match(
        result.message,
        name === 'claude-code'
          ? /^claude-code: Install Claude Code \(npm install -g @anthropic-ai\/claude-code\) or set "aca\.claudeCode\.path"; ".*missing-cli" was not found\.$/
          : /^openai-codex: Install the Codex CLI .*missing-cli" was not found\.$/,
      );
    });

    it(`${name}: without preflight, a missing CLI still fails at once with the path`, async () => {
      const missing = path.join(dirs.ws, 'missing-cli');
      const provider = name === 'claude-code' ? new ClaudeCodeProvider({ executable: missing }) : new CodexProvider({ executable: missing });
      const { result } = await dispatch(dispatcher([provider]), dirs.ws);
      assert.equal(result.outcome, 'failed');
      assert.match(result.message, /: cannot run ".*missing-cli": not found; install it or set its path in the settings\.$/);
    });
  }

  it('claude-code: a usage limit (rate_limit_event) parks the task until the reset, then it finishes', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 2 * 3600;
    const limit: ScriptedTurn = {
      type: 'error',
      status: 429,
      message: 'usage limit',
      headers: {
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': String(resetsAt),
        'anthropic-ratelimit-unified-representative-claim': 'five_hour',
      },
    };
    const server = await serve([], limit);
    const clock = fastForwardClock();
    // A subscription login (not an API key) is what makes Claude Code report its plan's limits.
    const provider = claude(server, { ANTHROPIC_API_KEY: '', CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-test-not-real' });
    const { events, result } = await dispatch(dispatcher([provider], { clock }), dirs.ws, (event) => {
      if (event.type === 'parked') {
        server.script([], { type: 'text', text: 'after the reset' });
      }
    });
    const parked = events.find((e) => e.type === 'parked');
    assert.ok(parked?.type === 'parked', result.message);
    assert.equal(parked.until, resetsAt * 1000);
    assert.match(parked.reason, /hit your .*limit · resets/);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.message, 'after the reset');
  });

  it('openai-codex: a usage limit parks the task until the time it names, then it finishes', async () => {
    const resetsAt = Math.floor(Date.now() / 1000) + 3 * 3600;
    const server = await serve([], {
      type: 'error',
      status: 429,
      message: 'usage limit',
      errorFields: { type: 'usage_limit_reached', resets_at: resetsAt, plan_type: 'plus' },
    });
    const clock = fastForwardClock();
    const { events, result } = await dispatch(dispatcher([await codex(server)], { clock }), dirs.ws, (event) => {
      if (event.type === 'parked') {
        server.script([], { type: 'text', text: 'after the reset' });
      }
    });
    const parked = events.find((e) => e.type === 'parked');
    assert.ok(parked?.type === 'parked', result.message);
    assert.ok(
      Math.abs(parked.until - resetsAt * 1000) < 60_000,
      `parked until ${new Date(parked.until).toISOString()}, reset ${new Date(resetsAt * 1000).toISOString()}: Codex names the minute`,
    );
    assert.equal(result.outcome, 'done', result.message);
  });

  it("fallback: Claude Code gets 429s with a long retry-after, and the task finishes on the Anthropic API (ACA's agent loop) with the summary handed over", async () => {
    const claudeServer = await serve([{ type: 'tool', name: 'Write', input: { file_path: path.join(dirs.ws, 'started.txt'), content: 'half done\n' } }], {
      type: 'error',
      status: 429,
      retryAfterSeconds: 3600,
    });
    const apiServer = await serve([
      { type: 'tool', name: 'write_file', input: { path: 'finished.txt', content: 'done\n' } },
      { type: 'tool', name: 'task_complete', input: { summary: 'Finished what claude-code started.' } },
    ]);
    const { events, result } = await dispatch(dispatcher([claude(claudeServer), anthropicApi(apiServer)]), dirs.ws);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.provider, 'anthropic');
    assert.equal(result.message, 'Finished what claude-code started.');
    assert.equal(await readFile(path.join(dirs.ws, 'finished.txt'), 'utf8'), 'done\n');
    const fallback = events.find((e) => e.type === 'fallback');
    assert.ok(fallback?.type === 'fallback' && fallback.from === 'claude-code' && fallback.to === 'anthropic');
    const sent = JSON.stringify(apiServer.modelRequests[0]!.body);
    assert.match(sent, /Handed over from claude-code/);
    assert.match(sent, /started\.txt/);
  });

  it('fallback: Claude gets 429s with a long retry-after, and the task finishes on Codex with the summary handed over', async () => {
    const claudeServer = await serve([{ type: 'tool', name: 'Write', input: { file_path: path.join(dirs.ws, 'started.txt'), content: 'half done\n' } }], {
      type: 'error',
      status: 429,
      retryAfterSeconds: 3600,
    });
    const codexServer = await serve([{ type: 'text', text: 'Finished what claude-code started.' }]);
    const { events, result } = await dispatch(dispatcher([claude(claudeServer), await codex(codexServer)]), dirs.ws);
    assert.equal(result.outcome, 'done', result.message);
    assert.equal(result.provider, 'openai-codex');
    assert.equal(result.message, 'Finished what claude-code started.');
    assert.equal(await readFile(path.join(dirs.ws, 'started.txt'), 'utf8'), 'half done\n');
    const fallback = events.find((e) => e.type === 'fallback');
    assert.ok(fallback?.type === 'fallback' && fallback.from === 'claude-code' && fallback.to === 'openai-codex');
    // What Codex was sent: the task, then the summary of what Claude had done.
    const sent = JSON.stringify(openAiInputItems(codexServer.modelRequests[0]!));
    assert.match(sent, /Do the task/);
    assert.match(sent, /Handed over from claude-code/);
    assert.match(sent, /started\.txt/);
    assert.match(sent, /429/);
    // Claude's retry continued its own conversation (the Write is in what it resent).
    const claudeRetry = claudeServer.modelRequests.at(-1)!;
    assert.equal(anthropicPrompt(claudeRetry), 'Do the task');
    assert.match(JSON.stringify(claudeRetry.body), /started\.txt/);
  });
});
