/**
 * `aca run --use-intelligent-parser` end to end: the built CLI, the real `claude` CLI, the scripted model
 * server answering through Claude Code's StructuredOutput tool.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelServer, anthropicPrompt, type ScriptedTurn } from '../support/modelServer';
import { REPO_ROOT, isolatedEnv, useTempDirs, repoBin, runProgram, scriptedClaudeEnv } from '../support/processes';

const TASKS = ['# Shop', '', '- [ ] Design the database schema', '- [ ] Write the migrations', '- [ ] Build the REST API -> api.md', ''].join('\n');

describe('plan analysis through the real Claude Code CLI', function () {
  this.timeout(120_000);
  let server: ModelServer;
  const dirs = useTempDirs('home', 'workspace');

  beforeEach(async () => {
    await writeFile(path.join(dirs.workspace, 'tasks.md'), TASKS);
    await writeFile(path.join(dirs.workspace, 'api.md'), '# API\nEndpoints: GET /items, POST /orders\n');
  });
  afterEach(async () => {
    await server?.close();
  });

  async function acaRun(turns: ScriptedTurn[], extra: string[] = []): Promise<Awaited<ReturnType<typeof runProgram>>> {
    server = await ModelServer.start({ turns });
    return runProgram(
      process.execPath,
      [
        path.join(REPO_ROOT, 'dist', 'cli.js'),
        'run',
        'tasks.md',
        '--dry-run',
        '--use-intelligent-parser',
        '--model',
        'claude-sonnet-4-5',
        '--dump-plan',
        'plan.json',
        ...extra,
      ],
      {
        cwd: dirs.workspace,
        timeoutMs: 90_000,
        env: isolatedEnv({
          HOME: dirs.home,
          ...scriptedClaudeEnv(server.baseUrl),
        }),
      },
    );
  }

  const structured = (input: unknown): ScriptedTurn => ({ type: 'tool', name: 'StructuredOutput', input });

  it("refines the plan with the model's structured answer and never offers a writing tool", async () => {
    const result = await acaRun(
      [
        structured({
          strategy: { mode: 'intelligent', maxConcurrent: 2 },
          tasks: [
            { id: '2', dependsOn: ['1'], complexity: 'simple' },
            { id: '3', dependsOn: ['2'], priority: 'high', complexity: 'complex' },
          ],
        }),
      ],
      ['--context', 'Postgres 16'],
    );
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stderr, /Analysis done in 1 attempt\./);
    const plan = JSON.parse(await readFile(path.join(dirs.workspace, 'plan.json'), 'utf8')) as {
      strategy: unknown;
      tasks: Array<{ id: string; dependsOn: string[]; priority: string; complexity: string | null }>;
    };
    assert.deepEqual(plan.strategy, { mode: 'intelligent', maxConcurrent: 2 });
    assert.deepEqual(
      plan.tasks.map((t) => [t.id, t.dependsOn, t.priority, t.complexity]),
      [
        ['1', [], 'normal', null],
        ['2', ['1'], 'normal', 'simple'],
        ['3', ['2'], 'high', 'complex'],
      ],
    );
    const request = server.modelRequests[0]!;
    const prompt = anthropicPrompt(request) ?? '';
    assert.match(prompt, /Design the database schema/);
    assert.match(prompt, /- Postgres 16/);
    assert.match(prompt, /Endpoints: GET \/items/, 'reference contents reach the model');
    const tools = ((request.body as { tools?: Array<{ name: string }> }).tools ?? []).map((t) => t.name);
    assert.ok(tools.includes('StructuredOutput'));
    for (const writer of ['Write', 'Edit', 'Bash', 'NotebookEdit']) {
      assert.ok(!tools.includes(writer), `${writer} is not offered in analysis`);
    }

    // The same plan, hints and model: answered from the cache, no model request.
    const before = server.modelRequests.length;
    const cached = await runProgram(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', 'tasks.md', '-n', '--use-intelligent-parser', '--model', 'claude-sonnet-4-5', '--context', 'Postgres 16'],
      {
        cwd: dirs.workspace,
        timeoutMs: 30_000,
        env: isolatedEnv({
          HOME: dirs.home,
          ACA_CLAUDE_PATH: repoBin('claude'),
          ANTHROPIC_BASE_URL: server.baseUrl,
          ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
        }),
      },
    );
    assert.equal(cached.exitCode, 0, cached.stderr);
    assert.match(cached.stderr, /taken from the cache/);
    assert.equal(server.modelRequests.length, before);
  });

  it('retries a malformed answer once with the error, then reports clearly and exits 1', async () => {
    const result = await acaRun([
      structured({ tasks: [{ id: '7', priority: 'high' }] }),
      structured({
        tasks: [
          { id: '1', dependsOn: ['3'] },
          { id: '3', dependsOn: ['1'] },
        ],
      }),
    ]);
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr, /The model's analysis was invalid twice; the plan is unchanged\./);
    assert.match(result.stderr, /the answer of claude-code:claude-sonnet-4-5: tasks\[0\]\.dependsOn: dependency cycle: "1" → "3" → "1"/);
    assert.equal(server.modelRequests.length, 2);
    assert.match(
      anthropicPrompt(server.modelRequests[1]!) ?? '',
      /Your previous answer was rejected:\n- tasks\[0\]\.id: names task "7", which is not in the plan/,
    );
  });
});
