/**
 * In VS Code's real extension host: `vscode-lm` runs tasks with a language model of VS Code. The model is
 * registered by the test extension `test/fixtures/scripted-lm` (VS Code 1.100's `chatProvider` API) and
 * answers from a script; ACA finds it with `vscode.lm.selectChatModels` and drives it with its own agent loop.
 * Also: VS Code's NoPermissions and Blocked errors end with a message that says what to do, and a blocked
 * model hands the task to the next provider of the chain.
 */
import assert from 'node:assert/strict';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import type { RunSummary } from '../../src/core/engine/engine';
import type { AcaApi } from '../../src/extension/api';
import { ModelServer } from '../support/modelServer';

interface ScriptedLm {
  script(
    turns: ReadonlyArray<{
      text?: string;
      toolCalls?: ReadonlyArray<{ name: string; input: object }>;
      error?: 'NoPermissions' | 'Blocked' | 'NotFound';
      message?: string;
    }>,
  ): void;
  readonly requests: ReadonlyArray<{ extensionId: string; tools: string[]; messages: Array<{ role: string; parts: Array<Record<string, unknown>> }> }>;
}

describe("vscode-lm: a language model of VS Code runs tasks through ACA's agent loop", function () {
  this.timeout(90_000);
  let lm: ScriptedLm;
  let aca: AcaApi;
  let workspace: string;
  let server: ModelServer | undefined;
  const saved = { ...process.env };

  before(async () => {
    aca = await vscode.extensions.getExtension<AcaApi>('aca-dev.automatic-coding-agent')!.activate();
    const fixture = vscode.extensions.getExtension<ScriptedLm>('aca-test.scripted-lm');
    assert.ok(fixture, 'the scripted-lm test extension is loaded');
    lm = await fixture.activate();
    workspace = vscode.workspace.workspaceFolders![0]!.uri.fsPath;
    const config = vscode.workspace.getConfiguration('aca');
    await config.update('provider', 'vscode-lm', vscode.ConfigurationTarget.Workspace);
    await config.update('vscodeLm.model', 'aca-test/scripted', vscode.ConfigurationTarget.Workspace);
    await config.update('sessions.location', 'workspace', vscode.ConfigurationTarget.Workspace);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    process.env = { ...saved };
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  after(async () => {
    const config = vscode.workspace.getConfiguration('aca');
    for (const key of ['provider', 'fallback', 'vscodeLm.model', 'sessions.location']) {
      await config.update(key, undefined, vscode.ConfigurationTarget.Workspace);
    }
    // The sessions test counts the sessions of the workspace: leave none behind.
    await rm(path.join(workspace, '.aca'), { recursive: true, force: true });
  });

  async function runTasksFile(name: string, text: string): Promise<RunSummary | undefined> {
    await writeFile(path.join(workspace, name), text);
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, name)));
    return vscode.commands.executeCommand<RunSummary | undefined>('aca.runPlan');
  }

  it('the scripted model writes a file through the tools and finishes the task', async () => {
    lm.script([
      { text: 'I will create the file.', toolCalls: [{ name: 'write_file', input: { path: 'lm-a.txt', content: 'from a VS Code model\n' } }] },
      { toolCalls: [{ name: 'task_complete', input: { summary: 'Created lm-a.txt.' } }] },
    ]);
    const summary = await runTasksFile('lm-tasks.md', '# With a VS Code model\n\n- [ ] Create `lm-a.txt`\n');
    assert.equal(summary?.outcome, 'done', `${JSON.stringify(summary)}; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
    assert.equal(await readFile(path.join(workspace, 'lm-a.txt'), 'utf8'), 'from a VS Code model\n');
    assert.equal(lm.requests.length, 2);
    const [first, second] = lm.requests;
    assert.equal(first!.extensionId, 'aca-dev.automatic-coding-agent');
    assert.deepEqual([...first!.tools].sort(), ['edit_file', 'list_directory', 'read_file', 'run_command', 'search_text', 'task_complete', 'write_file']);
    assert.match(JSON.stringify(first!.messages), /Create `lm-a\.txt`/, 'the task reached the model');
    // The second turn carries the model's tool call and the tool's answer.
    const parts = second!.messages.flatMap((m) => m.parts);
    assert.ok(
      parts.some((p) => p['toolCall'] === 'write_file'),
      JSON.stringify(second!.messages),
    );
    assert.ok(
      parts.some((p) => typeof p['toolResult'] === 'string' && /lm-a\.txt/.test(String(p['text']))),
      JSON.stringify(second!.messages),
    );
    const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '1');
    assert.match(
      transcript,
      /vscode-lm · model aca-test\/scripted\n.*I will create the file\.\n.*⚙ write_file: lm-a\.txt/,
      'the model, then what it said, then what it did',
    );
    assert.match(transcript, /⚙ write_file: lm-a\.txt/);
    assert.match(transcript, /✓ done: Created lm-a\.txt\./);
  });

  it('NoPermissions: the task fails at once, saying how to allow ACA to use the model', async () => {
    lm.script([{ error: 'NoPermissions', message: 'not allowed' }]);
    const summary = await runTasksFile('lm-denied.md', '# Denied\n\n- [ ] Create `lm-b.txt`\n');
    assert.equal(summary?.outcome, 'failed', JSON.stringify(summary));
    assert.equal(lm.requests.length, 1, 'a refusal is not retried');
    const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '1');
    assert.match(transcript, /VS Code did not allow ACA to use the language model/);
    assert.match(transcript, /Manage Language Model Access/);
  });

  it('Blocked: the model is set aside and the next provider of the chain (the Anthropic API) finishes the task', async () => {
    lm.script([{ error: 'Blocked', message: 'quota exceeded' }]);
    server = await ModelServer.start({
      turns: [
        { type: 'tool', name: 'write_file', input: { path: 'lm-c.txt', content: 'finished by the API\n' } },
        { type: 'tool', name: 'task_complete', input: { summary: 'Created lm-c.txt.' } },
      ],
    });
    Object.assign(process.env, { ANTHROPIC_API_KEY: 'sk-test-not-a-real-key' });
    const config = vscode.workspace.getConfiguration('aca');
    await config.update('fallback', ['anthropic'], vscode.ConfigurationTarget.Workspace);
    await config.update('anthropic.baseUrl', server.baseUrl, vscode.ConfigurationTarget.Global);
    try {
      const summary = await runTasksFile('lm-blocked.md', '# Blocked\n\n- [ ] Create `lm-c.txt`\n');
      assert.equal(summary?.outcome, 'done', `${JSON.stringify(summary)}; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
      assert.equal(await readFile(path.join(workspace, 'lm-c.txt'), 'utf8'), 'finished by the API\n');
      assert.equal(lm.requests.length, 1);
      const transcript = await vscode.commands.executeCommand<string>('aca.openTranscript', '1');
      assert.match(transcript, /blocked the request/);
      assert.match(transcript, /vscode-lm → anthropic/);
    } finally {
      await config.update('fallback', undefined, vscode.ConfigurationTarget.Workspace);
      await config.update('anthropic.baseUrl', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Analyze Tasks with AI uses the VS Code model too: the schema goes into the prompt, and the answer is proposed', async () => {
    const answer = { tasks: [{ id: '2', dependsOn: ['1'], priority: 'high', complexity: 'simple' }] };
    // A model without a JSON mode often wraps its answer in a fence: analysis finds the JSON in it.
    lm.script([{ text: `Here is the analysis:\n\`\`\`json\n${JSON.stringify(answer)}\n\`\`\`` }]);
    await writeFile(path.join(workspace, 'lm-analyze.md'), '# Analyze\n\n- [ ] Write the parser\n- [ ] Test the parser\n');
    await vscode.commands.executeCommand('aca.parseTasksFile', vscode.Uri.file(path.join(workspace, 'lm-analyze.md')));
    const proposed = await vscode.commands.executeCommand<
      { tasks: Array<{ id: string; dependsOn: string[]; priority: string; complexity?: string }> } | undefined
    >('aca.analyzeTasks');
    assert.ok(proposed, `no analysis; log: ${aca.recentLogLines().slice(-5).join(' | ')}`);
    const second = proposed.tasks.find((t) => t.id === '2');
    assert.deepEqual([second?.dependsOn, second?.priority, second?.complexity], [['1'], 'high', 'simple']);
    assert.equal(lm.requests.length, 1);
    const prompt = JSON.stringify(lm.requests[0]!.messages);
    assert.match(prompt, /Write the parser/);
    assert.match(prompt, /JSON Schema/, 'the schema went into the prompt');
    assert.deepEqual(lm.requests[0]!.tools, [], 'analysis offers the model no tools');
  });
});
