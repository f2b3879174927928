/**
 * Runs in VS Code's real extension host, with the real `claude` CLI against the scripted model server:
 * a session started by `aca run` in a terminal and killed is resumed from the palette (Resume Session…),
 * and one started in VS Code (Run Plan, then Pause) is finished by `aca resume --latest`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/core/engine/engine';
import { sessionOwner } from '../../src/core/session/owner';
import type { AcaApi } from '../../src/extension/api';
import { ModelServer, type ScriptedTurn } from '../support/modelServer';
import { REPO_ROOT, repoBin, runProgram } from '../support/processes';

async function api(): Promise<AcaApi> {
  const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
  assert.ok(extension);
  return extension.activate();
}

/** A key that must appear nowhere: not in the log, not in a session file. */
const CANARY = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('Running sessions: the CLI and VS Code hand over to each other', function () {
  this.timeout(150_000);
  let server: ModelServer;
  let workspace: string;
  let agentEnv: Record<string, string>;
  const saved = { ...process.env };

  beforeEach(async () => {
    workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const home = await mkdtemp(path.join(os.tmpdir(), 'aca-run-home-'));
    // The same user with another HOME (for the CLIs' logins): ACA's owner id goes along, or the sessions
    // made under either HOME would be "from another machine or user" to the other.
    await sessionOwner();
    await mkdir(path.join(home, '.aca'), { mode: 0o700 });
    await copyFile(path.join(os.homedir(), '.aca', 'owner-id'), path.join(home, '.aca', 'owner-id'));
    await chmod(path.join(home, '.aca', 'owner-id'), 0o600);
    agentEnv = { HOME: home, ANTHROPIC_API_KEY: CANARY, DISABLE_TELEMETRY: '1', CLAUDE_CODE_MAX_RETRIES: '0', API_TIMEOUT_MS: '150000' };
    const config = vscode.workspace.getConfiguration('aca');
    await config.update('claudeCode.path', repoBin('claude'), vscode.ConfigurationTarget.Workspace);
    await config.update('model', 'claude-sonnet-4-5', vscode.ConfigurationTarget.Workspace);
    await config.update('sessions.location', 'workspace', vscode.ConfigurationTarget.Workspace);
  });
  after(async () => {
    // The sessions test that follows counts the sessions of the workspace: leave none behind.
    await rm(path.join(workspace, '.aca'), { recursive: true, force: true });
  });
  afterEach(async () => {
    await server?.close();
    process.env = { ...saved };
    const config = vscode.workspace.getConfiguration('aca');
    for (const key of ['claudeCode.path', 'model', 'sessions.location']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  /** The agent's environment for this window's extension host (the extension spawns claude from here). */
  function pointAgentsAtServer(): void {
    Object.assign(process.env, agentEnv, { ANTHROPIC_BASE_URL: server.baseUrl });
  }

  const write = (name: string): ScriptedTurn[] => [
    { type: 'tool', name: 'Write', input: { file_path: path.join(workspace, name), content: `${name}\n` } },
    { type: 'text', text: `Created ${name}.` },
  ];

  async function waitForRequests(count: number): Promise<void> {
    for (const deadline = Date.now() + 60_000; server.modelRequests.length < count && Date.now() < deadline;) {
      await sleep(100);
    }
    assert.equal(server.modelRequests.length, count, 'the agent reached the scripted point');
  }

  it('a session started by aca run and killed is resumed from the palette', async () => {
    const aApi = await api();
    await writeFile(
      path.join(workspace, 'cli-tasks.md'),
      '# From the terminal\n\n- [ ] Create `cli-a.txt`\n- [ ] Create `cli-b.txt`\n- [ ] Create `cli-c.txt`\n',
    );
    server = await ModelServer.start({
      turns: [...write('cli-a.txt'), { type: 'text', text: 'too late', delayMs: 120_000 }, ...write('cli-b.txt'), ...write('cli-c.txt')],
    });
    const cli = spawn(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'run', 'cli-tasks.md', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5'],
      {
        cwd: workspace,
        env: { ...process.env, ...agentEnv, ACA_CLAUDE_PATH: repoBin('claude'), ANTHROPIC_BASE_URL: server.baseUrl },
        stdio: 'ignore',
        detached: true,
      },
    );
    const exited = new Promise((resolve) => cli.on('exit', resolve));
    await waitForRequests(3); // task 1 done, task 2 waiting for its first answer
    process.kill(-cli.pid!, 'SIGKILL');
    await exited;

    pointAgentsAtServer();
    // The palette: Resume Session… lists unfinished sessions, newest first; Enter takes the first.
    const resumed = vscode.commands.executeCommand<RunSummary | undefined>('aca.resumeSession');
    await sleep(1500);
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
    const summary = await resumed;
    assert.equal(summary?.outcome, 'done', JSON.stringify(summary));
    for (const name of ['cli-a.txt', 'cli-b.txt', 'cli-c.txt']) {
      assert.equal(await readFile(path.join(workspace, name), 'utf8'), `${name}\n`);
    }
    // The Tasks view followed the journal: every task shows done.
    const rows = aApi
      .taskTree()
      .flatMap((row) => [row, ...row.children])
      .filter((row) => row.contextValue.startsWith('task:'));
    assert.deepEqual(
      rows.map((row) => row.description.split(' · ')[0]),
      ['done', 'done', 'done'],
    );
    assert.deepEqual(
      rows.map((row) => row.contextValue),
      ['task:done', 'task:done', 'task:done'],
      'the menu actions follow the state',
    );
    // Open Transcript (the tree's context menu): task 2 was begun by the CLI and finished here, in one transcript.
    const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '2');
    assert.match(transcript, /── attempt 1 ──/);
    assert.match(transcript, /── attempt 1: continues the interrupted conversation ──/);
    assert.match(transcript, /⚙ Write/);
    assert.match(transcript, /✓ done: Created cli-b\.txt\./);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // The canary key reached the model server, and nothing ACA wrote.
    assert.equal(server.modelRequests.at(-1)!.headers['x-api-key'], CANARY);
    assert.ok(!aApi.recentLogLines().some((line) => line.includes(CANARY)), 'the log');
    const sessionFiles = (await readdir(path.join(workspace, '.aca'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    for (const file of sessionFiles) {
      assert.ok(!(await readFile(path.join(file.parentPath, file.name), 'utf8')).includes(CANARY), `${file.name} holds the key`);
    }
  });

  it('a session started in VS Code and paused is finished by aca resume --latest', async () => {
    await writeFile(path.join(workspace, 'ide-tasks.md'), '# From VS Code\n\n- [ ] Create `ide-x.txt`\n- [ ] Create `ide-y.txt`\n- [ ] Create `ide-z.txt`\n');
    server = await ModelServer.start({
      turns: [...write('ide-x.txt'), write('ide-y.txt')[0]!, { type: 'text', text: 'Created ide-y.txt.', delayMs: 3000 }, ...write('ide-z.txt')],
    });
    pointAgentsAtServer();
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'ide-tasks.md')));
    const running = vscode.commands.executeCommand<RunSummary | undefined>('aca.runPlan');
    await waitForRequests(4); // task 2 is waiting for its last answer
    assert.equal(await vscode.commands.executeCommand('aca.pauseRun'), true);
    const paused = await running;
    assert.equal(paused?.outcome, 'paused', JSON.stringify(paused));
    assert.deepEqual([paused.counts.done, paused.counts.pending], [2, 1], 'the running task finished; none started after the pause');
    assert.equal(
      await readFile(path.join(workspace, 'ide-tasks.md'), 'utf8'),
      '# From VS Code\n\n- [x] Create `ide-x.txt`\n- [x] Create `ide-y.txt`\n- [ ] Create `ide-z.txt`\n',
      'checkboxes written back',
    );

    const cli = await runProgram(
      process.execPath,
      [path.join(REPO_ROOT, 'dist', 'cli.js'), 'resume', '--latest', '--provider', 'claude-code', '--model', 'claude-sonnet-4-5'],
      {
        cwd: workspace,
        timeoutMs: 90_000,
        env: { ...process.env, ...agentEnv, ACA_CLAUDE_PATH: repoBin('claude'), ANTHROPIC_BASE_URL: server.baseUrl },
      },
    );
    assert.equal(cli.exitCode, 0, cli.stderr);
    assert.match(cli.stderr, /"From VS Code": 2\/3 done/);
    assert.equal(await readFile(path.join(workspace, 'ide-z.txt'), 'utf8'), 'ide-z.txt\n');
  });
});
