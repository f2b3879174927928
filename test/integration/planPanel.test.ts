/**
 * The plan panel's host side in the real extension host: it opens after Parse Tasks File, applies the
 * edits the webview posts (validated like any untrusted input), saves them, refuses a cycle with a message,
 * rejects and logs an unknown message, and undoes.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { AcaApi } from '../../src/extension/api';

async function api(): Promise<AcaApi> {
  const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
  assert.ok(extension);
  return extension.activate();
}

describe('The plan panel (host side)', function () {
  this.timeout(60_000);
  let workspace: string;
  before(() => {
    workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
  });
  after(async () => {
    await rm(path.join(workspace, 'tasks.aca-plan.json'), { force: true });
  });

  it('opens after parsing, applies and saves edits, refuses a cycle, rejects unknown messages, undoes', async () => {
    const aApi = await api();
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'tasks.md')));
    assert.ok(aApi.planPanel.isOpen(), 'the panel opened after Parse Tasks File');
    const plan = aApi.currentPlan()!;
    const [first, second] = plan.tasks.filter((t) => t.parent === null);
    assert.ok(first && second);

    await aApi.planPanel.receive({ type: 'ready' });
    const state = aApi.planPanel.posted().at(-1);
    assert.equal(state?.type, 'state');
    assert.equal(state?.type === 'state' && state.plan.tasks.length, plan.tasks.length);

    await aApi.planPanel.receive({ type: 'edit', edit: { type: 'setPriority', taskId: second.id, priority: 'critical' } });
    assert.equal(aApi.currentPlan()!.tasks.find((t) => t.id === second.id)!.priority, 'critical');
    const saved = JSON.parse(await readFile(path.join(workspace, 'tasks.aca-plan.json'), 'utf8')) as { tasks: Array<{ id: string; priority?: string }> };
    assert.equal(saved.tasks.find((t) => t.id === second.id)?.priority, 'critical', 'saved to the plan file');

    await aApi.planPanel.receive({ type: 'edit', edit: { type: 'addDependency', taskId: second.id, dependsOn: first.id } });
    await aApi.planPanel.receive({ type: 'edit', edit: { type: 'addDependency', taskId: first.id, dependsOn: second.id } });
    const refused = aApi.planPanel.posted().at(-1);
    assert.equal(refused?.type, 'error');
    assert.match(refused?.type === 'error' ? refused.message : '', /dependency cycle/);
    assert.deepEqual(aApi.currentPlan()!.tasks.find((t) => t.id === first.id)!.dependsOn, [], 'the plan is unchanged');

    await aApi.planPanel.receive({ type: 'runShellCommand', command: 'rm -rf /' });
    assert.ok(
      aApi.recentLogLines().some((line) => /rejected a message from the plan panel \(type "runShellCommand"\)/.test(line)),
      'rejected and logged',
    );
    await aApi.planPanel.receive({ type: 'edit', edit: { type: 'setPriority', taskId: first.id, priority: 'critical', extra: '<script>' } });
    assert.equal(
      aApi.currentPlan()!.tasks.find((t) => t.id === first.id)!.priority,
      plan.tasks.find((t) => t.id === first.id)!.priority,
      'an edit with an unknown field is refused',
    );

    await aApi.planPanel.receive({ type: 'undo' });
    assert.deepEqual(aApi.currentPlan()!.tasks.find((t) => t.id === second.id)!.dependsOn, [], 'undo took the dependency back');
    await aApi.planPanel.receive({ type: 'redo' });
    assert.deepEqual(aApi.currentPlan()!.tasks.find((t) => t.id === second.id)!.dependsOn, [first.id]);
  });

  it('does not write an edit through a symlinked plan file (trusted folder too): the edit stays in the window', async () => {
    const aApi = await api();
    const outside = path.join(path.dirname(workspace), `outside-trusted-${process.pid}`);
    await mkdir(outside, { recursive: true });
    const bashrc = path.join(outside, 'bashrc');
    await writeFile(bashrc, '# my shell\n');
    await writeFile(path.join(workspace, 'linked.md'), '- [ ] Say $(touch /tmp/pwned) hello\n');
    await symlink(bashrc, path.join(workspace, 'linked.aca-plan.json'));
    try {
      await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'linked.md')));
      const task = aApi.currentPlan()!.tasks[0]!;
      await aApi.planPanel.receive({ type: 'edit', edit: { type: 'setPriority', taskId: task.id, priority: 'critical' } });
      assert.equal(aApi.currentPlan()!.tasks[0]!.priority, 'critical');
      assert.equal(await readFile(bashrc, 'utf8'), '# my shell\n', 'the file the symlink points to is unchanged');
      assert.ok((await lstat(path.join(workspace, 'linked.aca-plan.json'))).isSymbolicLink());
      const state = aApi.planPanel
        .posted()
        .filter((m) => m.type === 'state')
        .at(-1);
      assert.ok(state?.type === 'state');
      assert.match(state.notSaved ?? '', /kept in this window only: .*linked\.aca-plan\.json is a symlink/);
    } finally {
      await rm(outside, { recursive: true, force: true });
      await rm(path.join(workspace, 'linked.md'), { force: true });
      await rm(path.join(workspace, 'linked.aca-plan.json'), { force: true });
    }
  });

  it('Set API Key… keeps the key in SecretStorage only: the log never shows it', async () => {
    const aApi = await api();
    const canary = `sk-ant-canary-${Math.random().toString(36).slice(2)}`;
    assert.equal(await vscode.commands.executeCommand('aca.setApiKey', 'anthropic', canary), true);
    assert.equal(await aApi.hasApiKey('anthropic'), true);
    assert.ok(aApi.recentLogLines().some((line) => line.includes('an API key for anthropic was stored')));
    assert.ok(!aApi.recentLogLines().some((line) => line.includes(canary)));
  });
});
