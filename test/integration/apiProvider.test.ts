/**
 * In VS Code's real extension host: the `anthropic` provider (ACA's own agent loop on the AI SDK) runs a plan
 * with the key from SecretStorage ("Set API Key…") against the scripted model server. The key reaches the
 * server and nothing ACA writes: no session file, no transcript, no log line. And the fallback chain across
 * kinds: the real Claude Code CLI, rate limited, hands its task to the Anthropic API.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/core/engine/engine';
import type { AcaApi } from '../../src/extension/api';
import { ModelServer } from '../support/modelServer';
import { repoBin } from '../support/processes';

describe('The Anthropic API provider in VS Code (key from SecretStorage)', function () {
  this.timeout(90_000);
  let server: ModelServer | undefined;
  const saved = { ...process.env };

  after(async () => {
    await server?.close();
    process.env = { ...saved };
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const config = vscode.workspace.getConfiguration('aca');
    // A user setting only (the stored key goes there): set and cleared globally.
    await config.update('anthropic.baseUrl', undefined, vscode.ConfigurationTarget.Global);
    for (const key of ['provider', 'model', 'sessions.location', 'fallback', 'claudeCode.path']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    // The sessions test counts the sessions of the workspace: leave none behind.
    await rm(path.join(workspace, '.aca'), { recursive: true, force: true });
  });

  it('runs a plan with the anthropic provider and the stored key; the key is in no file and no log line', async () => {
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    const aca = await extension!.activate();
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const canary = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
    assert.equal(await vscode.commands.executeCommand('aca.setApiKey', 'anthropic', canary), true);
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: 'api-a.txt', content: 'from the API\n' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Created api-a.txt.' } },
      ],
    });
    // The extension host's environment: where the Anthropic API is (no key here: it must come from SecretStorage).
    Object.assign(process.env, { ANTHROPIC_BASE_URL: server.baseUrl });
    delete process.env['ANTHROPIC_API_KEY'];
    const config = vscode.workspace.getConfiguration('aca');
    await config.update('provider', 'anthropic', vscode.ConfigurationTarget.Workspace);
    await config.update('model', 'claude-sonnet-4-5', vscode.ConfigurationTarget.Workspace);
    await config.update('sessions.location', 'workspace', vscode.ConfigurationTarget.Workspace);
    await writeFile(path.join(workspace, 'api-tasks.md'), '# Through the API\n\n- [ ] Create `api-a.txt`\n');
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'api-tasks.md')));

    const summary = await vscode.commands.executeCommand<RunSummary | undefined>('aca.runPlan');
    assert.equal(summary?.outcome, 'done', `${JSON.stringify(summary)}; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
    assert.equal(await readFile(path.join(workspace, 'api-a.txt'), 'utf8'), 'from the API\n');
    assert.equal(server.modelRequests[0]!.headers['x-api-key'], canary, 'the stored key reached the API');
    const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '1');
    assert.match(transcript, /⚙ write_file: api-a\.txt/);
    assert.match(transcript, /✓ done: Created api-a\.txt\./);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    // A task of another tasks file with the same id has no transcript here: it is not this one's.
    assert.equal(await vscode.commands.executeCommand('aca.openTranscript', { task: { id: '1', title: 'Something else entirely' } }), undefined);
    assert.equal(await vscode.commands.executeCommand('aca.showTaskChanges', { task: { id: '1', title: 'Something else entirely' } }), undefined);
    // Its own task: the files it changed (the agent's, and the tasks file's checkbox), in a quick pick.
    const showing = vscode.commands.executeCommand<Array<{ path: string; kind: string }>>('aca.showTaskChanges', {
      task: { id: '1', title: 'Create `api-a.txt`' },
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.deepEqual(await showing, [
      { path: 'api-a.txt', kind: 'create' },
      { path: 'api-tasks.md', kind: 'modify' },
    ]);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    assert.ok(!aca.recentLogLines().some((line) => line.includes(canary)), 'the log');
    const files = (await readdir(path.join(workspace, '.aca'), { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
    assert.ok(files.some((f) => f.name === 'transcripts.jsonl'));
    for (const file of files) {
      assert.ok(!(await readFile(path.join(file.parentPath, file.name))).includes(canary), `${file.name} holds the key`);
    }
  });

  it('Claude Code is rate limited for an hour: the task falls back to the Anthropic API, which finishes it with the summary handed over', async () => {
    const aca = await vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent')!.activate();
    const workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    // Two servers: the CLI's (ANTHROPIC_BASE_URL) starts the task, then answers 429 with an hour's retry-after;
    // the API provider's (the setting aca.anthropic.baseUrl) finishes it.
    const claudeServer = await ModelServer.start({
      turns: [{ type: 'tool', name: 'Write', input: { file_path: path.join(workspace, 'fb-started.txt'), content: 'half done\n' } }],
      whenExhausted: { type: 'error', status: 429, retryAfterSeconds: 3600 },
    });
    await server?.close();
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: 'fb-finished.txt', content: 'finished by the API\n' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Finished what claude-code started.' } },
      ],
    });
    try {
      const home = await mkdtemp(path.join(os.tmpdir(), 'aca-fallback-home-'));
      Object.assign(process.env, {
        HOME: home,
        ANTHROPIC_BASE_URL: claudeServer.baseUrl,
        ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
        CLAUDE_CODE_MAX_RETRIES: '0',
        DISABLE_TELEMETRY: '1',
      });
      const config = vscode.workspace.getConfiguration('aca');
      await config.update('provider', 'claude-code', vscode.ConfigurationTarget.Workspace);
      await config.update('claudeCode.path', repoBin('claude'), vscode.ConfigurationTarget.Workspace);
      await config.update('model', 'claude-sonnet-4-5', vscode.ConfigurationTarget.Workspace);
      await config.update('fallback', ['anthropic'], vscode.ConfigurationTarget.Workspace);
      await config.update('anthropic.baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
      await config.update('sessions.location', 'workspace', vscode.ConfigurationTarget.Workspace);
      await writeFile(path.join(workspace, 'fallback-tasks.md'), '# Fallback\n\n- [ ] Create `fb-started.txt` and `fb-finished.txt`\n');
      await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'fallback-tasks.md')));

      const summary = await vscode.commands.executeCommand<RunSummary | undefined>('aca.runPlan');
      assert.equal(summary?.outcome, 'done', `${JSON.stringify(summary)}; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
      assert.equal(await readFile(path.join(workspace, 'fb-started.txt'), 'utf8'), 'half done\n');
      assert.equal(await readFile(path.join(workspace, 'fb-finished.txt'), 'utf8'), 'finished by the API\n');
      assert.ok(claudeServer.modelRequests.length >= 2, 'Claude Code worked, then was rate limited');
      // The API got the task with what Claude Code had done.
      const sent = JSON.stringify(server.modelRequests[0]!.body);
      assert.match(sent, /Handed over from claude-code/);
      assert.match(sent, /fb-started\.txt/);
      const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '1');
      assert.match(transcript, /claude-code → anthropic/);
      assert.match(transcript, /✓ done: Finished what claude-code started\./);
    } finally {
      await claudeServer.close();
    }
  });
});
