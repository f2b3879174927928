import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelServer, openAiInputItems } from '../support/modelServer';
import { isolatedEnv, useTempDirs, parseJsonLines, repoBin, runProgram } from '../support/processes';
import { scriptedCodexConfig } from '../support/codexConfig';

describe('real OpenAI Codex CLI against the scripted model server', function () {
  this.timeout(90_000);

  let server: ModelServer;
  const dirs = useTempDirs('codexHome', 'workspace');

  afterEach(async () => {
    await server?.close();
  });

  it('creates a file in the workspace through a scripted apply_patch call', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'apply_patch', input: '*** Begin Patch\n*** Add File: hello.txt\n+hello from codex\n*** End Patch\n' },
        { type: 'text', text: 'Done' },
      ],
    });
    // A custom provider pointing at the scripted server; retries shortened so a failure is quick.
    await writeFile(path.join(dirs.codexHome, 'config.toml'), scriptedCodexConfig(server.baseUrl, { model: 'gpt-5.5', streamIdleTimeoutMs: 20000 }));

    const result = await runProgram(
      repoBin('codex'),
      ['exec', '--json', '--skip-git-repo-check', '--sandbox', 'workspace-write', 'Create hello.txt saying hello'],
      {
        cwd: dirs.workspace,
        timeoutMs: 60_000,
        env: isolatedEnv({ HOME: dirs.codexHome, CODEX_HOME: dirs.codexHome, SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key' }),
      },
    );

    const diagnostics = `exit ${result.exitCode}, stderr: ${result.stderr.slice(-2000)}\nstdout: ${result.stdout.slice(-2000)}`;
    assert.equal(result.timedOut, false, `codex timed out; ${diagnostics}`);
    assert.equal(result.exitCode, 0, diagnostics);
    assert.equal(await readFile(path.join(dirs.workspace, 'hello.txt'), 'utf8'), 'hello from codex\n');

    const events = parseJsonLines(result.stdout);
    assert.equal(events[0]?.['type'], 'thread.started', diagnostics);
    const fileChange = events.find((e) => e['type'] === 'item.completed' && (e['item'] as { type?: string }).type === 'file_change');
    assert.ok(fileChange, `a file_change item was reported; ${diagnostics}`);
    const agentMessage = events.find((e) => e['type'] === 'item.completed' && (e['item'] as { type?: string }).type === 'agent_message');
    assert.equal((agentMessage?.['item'] as { text?: string } | undefined)?.text, 'Done');
    assert.equal(events.at(-1)?.['type'], 'turn.completed', diagnostics);

    const modelRequests = server.modelRequests;
    assert.equal(modelRequests.length, 2, 'one request per model turn');
    assert.equal(modelRequests[0]!.headers['authorization'], 'Bearer sk-test-not-a-real-key');
    assert.ok(JSON.stringify(openAiInputItems(modelRequests[0]!)).includes('Create hello.txt saying hello'), 'the prompt reached the model');
    assert.ok(
      openAiInputItems(modelRequests[1]!).some((item) => item['type'] === 'custom_tool_call_output'),
      'the second turn carries the patch result',
    );
  });
});
