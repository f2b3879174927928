import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { AcaApi } from '../../src/extension/api';
import type { TaskTreeSnapshot } from '../../src/extension/tasksView';
import { ModelServer } from '../support/modelServer';
import { makeTempDir, repoBin } from '../support/processes';

async function api(): Promise<AcaApi> {
  const extension = vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent');
  assert.ok(extension);
  return extension.activate();
}

function tasksUri(): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder);
  return vscode.Uri.joinPath(folder.uri, 'tasks.md');
}

function outline(rows: readonly TaskTreeSnapshot[], depth = 0): string[] {
  return rows.flatMap((row) => [`${'  '.repeat(depth)}${row.label} (${row.description}) [${row.contextValue}]`, ...outline(row.children, depth + 1)]);
}

describe('Parse Tasks File in VS Code', () => {
  const original = `# Integration fixture

## High Priority

- [ ] Create a file named hello.txt -> docs/spec.md
  - It must end with a newline
- [x] Already done
- [ ] Follow the missing spec -> docs/missing-spec.md

## Later

- [ ] Group
  - [ ] First child
  - [ ] Second child
`;
  after(async () => writeFile(tasksUri().fsPath, original));

  it('parses the file into the Tasks view: sections, tasks, subtasks, references', async () => {
    const aca = await api();
    const plan = await vscode.commands.executeCommand('aca.parseTasksFile', tasksUri());
    assert.ok(plan, 'the command returns the plan');
    assert.deepEqual(outline(aca.taskTree()), [
      'High Priority () [section]',
      '  Create a file named hello.txt (1 · high) [task:pending]',
      '    docs/spec.md (reference) [reference]',
      '  Already done (2 · high) [task:done]',
      '  Follow the missing spec (3 · high) [task:pending]',
      '    docs/missing-spec.md (missing reference) [reference:missing]',
      'Later () [section]',
      '  Group (4) [task:pending:group]',
      '    First child (4.1) [task:pending]',
      '    Second child (4.2) [task:pending]',
    ]);
  });

  it('shows a broken reference in Problems at its line', async () => {
    await vscode.commands.executeCommand('aca.parseTasksFile', tasksUri());
    const diagnostics = vscode.languages.getDiagnostics(tasksUri());
    assert.deepEqual(
      diagnostics.map((d) => [d.range.start.line + 1, d.severity, d.source, d.message]),
      [[8, vscode.DiagnosticSeverity.Warning, 'ACA', 'task 3 refers to docs/missing-spec.md, which does not exist']],
    );
  });

  it('re-parses when the file changes on disk, keeping task ids stable', async () => {
    const aca = await api();
    await vscode.commands.executeCommand('aca.parseTasksFile', tasksUri());
    const changed = aca.nextPlanChange();
    await writeFile(tasksUri().fsPath, original.replace('- [x] Already done', '- [x] Already done\n- [-] Newly added'));
    const plan = await changed;
    assert.deepEqual(
      plan?.tasks.map((t) => `${t.id}:${t.status}`),
      ['1:pending', '2:done', '3:in_progress', '4:pending', '5:pending', '5.1:pending', '5.2:pending'],
    );
    assert.equal(vscode.languages.getDiagnostics(tasksUri())[0]?.range.start.line, 8, 'the problem moved with its line');
    const restored = aca.nextPlanChange();
    await writeFile(tasksUri().fsPath, original);
    assert.equal((await restored)?.tasks.length, 6);
  });

  it("goes to a task's source line", async () => {
    await vscode.commands.executeCommand('aca.parseTasksFile', tasksUri());
    await vscode.commands.executeCommand('aca.goToSource', '4.2');
    const editor = vscode.window.activeTextEditor;
    assert.equal(editor?.document.uri.fsPath, tasksUri().fsPath);
    assert.equal(editor?.selection.active.line, 13);
  });

  it('analyzes the plan with the real Claude Code CLI and shows the refined plan', async function () {
    this.timeout(90_000);
    const aca = await api();
    await vscode.commands.executeCommand('aca.parseTasksFile', tasksUri());
    const server = await ModelServer.start({
      turns: [{ type: 'tool', name: 'StructuredOutput', input: { tasks: [{ id: '3', dependsOn: ['1'], complexity: 'moderate' }] } }],
    });
    const home = await makeTempDir('ext-claude-home');
    // The extension spawns claude with the extension host's environment: point it at the scripted server.
    const saved = { ...process.env };
    Object.assign(process.env, {
      HOME: home.dir,
      ANTHROPIC_BASE_URL: server.baseUrl,
      ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
      CLAUDE_CODE_MAX_RETRIES: '0',
    });
    const config = vscode.workspace.getConfiguration('aca');
    await config.update('claudeCode.path', repoBin('claude'), vscode.ConfigurationTarget.Workspace);
    try {
      const refined = (await vscode.commands.executeCommand('aca.analyzeTasks')) as
        { tasks: Array<{ id: string; dependsOn: string[]; complexity: string | null }> } | undefined;
      assert.ok(refined, `analysis returned a plan; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
      assert.deepEqual(
        refined.tasks.find((t) => t.id === '3'),
        { ...refined.tasks.find((t) => t.id === '3'), dependsOn: ['1'], complexity: 'moderate' },
      );
      // The plan panel shows the proposal per task; nothing changes until the user accepts.
      const state = aca.planPanel.posted().at(-1);
      assert.ok(state?.type === 'state' && state.proposal, `a proposal was posted: ${JSON.stringify(state).slice(0, 300)}`);
      assert.deepEqual(state.proposal.items.find((item) => item.taskId === '3')?.changes, ['after: none → 1', 'complexity: none → moderate']);
      assert.ok(!outline(aca.taskTree()).includes('after 1) [task:pending]'), 'not applied before it is accepted');
      await aca.planPanel.receive({ type: 'decideProposal', accept: true, taskIds: ['3'] });
      assert.ok(outline(aca.taskTree()).includes('  Follow the missing spec (3 · high · moderate · after 1) [task:pending]'));
      const after = aca.planPanel.posted().at(-1);
      assert.ok(after?.type === 'state' && !after.proposal?.items.some((item) => item.taskId === '3'), 'the accepted change left the list');
      assert.equal(server.modelRequests.length, 1);
    } finally {
      process.env = saved;
      await config.update('claudeCode.path', undefined, vscode.ConfigurationTarget.Workspace);
      await server.close();
      await home.cleanup();
    }
  });
});
