import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as vscode from 'vscode';
import { planSchema } from '../../src/core/model/plan';
import { sessionOwner } from '../../src/core/session/owner';
import { SessionWriter } from '../../src/core/session/sessionStore';
import type { AcaApi } from '../../src/extension/api';
import { REPO_ROOT } from '../support/processes';

const run = promisify(execFile);

async function api(): Promise<AcaApi> {
  const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
  assert.ok(extension);
  return extension.activate();
}

/** The real `aca` command line, as a separate process, in the test workspace. */
async function aca(cwd: string, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    // No agent here: the CLI's runs fail at once (test/integration/run.test.ts runs the real one). The same user as
    // this extension host (os.homedir(), where ACA's owner id lives), whatever other tests left in process.env.
    const { stdout, stderr } = await run(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], {
      cwd,
      env: { ...process.env, HOME: os.homedir(), ACA_CLAUDE_PATH: '/nonexistent/claude' },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const failed = error as { stdout: string; stderr: string; code: number };
    return { stdout: failed.stdout, stderr: failed.stderr, code: failed.code };
  }
}

describe('Sessions shared by the CLI and VS Code', function () {
  this.timeout(60_000);

  it('shows a session the CLI wrote, with its progress, and the CLI lists a session VS Code wrote', async () => {
    const aApi = await api();
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const fromCli = await aca(workspace, 'run', 'tasks.md');
    assert.match(fromCli.stderr, /Session ([0-9a-f-]{36}) created in /, fromCli.stderr);
    const cliSessionId = /Session ([0-9a-f-]{36})/.exec(fromCli.stderr)![1]!;

    await vscode.commands.executeCommand('aca.refreshSessions');
    const rows = await aApi.sessionRows();
    assert.deepEqual(
      rows.map((row) => [row.label, row.description.split(' · ')[0], row.children.map((c) => c.label)]),
      [['Integration fixture', '1/5 done', ['session start']]],
    );

    const config = vscode.workspace.getConfiguration('aca');
    await config.update('sessions.location', 'workspace', vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'tasks.md')));
      const fromVsCode = (await vscode.commands.executeCommand('aca.createSession')) as string | undefined;
      assert.ok(fromVsCode, 'the extension created a session');
      const checkpointId = (await vscode.commands.executeCommand('aca.createCheckpoint', 'made in VS Code')) as string | undefined;
      assert.ok(checkpointId);

      const listed = await aca(workspace, 'checkpoint', 'list', '--all-sessions');
      assert.equal(listed.code, 0, listed.stderr);
      assert.ok(listed.stdout.includes(`Session ${fromVsCode}`), listed.stdout);
      assert.ok(listed.stdout.includes(`Session ${cliSessionId}`), listed.stdout);
      assert.match(listed.stdout, new RegExp(`${checkpointId} .* made in VS Code`));
      assert.equal((await aApi.sessionRows()).length, 2);
    } finally {
      await config.update('sessions.location', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('a session that came with the repository is labelled, and resuming it shows what it runs before anything runs', async () => {
    const aApi = await api();
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const root = path.join(workspace, '.aca', 'sessions');
    const marker = path.join(os.tmpdir(), `aca-foreign-marker-${process.pid}`);
    // Made by someone else (another owner id): as if committed into the repository and cloned.
    const otherHome = await mkdtemp(path.join(os.tmpdir(), 'aca-other-user-'));
    const plan = planSchema.parse({
      version: 1,
      name: 'Came with the clone',
      tasks: [{ id: '1', title: 'Harmless-looking task', verify: [`touch ${marker}`] }],
    });
    const writer = await SessionWriter.create(root, plan, { owner: await sessionOwner(otherHome) });
    const id = writer.state.sessionId;
    await writer.close();
    try {
      await vscode.commands.executeCommand('aca.refreshSessions');
      const row = (await aApi.sessionRows()).find((r) => r.label === 'Came with the clone');
      assert.match(row?.description ?? '', /^from another machine or user · /);
      // The modal that lists what it runs is the only way on; the test host refuses dialogs, which proves it was asked.
      await assert.rejects(aApi.resumeSession(id), /Session "Came with the clone" is from another machine or user[\s\S]*Resuming it runs:/);
      await vscode.commands.executeCommand('aca.retryFailedTasks');
      assert.equal(
        await stat(marker).then(
          () => true,
          () => false,
        ),
        false,
        'its verify command never ran',
      );
      assert.match(
        (await aApi.sessionRows()).find((r) => r.label === 'Came with the clone')?.description ?? '',
        /^from another machine or user/,
        'still not adopted',
      );
    } finally {
      await rm(path.join(root, id), { recursive: true, force: true });
      await rm(otherHome, { recursive: true, force: true });
      await rm(marker, { force: true });
    }
  });
});
