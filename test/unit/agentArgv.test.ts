/**
 * What ACA puts in the argv of the agent CLIs from stored data: a session id from a file in the folder is
 * passed on only when it has the CLI's format, and never where the CLI could read it as a flag. Fake
 * executables record their argv (the real CLIs are exercised in test/agents/providers.test.ts).
 */
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ClaudeCodeProvider } from '../../src/core/providers/claudeCode';
import { CodexProvider } from '../../src/core/providers/codex';
import type { AgentProvider, ProviderEvent, TaskRun } from '../../src/core/providers/provider';
import { useTempDirs } from '../support/processes';

async function collect(provider: AgentProvider, task: TaskRun): Promise<ProviderEvent[]> {
  const events: ProviderEvent[] = [];
  const run = provider.run(task);
  for (let next = await run.next(); !next.done; next = await run.next()) {
    events.push(next.value);
  }
  return events;
}

const UUID = '0b9e3c1a-4f2d-4e6b-9a7c-1d2e3f4a5b6c';
const HOSTILE_IDS = ['--dangerously-skip-permissions', '--settings={"hooks":{}}', 'x --mcp-config=evil.json', '../../etc/passwd', ''];

describe("stored session ids in the agent CLIs' argv", function () {
  this.timeout(30_000); // a dozen node processes start, on a busy machine too
  const dirs = useTempDirs('bin', 'ws');

  /** A fake CLI that records its argv and prints `output`. */
  async function fakeCli(name: string, output: string): Promise<{ executable: string; argv: () => Promise<string[]> }> {
    const executable = path.join(dirs.bin, name);
    const record = path.join(dirs.bin, `${name}.argv.json`);
    await writeFile(
      executable,
      `#!${process.execPath}\nrequire('fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify(process.argv.slice(2)));\nprocess.stdout.write(${JSON.stringify(output)});\n`,
    );
    await chmod(executable, 0o755);
    return { executable, argv: async () => JSON.parse(await readFile(record, 'utf8')) as string[] };
  }

  it('claude-code: a UUID resumes as one --resume=<id> argument; anything else is dropped with a warning and a new session starts', async () => {
    const cli = await fakeCli('claude', `${JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'ok' })}\n`);
    const provider = new ClaudeCodeProvider({ executable: cli.executable });
    await collect(provider, { prompt: 'go on', cwd: dirs.ws, resumeSessionId: UUID });
    assert.ok((await cli.argv()).includes(`--resume=${UUID}`), (await cli.argv()).join(' '));
    for (const id of HOSTILE_IDS) {
      const events = await collect(provider, { prompt: 'go on', cwd: dirs.ws, resumeSessionId: id });
      const argv = await cli.argv();
      assert.ok(!argv.some((arg) => arg.startsWith('--resume')), `no resume for ${id}: ${argv.join(' ')}`);
      assert.ok(
        !argv.includes('--dangerously-skip-permissions') && !argv.some((arg) => arg.startsWith('--settings') || arg.startsWith('--mcp-config')),
        argv.join(' '),
      );
      assert.ok(
        argv.some((arg) => /^--session-id=[0-9a-f-]{36}$/.test(arg)),
        "a new session with an id of ACA's",
      );
      assert.ok(
        events.some((e) => e.type === 'error' && /not a UUID/.test(e.message)),
        `a warning for ${id}`,
      );
    }
  });

  it('openai-codex: a UUID resumes after `--`; anything else is dropped with a warning and a new thread starts', async () => {
    const cli = await fakeCli('codex', `${JSON.stringify({ type: 'thread.started', thread_id: UUID })}\n`);
    const provider = new CodexProvider({ executable: cli.executable });
    await collect(provider, { prompt: 'go on', cwd: dirs.ws, resumeSessionId: UUID });
    const resumed = await cli.argv();
    assert.deepEqual(resumed.slice(resumed.indexOf('resume')), ['resume', '--', UUID, 'go on']);
    for (const id of ['--dangerously-bypass-approvals-and-sandbox', ...HOSTILE_IDS]) {
      const events = await collect(provider, { prompt: 'go on', cwd: dirs.ws, resumeSessionId: id });
      const argv = await cli.argv();
      assert.ok(!argv.includes('resume') && !argv.includes(id), `no resume for ${id}: ${argv.join(' ')}`);
      assert.deepEqual(argv.slice(-2), ['--', 'go on'], 'the prompt is never read as a flag');
      assert.ok(
        events.some((e) => e.type === 'error' && /not a UUID/.test(e.message)),
        `a warning for ${id}`,
      );
    }
  });
});
