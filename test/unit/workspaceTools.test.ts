/**
 * The agent loop's tools on a real folder: paths stay inside (also through symlinks), edits need an exact
 * unique snippet, commands run without a shell and only when the policy allows them.
 */
import assert from 'node:assert/strict';
import { readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ToolRefusal, WorkspaceTools } from '../../src/core/agent/workspaceTools';
import type { ProviderEvent } from '../../src/core/providers/provider';
import { useTempDirs } from '../support/processes';

describe('workspace tools (the API providers\' agent loop)', () => {
  const dirs = useTempDirs('ws', 'outside');

  function tools(options: Partial<ConstructorParameters<typeof WorkspaceTools>[1]> = {}) {
    const events: ProviderEvent[] = [];
    const made = new WorkspaceTools(dirs.ws, { commands: { allow: ['node'] }, onEvent: (e) => events.push(e), ...options });
    return { tools: made, events };
  }
  const exists = (file: string) => stat(file).then(() => true, () => false);

  it('refuses ../, absolute paths elsewhere and symlinks that lead out; nothing is written outside', async () => {
    const { tools: t } = tools();
    await symlink(dirs.outside, path.join(dirs.ws, 'escape'));
    await writeFile(path.join(dirs.outside, 'secret.txt'), 'outside\n');
    await symlink(path.join(dirs.outside, 'secret.txt'), path.join(dirs.ws, 'link.txt'));
    await symlink(path.join(dirs.outside, 'not-yet.txt'), path.join(dirs.ws, 'dangling.txt'));
    for (const [file, why] of [
      ['../outside.txt', /outside the task's folder/],
      ['/etc/passwd', /outside the task's folder/],
      ['escape/new.txt', /through a symbolic link/],
      ['link.txt', /through a symbolic link/],
      ['dangling.txt', /through a symbolic link/],
    ] as const) {
      await assert.rejects(t.writeFile(file, 'x'), (error: Error) => error instanceof ToolRefusal && why.test(error.message), file);
    }
    await assert.rejects(t.readFile('escape/secret.txt'), /through a symbolic link/);
    assert.equal(await exists(path.join(dirs.ws, '..', 'outside.txt')), false);
    assert.equal(await exists(path.join(dirs.outside, 'new.txt')), false);
    assert.equal(await exists(path.join(dirs.outside, 'not-yet.txt')), false, 'nothing written through the dangling link');
    assert.equal(await readFile(path.join(dirs.outside, 'secret.txt'), 'utf8'), 'outside\n');
  });

  it('writes, reads, lists, searches and edits inside, reporting file changes', async () => {
    const { tools: t, events } = tools();
    assert.equal(await t.writeFile('src/a.ts', 'const a = 1;\nconst b = 1;\n'), 'created src/a.ts (26 characters)');
    assert.equal(await t.readFile('src/a.ts'), 'const a = 1;\nconst b = 1;\n');
    assert.equal(await t.listDirectory('.'), 'src/');
    assert.equal(await t.searchText('const b'), 'src/a.ts:2: const b = 1;');
    await assert.rejects(t.editFile('src/a.ts', '= 1;', '= 2;'), /occurs more than once/);
    await assert.rejects(t.editFile('src/a.ts', 'const c', 'x'), /is not in src\/a.ts/);
    assert.equal(await t.editFile('src/a.ts', 'const b = 1;', 'const b = 2;'), 'edited src/a.ts');
    assert.equal(await readFile(path.join(dirs.ws, 'src/a.ts'), 'utf8'), 'const a = 1;\nconst b = 2;\n');
    assert.deepEqual(events, [
      { type: 'file_change', path: path.join('src', 'a.ts'), kind: 'add' },
      { type: 'file_change', path: path.join('src', 'a.ts'), kind: 'update' },
    ]);
  });

  it('runs allowed commands without a shell; others are asked, or denied; shell operators are refused', async () => {
    const asked: string[] = [];
    const { tools: t, events } = tools({ commands: { allow: ['node'], ask: async (command) => (asked.push(command), command.includes('ls') ? 'allow-session' : 'deny') } });
    assert.equal(await t.runCommand('node -e "process.stdout.write(String(6*7)); process.exit(3)"'), 'exit 3\n42');
    // A task text with shell metacharacters is never a shell command.
    await assert.rejects(t.runCommand('node -e 1; touch pwned'), /";" needs a shell/);
    await assert.rejects(t.runCommand('echo $(touch pwned)'), /"\(" needs a shell/);
    await assert.rejects(t.runCommand('touch pwned'), /not allowed/);
    assert.equal(await exists(path.join(dirs.ws, 'pwned')), false);
    assert.match(await t.runCommand('ls'), /^exit 0/);
    assert.match(await t.runCommand('ls -a'), /^exit 0/);
    assert.deepEqual(asked, ['touch pwned', 'ls'], '"allow for this session" is not asked again');
    assert.deepEqual(events.filter((e) => e.type === 'permission_denied').map((e) => e.type === 'permission_denied' && e.summary), ['touch pwned']);
    const { tools: strict } = tools({ commands: { allow: [] } });
    await assert.rejects(strict.runCommand('node -e 1'), /not allowed/);
  });
});
