import assert from 'node:assert/strict';
import { formatRunCommands, previewRunCommands } from '../../src/core/engine/runPreview';
import { planSchema } from '../../src/core/model/plan';

describe('what a run will execute, listed before it starts', () => {
  const plan = planSchema.parse({
    version: 1,
    name: 'p',
    tasks: [
      { id: '1', title: 'Done already', status: 'done', verify: ['make never'] },
      { id: '2', title: 'Group' },
      { id: '2.1', title: 'Leaf with its own check', parent: '2', verify: ['python3 -c "import os"'] },
      { id: '2.2', title: 'Leaf without', parent: '2' },
      { id: '3', title: 'Optional', optional: true, verify: ['make optional'] },
    ],
  });

  it('lists each verify command once with the tasks that will run it, never those of done or optional tasks', () => {
    const preview = previewRunCommands(plan, undefined, { chain: ['claude-code'], defaultVerify: ['npm test'] });
    assert.deepEqual(preview.verify, [
      { command: 'python3 -c "import os"', taskIds: ['2.1'] },
      { command: 'npm test', taskIds: ['2.2'] },
    ]);
  });

  it("names, per provider of the chain, what its agent runs without asking (aca.toml's rules where given)", () => {
    const preview = previewRunCommands(plan, undefined, {
      chain: ['claude-code', 'openai-codex', 'anthropic', 'claude-code'],
      config: { agent: { allowed_commands: ['pytest'] }, claude_code: { allowed_tools: ['Read', 'Bash(cargo test:*)'], permission_mode: 'default' } },
    });
    assert.deepEqual(
      preview.unasked.map((u) => u.provider),
      ['claude-code', 'openai-codex', 'anthropic'],
    );
    const lines = formatRunCommands(preview);
    assert.deepEqual(lines, [
      'Verify commands (run after each task, without a shell):',
      '  python3 -c "import os"  (2.1)',
      'Run without asking:',
      '  claude-code: cargo test …; file edits (default)',
      "  openai-codex: any command inside Codex's workspace-write sandbox (no network, writes only in the folder)",
      '  anthropic: pytest, without a shell or secrets in the environment',
    ]);
  });

  it('says so when nothing may run unasked, and shortens long lists', () => {
    const many = planSchema.parse({
      version: 1,
      name: 'm',
      tasks: Array.from({ length: 15 }, (_, i) => ({ id: `${i + 1}`, title: `t${i}`, verify: [`check ${i % 14}`] })),
    });
    const lines = formatRunCommands(previewRunCommands(many, undefined, { chain: ['openai'], config: { agent: { allowed_commands: [] } } }));
    assert.equal(lines[1], '  check 0  (1, 15)');
    assert.equal(lines[13], '  … 2 more');
    assert.equal(lines.at(-1), '  openai: no command, without a shell or secrets in the environment');
  });
});
