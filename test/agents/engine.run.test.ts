/**
 * `aca run` end to end: the built CLI runs the seed's test4 tasks with the real `claude` and `codex` CLIs
 * against the scripted model server, creates the five files, writes the checkboxes back and exits 0; a task
 * whose verify command fails is retried with the failure output in its prompt, then fails, its dependent is
 * blocked, and the run exits 1.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadSession } from '../../src/core/session/sessionStore';
import { TEST4_FILES, TEST4_TASKS } from '../support/fixtures';
import { anthropicPrompt, ModelServer, openAiInputItems, type ScriptedTurn } from '../support/modelServer';
import { isolatedEnv, parseJsonLines, REPO_ROOT, repoBin, runAca, runProgram, scriptedClaudeEnv, useTempDirs } from '../support/processes';
import { scriptedCodexConfig } from '../support/codexConfig';

const TEST4 = TEST4_TASKS;
const FILES = TEST4_FILES;

describe('aca run with the real agent CLIs (engine end to end)', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  const acaRun = (args: string[], env: Record<string, string>) => runAca(args, { workspace: dirs.workspace, home: dirs.home, env, timeoutMs: 150_000 });

  const claudeEnv = (): Record<string, string> => scriptedClaudeEnv(server!.baseUrl);

  it('claude-code: runs test4, creates the five files, writes the checkboxes back, exits 0', async () => {
    await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
    const turns: ScriptedTurn[] = FILES.flatMap(([name, content]): ScriptedTurn[] => [
      { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.workspace, name), content } },
      { type: 'text', text: `Created ${name}.` },
    ]);
    server = await ModelServer.start({ turns });
    // A canary key: it must appear in no file of the session and in nothing ACA prints.
    const canary = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
    const run = await acaRun(['run', 'tasks.md', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5', '--write-back', '--json', '-v'], {
      ...claudeEnv(),
      ANTHROPIC_API_KEY: canary,
    });
    const diagnostics = `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`;
    assert.equal(run.exitCode, 0, diagnostics);
    for (const [name, content] of FILES) {
      assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
    }
    const tasks = await readFile(path.join(dirs.workspace, 'tasks.md'), 'utf8');
    assert.equal((tasks.match(/- \[x\]/g) ?? []).length, 5, tasks);
    assert.equal(tasks.replace(/- \[x\]/g, '- [ ]'), await readFile(TEST4, 'utf8'), 'only the checkboxes changed');
    // Each task was sent its own title, in document order (all are equal in rank).
    const prompts = server.modelRequests.filter((_, i) => i % 2 === 0).map((r) => anthropicPrompt(r) ?? '');
    FILES.forEach(([name], i) => assert.match(prompts[i]!, new RegExp(name.replace('.', '\\.')), `task ${i + 1}`));
    // --json: the session's events on stdout, the human output on stderr.
    const events = parseJsonLines(run.stdout);
    assert.deepEqual(
      events.filter((e) => e['type'] === 'task_done').map((e) => e['taskId']),
      ['1', '2', '3', '4', '5'],
    );
    assert.match(run.stderr, /^5 done, 0 failed, 0 blocked, 0 skipped, 0 cancelled, 0 not run/m);
    assert.equal(server.modelRequests[0]!.headers['x-api-key'], canary, 'the key did reach the model server');
    const leaks = (await filesUnder(path.join(dirs.workspace, '.aca'))).filter((file) => readFileSync(file).includes(canary));
    assert.deepEqual(leaks, [], 'no session file holds the key');
    assert.ok(!run.stdout.includes(canary) && !run.stderr.includes(canary), 'nothing printed holds the key');
  });

  it('openai-codex: runs test4 to the end and exits 0', async () => {
    await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
    const turns: ScriptedTurn[] = FILES.flatMap(([name, content]): ScriptedTurn[] => [
      {
        type: 'tool',
        name: 'apply_patch',
        input: `*** Begin Patch\n*** Add File: ${name}\n${content
          .split('\n')
          .slice(0, -1)
          .map((l) => `+${l}`)
          .join('\n')}\n*** End Patch\n`,
      },
      { type: 'text', text: `Created ${name}.` },
    ]);
    server = await ModelServer.start({ turns });
    const codexHome = path.join(dirs.home, '.codex');
    await writeFile(path.join(dirs.workspace, 'aca.toml'), '[codex]\nmodel = "gpt-5.5"\n');
    await mkdir(codexHome, { recursive: true });
    await writeFile(path.join(codexHome, 'config.toml'), scriptedCodexConfig(server.baseUrl));
    // A custom model provider: the preflight checks its env_key, not `codex login status`.
    const run = await acaRun(['run', 'tasks.md', '--provider', 'openai-codex'], {
      ACA_CODEX_PATH: repoBin('codex'),
      CODEX_HOME: codexHome,
      SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key',
    });
    assert.equal(run.exitCode, 0, `exit ${run.exitCode}\nstderr:\n${run.stderr.slice(-3000)}`);
    for (const [name, content] of FILES) {
      assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
    }
    assert.equal(await readFile(path.join(dirs.workspace, 'tasks.md'), 'utf8'), await readFile(TEST4, 'utf8'), 'no write-back unless asked in the CLI');
    assert.ok(JSON.stringify(openAiInputItems(server.modelRequests[0]!)).includes('hello.py'));
  });

  it('a task whose verify command fails is retried with the failure output, then failed; its dependent is blocked; exit 1', async () => {
    const plan = {
      version: 1,
      name: 'verify',
      tasks: [
        { id: '1', title: 'Make the check pass', verify: ['python3 -c "import sys; print(\'expected 42, got 41\'); sys.exit(1)"'] },
        { id: '2', title: 'Build on the check', dependsOn: ['1'] },
        { id: '3', title: 'Independent work' },
      ],
    };
    await writeFile(path.join(dirs.workspace, 'plan.json'), JSON.stringify(plan));
    server = await ModelServer.start({ turns: [], whenExhausted: { type: 'text', text: 'I changed it.' } });
    const run = await acaRun(['run', 'plan.json', '--provider', 'claude-code', '--max-attempts', '2'], claudeEnv());
    assert.equal(run.exitCode, 1, run.stderr.slice(-3000));
    const prompts = server.modelRequests.map((r) => anthropicPrompt(r) ?? '');
    const task1 = prompts.filter((p) => p.includes('Make the check pass'));
    assert.equal(task1.length, 2, 'two attempts');
    assert.match(task1[1]!, /## The previous attempt failed\nVerification failed: `python3 -c .*` exited 1:\nexpected 42, got 41/);
    assert.ok(!prompts.some((p) => p.includes('Build on the check')), 'the dependent never ran');
    assert.ok(prompts.some((p) => p.includes('Independent work')));
    assert.match(run.stderr, /⊘ 2 Build on the check: blocked, depends on 1, which is failed/);
    assert.match(run.stderr, /^1 done, 1 failed, 1 blocked/m);
  });
});

describe('aca run survives kill -9 and Ctrl-C with the real claude CLI', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  /** Tasks 1 and 2 finish; task 3's first request hangs, which is when the test strikes. */
  async function start(): Promise<{ child: ChildProcess; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> }> {
    await copyFile(TEST4, path.join(dirs.workspace, 'tasks.md'));
    const write = ([name, content]: readonly [string, string]): ScriptedTurn[] => [
      { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.workspace, name), content } },
      { type: 'text', text: `Created ${name}.` },
    ];
    server = await ModelServer.start({
      turns: [...write(FILES[0]!), ...write(FILES[1]!), { type: 'text', text: 'too late', delayMs: 120_000 }, ...FILES.slice(2).flatMap(write)],
    });
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', 'tasks.md', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5'],
      {
        cwd: dirs.workspace,
        env: isolatedEnv({ HOME: dirs.home, ...claudeEnvFor(server) }),
        stdio: ['ignore', 'ignore', 'pipe'],
        detached: true, // its own process group: kill -9 takes the agent with it, as a machine crash would
      },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
    );
    const deadline = Date.now() + 90_000;
    while (server.modelRequests.length < 5 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(server.modelRequests.length, 5, `task 3 never started: ${stderr}`);
    return { child, exited };
  }

  async function resumeLatest(): Promise<Awaited<ReturnType<typeof runProgram>>> {
    return runProgram(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'resume', '--latest', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5'],
      {
        cwd: dirs.workspace,
        timeoutMs: 120_000,
        env: isolatedEnv({ HOME: dirs.home, ...claudeEnvFor(server!) }),
      },
    );
  }

  async function assertFinishedOnce(): Promise<void> {
    for (const [name, content] of FILES) {
      assert.equal(await readFile(path.join(dirs.workspace, name), 'utf8'), content, name);
    }
    const firstPrompts = server!.modelRequests.map((r) => anthropicPrompt(r) ?? '');
    for (const [name] of FILES.slice(0, 2)) {
      // A task's two turns (the Write, then the answer) each resend its prompt: two requests, one run.
      assert.equal(firstPrompts.filter((p) => p.startsWith('# Task') && p.includes(name)).length, 2, `${name}: journaled done, run once`);
    }
    const sessions = path.join(dirs.workspace, '.aca', 'sessions');
    const [session] = await readdir(sessions);
    const { state } = await loadSession(path.join(sessions, session!));
    assert.deepEqual(
      Object.values(state.tasks).map((t) => t.state),
      ['done', 'done', 'done', 'done', 'done'],
    );
    assert.deepEqual(
      [state.tasks['1']!.attempts, state.tasks['2']!.attempts, state.tasks['3']!.attempts],
      [1, 1, 1],
      'the interrupted attempt went on as the same attempt',
    );
  }

  it('kill -9 in the middle of a task, then aca resume --latest finishes the plan; done tasks are not run again', async () => {
    const { child, exited } = await start();
    process.kill(-child.pid!, 'SIGKILL');
    const killed = await exited;
    assert.equal(killed.signal, 'SIGKILL');
    const resumed = await resumeLatest();
    assert.equal(resumed.exitCode, 0, resumed.stderr.slice(-3000));
    assert.match(resumed.stderr, /Interrupted tasks continue where they were: 3/);
    // Task 3 goes on as the same attempt. When Claude had saved the conversation before it was killed,
    // --resume continues it with ACA's "go on"; when it had not, the task starts over with its whole prompt.
    // Which one depends on the moment of the kill; both are right, a failure is not.
    assert.doesNotMatch(resumed.stderr, /↻ 3/, 'no failure recorded for the interrupted task');
    const after = server!.modelRequests.slice(5);
    const continued = after.some(
      (r) => JSON.stringify(r.body).includes('ACA was interrupted while you worked on this task') && JSON.stringify(r.body).includes('run.sh'),
    );
    const restarted = after.some((r) => (anthropicPrompt(r) ?? '').startsWith('# Task 3: Write a shell script'));
    assert.ok(continued || restarted, after.map((r) => JSON.stringify(r.body).slice(0, 200)).join('\n'));
    await assertFinishedOnce();
  });

  it('Ctrl-C pauses the session and exits 130; aca resume --latest goes on', async () => {
    const { child, exited } = await start();
    child.kill('SIGINT');
    const interrupted = await exited;
    assert.equal(interrupted.code, 130, `signal ${interrupted.signal}: ${interrupted.stderr.slice(-3000)}`);
    assert.match(interrupted.stderr, /Ctrl-C: stopping the agents and pausing the session/);
    assert.match(interrupted.stderr, /Paused: interrupted by Ctrl-C\. Continue with: aca resume [0-9a-f-]{36}/);
    const resumed = await resumeLatest();
    assert.equal(resumed.exitCode, 0, resumed.stderr.slice(-3000));
    await assertFinishedOnce();
  });
});

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
}

function claudeEnvFor(server: ModelServer): Record<string, string> {
  return {
    ACA_CLAUDE_PATH: repoBin('claude'),
    ANTHROPIC_BASE_URL: server.baseUrl,
    ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    API_TIMEOUT_MS: '150000',
  };
}

describe('aca interactive with the real claude CLI', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('home', 'workspace');
  let server: ModelServer | undefined;
  afterEach(async () => server?.close());

  it('runs each typed line as a task in a session; status, help and quit work', async () => {
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'Write', input: { file_path: path.join(dirs.workspace, 'typed.txt'), content: 'typed\n' } },
        { type: 'text', text: 'Wrote typed.txt.' },
      ],
    });
    const child = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'interactive', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5'],
      {
        cwd: dirs.workspace,
        env: isolatedEnv({ HOME: dirs.home, ...claudeEnvFor(server) }),
        stdio: ['pipe', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const waitFor = async (pattern: RegExp): Promise<void> => {
      for (const deadline = Date.now() + 60_000; !pattern.test(stderr) && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.match(stderr, pattern);
    };
    await waitFor(/aca> $/);
    child.stdin.write('help\n');
    await waitFor(/status {3}the tasks of this session/);
    child.stdin.write('Create `typed.txt` saying typed; $(touch pwned)\n');
    await waitFor(/✔ 1: Wrote typed\.txt\./);
    child.stdin.write('status\nquit\n');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /1\. Create `typed\.txt` saying typed; \$\(touch pwned\): done/);
    assert.match(stderr, /Session [0-9a-f-]{36} kept in /);
    assert.equal(await readFile(path.join(dirs.workspace, 'typed.txt'), 'utf8'), 'typed\n');
    assert.ok(!(await readdir(dirs.workspace)).includes('pwned'), 'the line never went through a shell');
    assert.match(anthropicPrompt(server.modelRequests[0]!) ?? '', /\$\(touch pwned\)/);
  });
});
