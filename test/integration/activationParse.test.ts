import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { Plan } from '../../src/core/model/plan';
import type { AcaApi } from '../../src/extension/api';

// Runs after activation.test.ts (file order) and before any other suite parses: the first parse loads the
// parser bundle, and a parse still loads nothing of the runtime.
describe('the parser loads on the first parse', () => {
  it('Parse Tasks File loads dist/parser.js (not dist/runtime.js) and logs it', async () => {
    const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
    assert.ok(extension);
    const api = await extension.activate();
    const loaded = (name: string): boolean => Object.keys(require.cache).some((file) => file.endsWith(`/dist/${name}`));
    assert.equal(loaded('parser.js'), false, 'dist/parser.js is not loaded before the first parse');
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const plan = await vscode.commands.executeCommand<Plan | undefined>('aca.parseTasksFile', vscode.Uri.joinPath(folder.uri, 'tasks.md'));
    assert.ok(plan && plan.tasks.length > 0, 'the command returns the parsed plan');
    assert.equal(loaded('parser.js'), true, 'dist/parser.js is loaded by the parse');
    assert.equal(loaded('runtime.js'), false, 'dist/runtime.js is not loaded by a parse');
    assert.ok(
      api.recentLogLines().some((line) => /loaded the parser \(parser\.js\) in \d+ ms/.test(line)),
      JSON.stringify(api.recentLogLines()),
    );
  });
});
