/**
 * The model-API providers (ACA's own agent loop over the AI SDK) with `aca run`, against the scripted model
 * server speaking the Anthropic Messages API and the OpenAI Responses API: the real client library streams,
 * calls tools and reports usage; the seed's test4 completes; paths outside the task's folder are refused.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { runCli, type CliIo } from '../../src/cli/main';
import { loadSession } from '../../src/core/session/sessionStore';
import { TEST4_FILES, TEST4_TASKS } from '../support/fixtures';
import { ModelServer, type RecordedRequest, type ScriptedTurn } from '../support/modelServer';
import { isolatedEnv, runAca, runProgram, useTempDirs } from '../support/processes';

const TEST4 = TEST4_TASKS;
const FILES = TEST4_FILES;

type Api = 'anthropic' | 'openai';
const API_ENV: Record<Api, (server: ModelServer, key: string) => Record<string, string>> = {
  anthropic: (server, key) => ({ ANTHROPIC_BASE_URL: server.baseUrl, ANTHROPIC_API_KEY: key }),
  openai: (server, key) => ({ OPENAI_BASE_URL: `${server.baseUrl}/v1`, OPENAI_API_KEY: key }),
};
const MODEL: Record<Api, string> = { anthropic: 'claude-sonnet-4-5', openai: 'gpt-5' };

/** What the model sent back after a tool call: the tool results of the request, as text. */
function toolResults(request: RecordedRequest): string {
  return JSON.stringify(request.body).match(/"(?:tool_result|function_call_output)"[\s\S]*/)?.[0] ?? '';
}

describe("model-API providers: ACA's agent loop with the AI SDK", function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  const acaRun = (args: string[], env: Record<string, string>) => runAca(args, { workspace: dirs.workspace, home: dirs.home, env });

  for (const api of ['anthropic', 'openai'] as const) {
    it(`${api}: aca run completes test4 (five files) with streaming, tool calls and usage; the key is in no file`, async () => {
      await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
      const turns: ScriptedTurn[] = FILES.flatMap(([name, content]): ScriptedTurn[] => [
        { type: 'tool', name: 'write_file', input: { path: name, content } },
        { type: 'tool', name: 'task_complete', input: { summary: `Created ${name}.` } },
      ]);
      server = await ModelServer.start({ turns });
      const canary = `sk-${api === 'anthropic' ? 'ant-' : ''}canary-${Math.random().toString(36).slice(2)}`;
      const run = await acaRun(['run', 'tasks.md', '--provider', api, '--model', MODEL[api], '--write-back'], API_ENV[api](server, canary));
      assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);
      for (const [name, content] of FILES) {
        assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
      }
      assert.equal(((await readFile(path.join(dirs.workspace, 'tasks.md'), 'utf8')).match(/- \[x\]/g) ?? []).length, 5);
      const requests = server.modelRequests;
      assert.equal(requests.length, 10, 'two model turns per task');
      assert.ok(
        requests.every((r) => (r.body as { stream?: unknown }).stream === true),
        'every request streams',
      );
      assert.match(JSON.stringify(requests[0]!.body), /"write_file"[\s\S]*"run_command"[\s\S]*"task_complete"/, 'the tools are offered');
      assert.match(toolResults(requests[1]!), /created hello\.py \(21 characters\)/, 'the tool result went back to the model');
      assert.equal(
        api === 'anthropic' ? requests[0]!.headers['x-api-key'] : requests[0]!.headers['authorization'],
        api === 'anthropic' ? canary : `Bearer ${canary}`,
      );
      // Usage reached the journal.
      const sessions = path.join(dirs.workspace, '.aca', 'sessions');
      const [sessionId] = (await readdir(sessions)).filter((n) => !n.startsWith('.'));
      const { state } = await loadSession(path.join(sessions, sessionId!));
      assert.ok(
        Object.values(state.tasks).every((t) => t.state === 'done' && t.inputTokens > 0 && t.outputTokens > 0),
        JSON.stringify(state.tasks['1']),
      );
      const leaks = (await readdir(sessions, { recursive: true, withFileTypes: true })).filter(
        (e) => e.isFile() && readFileSync(path.join(e.parentPath, e.name)).includes(canary),
      );
      assert.deepEqual(
        leaks.map((e) => e.name),
        [],
        'no session file holds the key',
      );
      assert.ok(!run.stdout.includes(canary) && !run.stderr.includes(canary), 'nothing printed holds the key');
    });
  }

  it('local-model (OpenAI-compatible Chat Completions, as Ollama serves it): aca run completes test4; a model the server does not have fails at once with the fix', async () => {
    await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
    const turns: ScriptedTurn[] = FILES.flatMap(([name, content]): ScriptedTurn[] => [
      { type: 'tool', name: 'write_file', input: { path: name, content } },
      { type: 'text', text: `Created ${name}.` }, // a local model that ends its turn instead of calling task_complete
    ]);
    server = await ModelServer.start({ turns });
    const host = server.baseUrl.replace(/^http:\/\//, ''); // OLLAMA_HOST is often host:port, without the scheme
    const run = await acaRun(['run', 'tasks.md', '--provider', 'local-model', '--model', 'scripted-model'], { OLLAMA_HOST: host });
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);
    for (const [name, content] of FILES) {
      assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
    }
    const requests = server.modelRequests;
    assert.equal(requests.length, 10);
    assert.ok(requests.every((r) => r.api === 'openai-chat' && (r.body as { stream?: unknown }).stream === true));
    assert.match(JSON.stringify(requests[1]!.body), /"role":"tool"[\s\S]*created hello\.py/, 'the tool result went back as a tool message');
    assert.match(run.stderr, /^5 done, 0 failed/m);

    const missing = await acaRun(['run', 'tasks.md', '--provider', 'local-model', '--model', 'llama-not-pulled'], { OLLAMA_HOST: host });
    assert.equal(missing.exitCode, 1);
    assert.match(missing.stderr, /has no model "llama-not-pulled": run `ollama pull llama-not-pulled`/);
  });

  it('local-model on Ollama: a model whose /api/show lists no "tools" is not used to run tasks, and the user is told why', async () => {
    await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
    server = await ModelServer.start({ turns: [], ollamaCapabilities: { 'scripted-model': ['completion', 'vision'] } });
    const run = await acaRun(['run', 'tasks.md', '--provider', 'local-model', '--model', 'scripted-model'], { OLLAMA_HOST: server.baseUrl });
    assert.equal(run.exitCode, 1);
    assert.match(run.stderr, /"scripted-model" cannot call tools \(Ollama lists completion, vision\), so it cannot run tasks/);
    assert.equal(server.modelRequests.length, 0, 'no task was sent to it');
  });

  it('in a terminal, a command off the allowlist is asked about: "always" allows that program for the rest of the run; --yes denies it', async () => {
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(dirs.workspace, 'tasks.md'), '# Commands\n\n- [ ] Touch two files\n'));
    const script = (): ScriptedTurn[] => [
      { type: 'tool', name: 'run_command', input: { command: 'touch first.txt' } },
      { type: 'tool', name: 'run_command', input: { command: 'touch second.txt' } },
      { type: 'tool', name: 'task_complete', input: { summary: 'Touched.' } },
    ];
    server = await ModelServer.start({ turns: script() });
    const asked: string[] = [];
    let err = '';
    const io: CliIo = {
      out: () => undefined,
      err: (text) => (err += text),
      cwd: dirs.workspace,
      home: dirs.home,
      env: { ...API_ENV.anthropic(server, 'sk-test-not-a-real-key'), PATH: process.env['PATH'] ?? '' },
      ask: async (question) => (asked.push(question), question.startsWith('Run ') ? 'y' : 'a'),
    };
    assert.equal(await runCli(['run', 'tasks.md', '--provider', 'anthropic'], io), 0, err.slice(-2000));
    assert.deepEqual(
      asked.slice(1),
      ['The agent wants to run: touch first.txt\nAllow it? [y]es / [a]lways in this run / [N]o '],
      'asked once: "always" covers touch for the rest of the run',
    );
    assert.equal(
      await stat(path.join(dirs.workspace, 'second.txt')).then(
        () => true,
        () => false,
      ),
      true,
    );

    // --yes asks nothing: the command is denied, and the model is told so.
    server.script(script());
    asked.length = 0;
    await runCli(['run', 'tasks.md', '--provider', 'anthropic', '--yes'], { ...io, cwd: dirs.workspace });
    assert.deepEqual(asked, []);
    assert.match(JSON.stringify(server.modelRequests.at(-1)!.body), /was not allowed/);
  });

  it("anthropic: writes outside the task's folder are refused and reported to the model; nothing is written outside", async () => {
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(dirs.workspace, 'tasks.md'), '# Escape\n\n- [ ] Write the files\n'));
    await import('node:fs/promises').then((fs) => fs.symlink(dirs.home, path.join(dirs.workspace, 'home-link')));
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: '../outside.txt', content: 'x' } },
        { type: 'tool', name: 'write_file', input: { path: '/etc/passwd', content: 'x' } },
        { type: 'tool', name: 'write_file', input: { path: 'home-link/escaped.txt', content: 'x' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Could not write outside.' } },
      ],
    });
    const run = await acaRun(
      ['run', 'tasks.md', '--provider', 'anthropic', '--model', 'claude-sonnet-4-5'],
      API_ENV.anthropic(server, 'sk-test-not-a-real-key'),
    );
    assert.equal(run.exitCode, 0, run.stderr.slice(-2000));
    const results = server.modelRequests.slice(1).map(toolResults);
    assert.match(results[0]!, /\.\.\/outside\.txt\\\\?" is outside the task's folder/);
    assert.match(results[1]!, /\/etc\/passwd\\\\?" is outside the task's folder/);
    assert.match(results[2]!, /through a symbolic link/);
    assert.equal(
      await stat(path.join(dirs.workspace, '..', 'outside.txt')).then(
        () => true,
        () => false,
      ),
      false,
    );
    assert.equal(
      await stat(path.join(dirs.home, 'escaped.txt')).then(
        () => true,
        () => false,
      ),
      false,
    );
  });

  it('openai: a task text with shell metacharacters is never run; a command the model issues runs without a shell, only when allowed', async () => {
    const hostile = 'Write `notes.txt` $(touch pwned-subst) `touch pwned-backtick`; touch pwned-semicolon && touch pwned-and | tee pwned-pipe';
    await import('node:fs/promises').then((fs) => fs.writeFile(path.join(dirs.workspace, 'tasks.md'), `# Hostile\n\n- [ ] ${hostile}\n`));
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: 'notes.txt', content: 'notes\n' } },
        // The model quotes the task back as a command: with a shell it would create pwned-* files.
        { type: 'tool', name: 'run_command', input: { command: 'ls $(touch pwned-model)' } },
        { type: 'tool', name: 'run_command', input: { command: 'ls notes.txt' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Wrote notes.txt.' } },
      ],
    });
    const run = await acaRun(['run', 'tasks.md', '--provider', 'openai', '--model', 'gpt-5.4', '--yes'], API_ENV.openai(server, 'sk-test-not-a-real-key'));
    assert.equal(run.exitCode, 0, run.stderr.slice(-2000));
    assert.match(JSON.stringify(server.modelRequests[0]!.body), /\$\(touch pwned-subst\)/, 'the task text reached the model as it is');
    const results = server.modelRequests.slice(1).map(toolResults);
    assert.match(results[1]!, /needs a shell/, 'the metacharacters were refused, not interpreted');
    assert.match(results[2]!, /exit 0[\s\S]*notes\.txt/, 'an allowed command ran, without a shell');
    const left = (await readdir(dirs.workspace)).filter((name) => name.startsWith('pwned'));
    assert.deepEqual(left, [], 'nothing the task text or the model quoted was run by a shell');
  });

  it("openai: the agent cannot write .git/config (nor ACA's files), its commands see no key, inline code and reads outside are refused", async () => {
    const fs = await import('node:fs/promises');
    await fs.writeFile(path.join(dirs.workspace, 'tasks.md'), '# Policy\n\n- [ ] Tidy the repository\n');
    assert.equal((await runProgram('git', ['init', '-q'], { cwd: dirs.workspace, timeoutMs: 20_000, env: isolatedEnv({ HOME: dirs.home }) })).exitCode, 0);
    const gitConfig = await readFile(path.join(dirs.workspace, '.git', 'config'), 'utf8');
    const hook = `\tfsmonitor = "touch ${path.join(dirs.workspace, 'pwned-fsmonitor')}"`;
    const canary = `sk-canary-${Math.random().toString(36).slice(2)}`;
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: '.git/config', content: `${gitConfig}[core]\n${hook}\n` } },
        { type: 'tool', name: 'edit_file', input: { path: '.git/config', old_text: '[core]', new_text: `[core]\n${hook}` } },
        { type: 'tool', name: 'write_file', input: { path: 'aca.toml', content: '[agent]\nallowed_commands = ["*"]\n' } },
        { type: 'tool', name: 'run_command', input: { command: 'node -e "console.log(process.env.OPENAI_API_KEY)"' } },
        { type: 'tool', name: 'write_file', input: { path: 'env.js', content: 'console.log(JSON.stringify(process.env));\n' } },
        { type: 'tool', name: 'run_command', input: { command: 'node env.js' } },
        { type: 'tool', name: 'run_command', input: { command: 'cat /etc/hostname' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Tried.' } },
      ],
    });
    const run = await acaRun(['run', 'tasks.md', '--provider', 'openai', '--model', 'gpt-5.4', '--yes'], API_ENV.openai(server, canary));
    // Only the inline code was a permission (the user could allow it in a terminal); --yes denied it, so the task failed.
    assert.equal(run.exitCode, 1, run.stderr.slice(-2000));
    assert.match(run.stderr, /was not allowed to: run_command node -e "console\.log\(process\.env\.OPENAI_API_KEY\)"\. /);
    const results = server.modelRequests.slice(1).map(toolResults);
    assert.match(results[0]!, /\.git\/config\\?" may not be written/);
    assert.match(results[1]!, /may not be written/);
    assert.match(results[2]!, /aca\.toml\\?" may not be written/);
    assert.match(results[3]!, /not allowed \(node -e runs code given on the command line/);
    assert.match(results[5]!, /exit 0/);
    assert.match(results[6]!, /cat \/etc\/hostname\\?" was refused/);
    assert.equal(await readFile(path.join(dirs.workspace, '.git', 'config'), 'utf8'), gitConfig, '.git/config is as git wrote it');
    assert.equal(
      await stat(path.join(dirs.workspace, 'aca.toml')).then(
        () => true,
        () => false,
      ),
      false,
    );
    assert.deepEqual(
      (await readdir(dirs.workspace)).filter((name) => name.startsWith('pwned')),
      [],
      'no fsmonitor ran',
    );
    assert.ok(
      server.modelRequests.every((r) => !JSON.stringify(r.body).includes(canary)),
      'the key never reached the model through a command',
    );
  });
});
