/**
 * Restricted Mode (this file runs only in the pass where the folder is not trusted): plan-panel edits stay in
 * the window. A repository's `tasks.aca-plan.json` symlinked to a file outside the workspace is not written
 * by an edit, and the panel says where the edits are.
 */
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { AcaApi } from '../../src/extension/api';

describe('The plan panel in Restricted Mode', function () {
  this.timeout(60_000);
  let workspace: string;
  let outside: string;
  before(async () => {
    assert.equal(vscode.workspace.isTrusted, false, 'this suite runs in an untrusted folder');
    workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    outside = path.join(path.dirname(workspace), `outside-${process.pid}`);
    await mkdir(outside, { recursive: true });
  });
  after(async () => {
    await rm(outside, { recursive: true, force: true });
    await rm(path.join(workspace, 'evil.aca-plan.json'), { force: true });
    await rm(path.join(workspace, 'evil.md'), { force: true });
  });

  it('does not write an edit through a symlinked plan file, and says the edits are kept in the window', async () => {
    const bashrc = path.join(outside, 'bashrc');
    await writeFile(bashrc, '# my shell\n');
    await writeFile(path.join(workspace, 'evil.md'), '- [ ] Say $(touch /tmp/pwned) hello\n- [ ] Second\n');
    await symlink(bashrc, path.join(workspace, 'evil.aca-plan.json'));
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    assert.ok(extension);
    const aApi = await extension.activate();
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'evil.md')));
    const task = aApi.currentPlan()!.tasks[0]!;

    await aApi.planPanel.receive({ type: 'edit', edit: { type: 'setPriority', taskId: task.id, priority: 'critical' } });
    assert.equal(aApi.currentPlan()!.tasks[0]!.priority, 'critical', 'the edit applies in the window');
    assert.equal(await readFile(bashrc, 'utf8'), '# my shell\n', 'the file the symlink points to is unchanged');
    assert.ok((await lstat(path.join(workspace, 'evil.aca-plan.json'))).isSymbolicLink(), 'the symlink is left as it was');
    const state = aApi.planPanel
      .posted()
      .filter((m) => m.type === 'state')
      .at(-1);
    assert.ok(state?.type === 'state');
    assert.equal(state.savedTo, undefined);
    assert.match(state.notSaved ?? '', /Restricted Mode: edits are kept in this window only, not saved to evil\.aca-plan\.json/);
  });
});
