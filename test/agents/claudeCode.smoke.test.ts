import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelServer, anthropicPrompt } from '../support/modelServer';
import { isolatedEnv, useTempDirs, parseJsonLines, repoBin, runProgram } from '../support/processes';

describe('real Claude Code CLI against the scripted model server', function () {
  this.timeout(90_000);

  let server: ModelServer;
  const dirs = useTempDirs('home', 'workspace');

  afterEach(async () => {
    await server?.close();
  });

  it('creates a file in the workspace through a scripted Write tool call', async () => {
    const target = path.join(dirs.workspace, 'hello.txt');
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'Write', input: { file_path: target, content: 'hello from claude\n' }, text: 'Writing the file.' },
        { type: 'text', text: 'Created hello.txt.' },
      ],
    });

    const result = await runProgram(
      repoBin('claude'),
      [
        '-p',
        'Create hello.txt saying hello',
        '--output-format',
        'stream-json',
        '--verbose',
        '--permission-mode',
        'acceptEdits',
        '--model',
        'claude-sonnet-4-5',
      ],
      {
        cwd: dirs.workspace,
        timeoutMs: 60_000,
        env: isolatedEnv({
          HOME: dirs.home,
          ANTHROPIC_BASE_URL: server.baseUrl,
          ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          DISABLE_TELEMETRY: '1',
          DISABLE_AUTOUPDATER: '1',
          CLAUDE_CODE_MAX_RETRIES: '0',
          API_TIMEOUT_MS: '20000',
        }),
      },
    );

    const diagnostics = `exit ${result.exitCode}, stderr: ${result.stderr.slice(0, 2000)}\nstdout: ${result.stdout.slice(-2000)}`;
    assert.equal(result.timedOut, false, `claude timed out; ${diagnostics}`);
    assert.equal(result.exitCode, 0, diagnostics);
    assert.equal(await readFile(target, 'utf8'), 'hello from claude\n');

    const events = parseJsonLines(result.stdout);
    const final = events.at(-1);
    assert.equal(final?.['type'], 'result', diagnostics);
    assert.equal(final?.['is_error'], false, diagnostics);
    assert.equal(final?.['result'], 'Created hello.txt.');
    assert.ok(
      events.some((e) => e['type'] === 'user' && JSON.stringify(e).includes('tool_result')),
      'the CLI reported the tool result',
    );

    const modelRequests = server.modelRequests;
    assert.equal(modelRequests.length, 2, 'one request per model turn');
    assert.equal(anthropicPrompt(modelRequests[0]!), 'Create hello.txt saying hello');
    assert.equal(modelRequests[0]!.headers['x-api-key'], 'sk-test-not-a-real-key');
    assert.match(JSON.stringify(modelRequests[1]!.body), /tool_result/, 'the second turn carries the tool result');
  });
});
