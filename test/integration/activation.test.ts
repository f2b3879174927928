import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { AcaApi } from '../../src/extension/api';

const EXTENSION_ID = 'aca-dev.automatic-coding-agent';

interface ContributedCommand {
  command: string;
}

async function activate(): Promise<{ extension: vscode.Extension<AcaApi>; api: AcaApi }> {
  const extension = vscode.extensions.getExtension<AcaApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed in the extension host`);
  const api = await extension.activate();
  return { extension, api };
}

describe('ACA in a real VS Code extension host', () => {
  it('activates and returns its API with the manifest version', async () => {
    const { extension, api } = await activate();
    assert.equal(extension.isActive, true);
    assert.equal(api.version, (extension.packageJSON as { version: string }).version);
  });

  it('runs in a VS Code that satisfies its engines.vscode floor', async () => {
    const { extension } = await activate();
    const floor = (extension.packageJSON as { engines: { vscode: string } }).engines.vscode.replace(/^\^/, '');
    const [major = 0, minor = 0] = vscode.version.split('.').map(Number);
    const [floorMajor = 0, floorMinor = 0] = floor.split('.').map(Number);
    assert.ok(major > floorMajor || (major === floorMajor && minor >= floorMinor), `VS Code ${vscode.version} >= ${floor}`);
  });

  it('registers every command it contributes, and no contributed command is missing', async () => {
    const { extension } = await activate();
    const contributed = ((extension.packageJSON as { contributes: { commands: ContributedCommand[] } }).contributes.commands ?? []).map((c) => c.command);
    assert.ok(contributed.length > 0);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
    );
  });

  it('logs its activation through the core logger into the ACA output channel', async () => {
    const { api } = await activate();
    await vscode.commands.executeCommand('aca.showLog');
    assert.ok(
      api.recentLogLines().some((line) => /^info \[extension\] Automatic Coding Agent \S+ activated in VS Code /.test(line)),
      `log lines: ${JSON.stringify(api.recentLogLines())}`,
    );
  });

  it('shows the Tasks view in its activity-bar container, empty until a plan is loaded', async () => {
    const { api } = await activate();
    await vscode.commands.executeCommand('workbench.view.extension.aca');
    await vscode.commands.executeCommand('aca.tasks.focus');
    assert.deepEqual(api.taskViewRootLabels(), []);
  });

  it('sees the fixture workspace as trusted (the rig disables the trust prompt)', async () => {
    const { api } = await activate();
    assert.equal(api.isWorkspaceTrusted(), true);
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'a workspace folder is open');
    const tasks = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'tasks.md'));
    assert.match(Buffer.from(tasks).toString('utf8'), /Create a file named hello.txt/);
  });
});
