/**
 * The provider interface driven through the real Claude Code and Codex CLIs against the scripted model
 * server: normalized streaming events, results with usage and cost, resume, detection, and task text that
 * reaches the agent verbatim without ever passing through a shell.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClaudeCodeProvider } from '../../src/core/providers/claudeCode';
import { CodexProvider } from '../../src/core/providers/codex';
import type { AgentProvider, ProviderEvent, ProviderResult, TaskRun } from '../../src/core/providers/provider';
import { ModelServer, anthropicPrompt, openAiInputItems, type ScriptedTurn } from '../support/modelServer';
import { repoBin, useTempDirs } from '../support/processes';
import { scriptedCodexConfig } from '../support/codexConfig';

async function collect(provider: AgentProvider, task: TaskRun): Promise<{ events: ProviderEvent[]; result: ProviderResult }> {
  const events: ProviderEvent[] = [];
  const run = provider.run(task);
  for (let next = await run.next(); ; next = await run.next()) {
    if (next.done) {
      return { events, result: next.value };
    }
    events.push(next.value);
  }
}

/** The tool results of the conversation an Anthropic request carries. */
function toolResults(request: { body: unknown }): Array<{ is_error?: boolean; content?: unknown }> {
  const messages = (request.body as { messages?: Array<{ content?: unknown }> }).messages ?? [];
  return messages.flatMap((m) =>
    Array.isArray(m.content) ? (m.content as Array<{ type?: string; is_error?: boolean; content?: unknown }>).filter((c) => c.type === 'tool_result') : [],
  );
}

const HOSTILE = 'Name the file $(touch pwned) and `touch pwned2`; rm -rf ./important && echo "$HOME" | tee pwned3';

describe('provider interface with the real CLIs', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'ws');
  let server: ModelServer;
  afterEach(async () => server?.close());

  function claude(): ClaudeCodeProvider {
    return new ClaudeCodeProvider({
      executable: repoBin('claude'),
      model: 'claude-sonnet-4-5',
      env: {
        HOME: dirs.home,
        ANTHROPIC_BASE_URL: server.baseUrl,
        ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
        CLAUDE_CODE_MAX_RETRIES: '0',
        API_TIMEOUT_MS: '20000',
        DISABLE_TELEMETRY: '1',
      },
    });
  }

  async function codex(): Promise<CodexProvider> {
    await writeFile(path.join(dirs.home, 'config.toml'), scriptedCodexConfig(server.baseUrl));
    return new CodexProvider({
      executable: repoBin('codex'),
      model: 'gpt-5.5',
      env: { HOME: dirs.home, CODEX_HOME: dirs.home, SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key' },
      idleTimeoutMs: 30_000,
    });
  }

  it('claude-code: streams a file write and a command in order, with usage and cost; resume resends the conversation', async () => {
    const target = path.join(dirs.ws, 'hello.txt');
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'Write', input: { file_path: target, content: 'hello\n' }, text: 'Writing.' },
        { type: 'tool', name: 'Bash', input: { command: 'echo ran > cmd.txt', description: 'write cmd.txt' } },
        { type: 'text', text: 'All done.' },
      ],
    });
    const provider = claude();
    const { events, result } = await collect(provider, { prompt: 'Create hello.txt and run a command', cwd: dirs.ws });
    assert.equal(result.success, true, result.message);
    assert.equal(result.message, 'All done.');
    assert.deepEqual(
      events.map((e) => (e.type === 'tool' ? `tool:${e.name}` : e.type)),
      ['session', 'text', 'tool:Write', 'file_change', 'tool:Bash', 'command', 'text', 'usage'],
    );
    assert.deepEqual(
      events.find((e) => e.type === 'command'),
      { type: 'command', command: 'echo ran > cmd.txt', exitCode: 0 },
    );
    assert.ok((result.contextWindow ?? 0) > 0, "the context window comes from the result's modelUsage");
    assert.equal(events[0]!.type === 'session' && events[0]!.sessionId, result.sessionId, 'the session id is known before the first CLI event');
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
    assert.ok((result.costUsd ?? 0) > 0, 'Claude Code reports the cost');
    assert.equal(await readFile(target, 'utf8'), 'hello\n');
    assert.equal(await readFile(path.join(dirs.ws, 'cmd.txt'), 'utf8'), 'ran\n');

    server.enqueue({ type: 'text', text: 'Resumed and finished.' });
    const resumed = await collect(provider, { prompt: 'Continue where you stopped', cwd: dirs.ws, resumeSessionId: result.sessionId! });
    assert.equal(resumed.result.success, true, resumed.result.message);
    assert.equal(resumed.result.sessionId, result.sessionId);
    const last = JSON.stringify(server.modelRequests.at(-1)!.body);
    assert.ok(last.includes('Create hello.txt and run a command'), 'the earlier conversation is sent again');
    assert.ok(last.includes('Continue where you stopped'));
  });

  it('openai-codex: streams a command and a patch, usage by difference and cost from prices; resume continues the thread', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'exec_command', input: { cmd: 'echo ran > cmd.txt' } },
        { type: 'tool', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: hello.txt\n+hello\n*** End Patch\n' },
        { type: 'text', text: 'Done' },
      ],
    });
    const provider = await codex();
    const { events, result } = await collect(provider, { prompt: 'Create hello.txt and run a command', cwd: dirs.ws });
    assert.equal(result.success, true, result.message);
    assert.deepEqual(
      events.map((e) => e.type),
      ['session', 'command', 'file_change', 'text', 'usage'],
    );
    const command = events.find((e) => e.type === 'command');
    assert.ok(command?.type === 'command' && command.exitCode === 0 && command.command.includes('echo ran > cmd.txt'));
    assert.equal(await readFile(path.join(dirs.ws, 'hello.txt'), 'utf8'), 'hello\n');
    assert.ok(result.usage.inputTokens > 0);
    assert.ok((result.costUsd ?? 0) > 0, 'cost from the price table for gpt-5.5');

    server.enqueue({ type: 'text', text: 'Resumed' });
    const resumed = await collect(provider, { prompt: 'Continue', cwd: dirs.ws, resumeSessionId: result.sessionId!, usageBefore: result.usage });
    assert.equal(resumed.result.success, true, resumed.result.message);
    assert.equal(resumed.result.sessionId, result.sessionId);
    assert.ok(resumed.result.usage.inputTokens > 0 && resumed.result.usage.inputTokens < result.usage.inputTokens + 1_000_000);
    assert.ok(
      JSON.stringify(openAiInputItems(server.modelRequests.at(-1)!)).includes('Create hello.txt and run a command'),
      'the thread history is sent again',
    );
  });

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: task text with shell metacharacters reaches the agent verbatim and never runs`, async () => {
      await writeFile(path.join(dirs.ws, 'important'), 'keep me\n');
      const reply: ScriptedTurn = { type: 'text', text: 'Noted.' };
      server = await ModelServer.start({ turns: [reply] });
      const provider = name === 'claude-code' ? claude() : await codex();
      const { result } = await collect(provider, { prompt: HOSTILE, cwd: dirs.ws });
      assert.equal(result.success, true, result.message);
      const sent = name === 'claude-code' ? anthropicPrompt(server.modelRequests[0]!) : JSON.stringify(openAiInputItems(server.modelRequests[0]!));
      assert.ok(sent?.includes(name === 'claude-code' ? HOSTILE : JSON.stringify(HOSTILE).slice(1, -1)), `verbatim: ${sent?.slice(0, 300)}`);
      assert.deepEqual(
        (await readdir(dirs.ws)).filter((f) => f.startsWith('pwned')),
        [],
      );
      assert.equal(await readFile(path.join(dirs.ws, 'important'), 'utf8'), 'keep me\n');
    });
  }

  for (const name of ['claude-code', 'openai-codex'] as const) {
    it(`${name}: a 300 KB prompt (over Linux's 128 KiB per argument) reaches the agent whole, on stdin`, async () => {
      server = await ModelServer.start({ turns: [{ type: 'text', text: 'Read it all.' }] });
      const provider = name === 'claude-code' ? claude() : await codex();
      const long = `Summarise this log.\n${'0123456789abcdef '.repeat((300 * 1024) / 17)}\nEND-OF-PROMPT-MARKER`;
      const { result } = await collect(provider, { prompt: long, cwd: dirs.ws });
      assert.equal(result.success, true, result.message);
      const sent = JSON.stringify(server.modelRequests[0]!.body);
      assert.ok(sent.includes('END-OF-PROMPT-MARKER') && sent.includes('Summarise this log.'), 'the whole prompt arrived');
    });
  }

  it("claude-code: the agent cannot write or edit .git/, ACA's files or editor and agent settings; other files it can", async () => {
    await mkdir(path.join(dirs.ws, '.git'), { recursive: true });
    await mkdir(path.join(dirs.ws, 'sub'), { recursive: true });
    await writeFile(path.join(dirs.ws, '.git', 'config'), '[core]\n');
    const protectedFiles = [
      '.git/config',
      '.git/hooks/pre-commit',
      'sub/.git',
      'aca.toml',
      '.aca/sessions/x/session.json',
      'tasks.aca-plan.json',
      '.vscode/settings.json',
      '.vscode/tasks.json',
      '.claude/settings.json',
      '.claude/settings.local.json',
      '.mcp.json',
      '.codex/config.toml',
    ];
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'Read', input: { file_path: path.join(dirs.ws, '.git', 'config') } },
        {
          type: 'tool',
          name: 'Edit',
          input: { file_path: path.join(dirs.ws, '.git', 'config'), old_string: '[core]', new_string: '[core]\n\tfsmonitor = "touch pwned"' },
        },
        ...protectedFiles.map((file): ScriptedTurn => ({
          type: 'tool',
          name: 'Write',
          input: { file_path: path.join(dirs.ws, file), content: 'fsmonitor = "touch pwned"\n' },
        })),
        ...['echo x > aca.toml', 'mkdir -p .aca && echo x > .aca/y', 'echo x >> .git/config'].map((command): ScriptedTurn => ({
          type: 'tool',
          name: 'Bash',
          input: { command, description: 'write' },
        })),
        { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.ws, 'src', 'ok.txt'), content: 'fine\n' } },
        { type: 'tool', name: 'Bash', input: { command: 'echo fine > src/ok2.txt', description: 'write' } },
        { type: 'text', text: 'Tried.' },
      ],
    });
    const { result } = await collect(claude(), { prompt: 'Change the git configuration', cwd: dirs.ws });
    assert.equal(result.success, true, result.message);
    assert.equal(await readFile(path.join(dirs.ws, '.git', 'config'), 'utf8'), '[core]\n', 'the Edit and the Write of .git/config were refused');
    const written = protectedFiles.filter((file) => file !== '.git/config' && existsSync(path.join(dirs.ws, file)));
    assert.deepEqual(written, [], 'no protected file was written');
    assert.ok(!existsSync(path.join(dirs.ws, '.aca', 'y')), 'nor through a shell redirection');
    assert.equal(await readFile(path.join(dirs.ws, 'src', 'ok.txt'), 'utf8'), 'fine\n', 'an ordinary file is still written');
    assert.equal(await readFile(path.join(dirs.ws, 'src', 'ok2.txt'), 'utf8'), 'fine\n', 'also by a command');
    // Each refusal goes back to the model as an error result of its tool call.
    const results = toolResults(server.modelRequests.at(-1)!);
    assert.equal(results.filter((r) => r.is_error).length, 1 + protectedFiles.length + 3, JSON.stringify(results).slice(0, 3000));
  });

  it('detects a missing CLI and a logged-out Codex, each with the fix', async () => {
    server = await ModelServer.start();
    const missing = await new ClaudeCodeProvider({ executable: path.join(dirs.ws, 'no-such-claude') }).detect();
    assert.equal(missing.installed, false);
    assert.match(missing.fix ?? '', /Install Claude Code .* or set "aca\.claudeCode\.path"/);
    const loggedOut = await new CodexProvider({ executable: repoBin('codex'), env: { HOME: dirs.home, CODEX_HOME: dirs.home } }).detect();
    assert.equal(loggedOut.installed, true);
    assert.match(loggedOut.version ?? '', /^\d+\.\d+/);
    assert.equal(loggedOut.authenticated, false);
    assert.match(loggedOut.fix ?? '', /codex login/);
    const claudeWithKey = await claude().detect();
    assert.deepEqual([claudeWithKey.installed, claudeWithKey.authenticated], [true, true]);
    // Capabilities come from each CLI's own --help, not from a guess.
    assert.deepEqual(claudeWithKey.capabilities, { streaming: true, resume: true, structuredOutput: true, toolUse: true, costReporting: true });
    assert.deepEqual(loggedOut.capabilities, { streaming: true, resume: true, structuredOutput: true, toolUse: true, costReporting: false });
  });
});
