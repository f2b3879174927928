/**
 * Secrets in what an agent says reach no file ACA writes: `aca run --provider openai` against the scripted
 * model server, whose answer carries the API key and a token of a known shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ModelServer } from '../support/modelServer';
import { isolatedEnv, REPO_ROOT, runProgram, useTempDirs } from '../support/processes';

describe('redaction: aca run', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  it("openai: a key in the model's summary and a token in its text are in no session file and not on stdout (--json)", async () => {
    await writeFile(path.join(dirs.workspace, 'tasks.md'), '- [ ] Write notes.txt\n');
    const key = `sk-canary-${Math.random().toString(36).slice(2)}0123456789`;
    const token = 'ghp_0123456789abcdefABCDEF0123456789abcd';
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: 'notes.txt', content: 'notes\n' }, text: `Reading the config: GITHUB_TOKEN=${token}` },
        { type: 'tool', name: 'task_complete', input: { summary: `Wrote notes.txt using the key ${key} and ${token}.` } },
      ],
    });
    const run = await runProgram(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', 'tasks.md', '--provider', 'openai', '--model', 'gpt-5', '--json'],
      {
        cwd: dirs.workspace,
        timeoutMs: 100_000,
        env: isolatedEnv({ HOME: dirs.home, OPENAI_BASE_URL: `${server.baseUrl}/v1`, OPENAI_API_KEY: key }),
      },
    );
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);
    assert.match(run.stdout, /"type":"task_done"[^\n]*Wrote notes\.txt using the key \[REDACTED\] and \[REDACTED\]\./, 'the summary is journaled, redacted');
    const sessions = path.join(dirs.workspace, '.aca', 'sessions');
    const files = (await readdir(sessions, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    assert.ok(files.some((e) => e.name === 'journal.jsonl') && files.some((e) => e.name === 'transcripts.jsonl'));
    for (const secret of [key, token]) {
      const leaks = files.filter((e) => readFileSync(path.join(e.parentPath, e.name)).includes(secret));
      assert.deepEqual(
        leaks.map((e) => e.name),
        [],
        `no session file holds ${secret.slice(0, 10)}…`,
      );
      assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), `nothing printed holds ${secret.slice(0, 10)}…`);
    }
  });
});
