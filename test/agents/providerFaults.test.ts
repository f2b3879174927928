/**
 * The fault table at the provider level, with the real CLIs against the scripted model server: every fault
 * ends the run with success false, a message that says what happened, and within a bound (never a hang).
 * The CLIs' own retries are shortened. What the engine then does (retry, park, fall back) is its issue.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClaudeCodeProvider } from '../../src/core/providers/claudeCode';
import { CodexProvider } from '../../src/core/providers/codex';
import type { AgentProvider, ProviderEvent, ProviderResult } from '../../src/core/providers/provider';
import { ModelServer, type ScriptedTurn } from '../support/modelServer';
import { repoBin, useTempDirs } from '../support/processes';

interface Fault {
  readonly name: string;
  readonly turns: ScriptedTurn[];
  readonly claude: RegExp;
  readonly codex: RegExp;
}

const FAULTS: Fault[] = [
  { name: '401 unauthorized', turns: [{ type: 'error', status: 401 }], claude: /API key|401|authenticat/i, codex: /401/ },
  { name: '403 forbidden', turns: [{ type: 'error', status: 403 }], claude: /403/, codex: /403/ },
  { name: '429 with retry-after', turns: [{ type: 'error', status: 429, retryAfterSeconds: 1 }], claude: /429|rate/i, codex: /429|retry limit/i },
  { name: '529 overloaded', turns: [{ type: 'error', status: 529 }], claude: /529|overloaded/i, codex: /529|retry limit|demand/i },
  { name: '500 server error', turns: [{ type: 'error', status: 500 }], claude: /500/, codex: /500|retry limit|demand/i },
  { name: 'malformed stream', turns: [{ type: 'malformed' }, { type: 'malformed' }], claude: /parse|JSON|API Error/i, codex: /stream|disconnected|completion/i },
  { name: 'hang before headers', turns: [{ type: 'hang' }], claude: /tim|abort|API Error|without a result/i, codex: /no output for 4 s: Codex was stopped/ },
  { name: 'truncated stream', turns: [{ type: 'truncated' }, { type: 'truncated' }], claude: /API Error|parse|JSON|terminated|closed/i, codex: /stream|disconnected|completion|closed/i },
  { name: 'hang mid-stream', turns: [{ type: 'stall' }], claude: /no output for 6 s: Claude Code was stopped/, codex: /no output for 4 s|idle|timeout|stream/i },
];

async function collect(provider: AgentProvider, cwd: string, signal?: AbortSignal): Promise<{ events: ProviderEvent[]; result: ProviderResult; ms: number }> {
  const started = Date.now();
  const events: ProviderEvent[] = [];
  const run = provider.run({ prompt: 'Do the task', cwd, ...(signal ? { signal } : {}) });
  for (let next = await run.next(); ; next = await run.next()) {
    if (next.done) {
      return { events, result: next.value, ms: Date.now() - started };
    }
    events.push(next.value);
  }
}

describe('provider faults with the real CLIs', function () {
  this.timeout(60_000);
  const dirs = useTempDirs('home', 'ws');
  let server: ModelServer;
  afterEach(async () => server?.close());

  const claude = (): ClaudeCodeProvider =>
    new ClaudeCodeProvider({
      executable: repoBin('claude'),
      model: 'claude-sonnet-4-5',
      env: { HOME: dirs.home, ANTHROPIC_BASE_URL: server.baseUrl, ANTHROPIC_API_KEY: 'sk-test-not-a-real-key', CLAUDE_CODE_MAX_RETRIES: '0', API_TIMEOUT_MS: '4000', DISABLE_TELEMETRY: '1' },
      idleTimeoutMs: 6000,
    });

  const codex = async (): Promise<CodexProvider> => {
    await writeFile(
      path.join(dirs.home, 'config.toml'),
      ['model_provider = "scripted"', '[model_providers.scripted]', 'name = "Scripted"', `base_url = "${server.baseUrl}/v1"`, 'wire_api = "responses"', 'env_key = "SCRIPTED_OPENAI_KEY"', 'request_max_retries = 0', 'stream_max_retries = 0', 'stream_idle_timeout_ms = 4000', '[features]', 'plugins = false', '[analytics]', 'enabled = false', ''].join('\n'),
    );
    return new CodexProvider({ executable: repoBin('codex'), model: 'gpt-5.5', env: { HOME: dirs.home, CODEX_HOME: dirs.home, SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key' }, idleTimeoutMs: 4000 });
  };

  for (const fault of FAULTS) {
    for (const name of ['claude-code', 'openai-codex'] as const) {
      it(`${name}: ${fault.name} ends as a failure that says so, within bounds`, async () => {
        server = await ModelServer.start({ turns: [...fault.turns], whenExhausted: fault.turns[fault.turns.length - 1]! });
        const provider = name === 'claude-code' ? claude() : await codex();
        const { result, ms } = await collect(provider, dirs.ws);
        assert.equal(result.success, false, `expected a failure, got: ${result.message}`);
        assert.match(result.message, name === 'claude-code' ? fault.claude : fault.codex);
        assert.ok(ms < 45_000, `took ${ms} ms`);
      });
    }
  }

  it('claude-code: not logged in (no key, fresh home) ends at once with what to do', async () => {
    server = await ModelServer.start();
    const provider = new ClaudeCodeProvider({ executable: repoBin('claude'), env: { HOME: dirs.home, ANTHROPIC_API_KEY: '', ANTHROPIC_BASE_URL: server.baseUrl, DISABLE_TELEMETRY: '1' } });
    const { result, ms } = await collect(provider, dirs.ws);
    assert.equal(result.success, false);
    assert.match(result.message, /Not logged in|login/i);
    assert.ok(ms < 20_000);
  });

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: a CLI killed from outside ends the run as a failure`, async () => {
      server = await ModelServer.start({ turns: [{ type: 'text', text: 'late', delayMs: 20_000 }] });
      const marker = `kill-marker-${process.pid}-${Date.now()}`;
      const provider = name === 'claude-code' ? claude() : await codex();
      const started = Date.now();
      const run = provider.run({ prompt: name === 'openai-codex' ? marker : 'Do the task', cwd: dirs.ws });
      const first = await run.next(); // the session event: for Claude its id is on the command line
      const pattern = name === 'claude-code' && !first.done && first.value.type === 'session' ? first.value.sessionId : marker;
      setTimeout(() => {
        try {
          execFileSync('pkill', ['-KILL', '-f', pattern]);
        } catch {
          // nothing matched yet: the assertion below reports it
        }
      }, 1500);
      let next = await run.next();
      while (!next.done) {
        next = await run.next();
      }
      assert.equal(next.value.success, false);
      assert.match(next.value.message, /SIGKILL|exited|without a result|signal/i);
      assert.ok(Date.now() - started < 15_000);
    });
  }

  it('claude-code: a permission denial is reported as such', async () => {
    server = await ModelServer.start({
      turns: [{ type: 'tool', name: 'Write', input: { file_path: path.join(dirs.home, 'outside.txt'), content: 'x' } }, { type: 'text', text: 'I could not write it.' }],
    });
    const { events } = await collect(claude(), dirs.ws);
    const denial = events.find((e) => e.type === 'permission_denied');
    assert.ok(denial?.type === 'permission_denied' && denial.tool === 'Write' && denial.summary.endsWith('outside.txt'), JSON.stringify(events));
  });

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: cancelling ends the CLI and reports it`, async () => {
      server = await ModelServer.start({ turns: [{ type: 'text', text: 'late', delayMs: 20_000 }] });
      const provider = name === 'claude-code' ? claude() : await codex();
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 1500);
      const { result, ms } = await collect(provider, dirs.ws, abort.signal);
      assert.equal(result.success, false);
      assert.equal(result.message, 'cancelled');
      assert.ok(ms < 15_000, `took ${ms} ms`);
    });

    it(`${name}: a missing CLI fails at once with the path`, async () => {
      server = await ModelServer.start();
      const missing = path.join(dirs.ws, 'missing-cli');
      const provider = name === 'claude-code' ? new ClaudeCodeProvider({ executable: missing }) : new CodexProvider({ executable: missing });
      const { result } = await collect(provider, dirs.ws);
      assert.equal(result.success, false);
      assert.match(result.message, /^cannot run ".*missing-cli": not found; install it or set its path in the settings$/);
    });
  }
});
