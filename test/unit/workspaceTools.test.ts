/**
 * The agent loop's tools on a real folder: paths stay inside (also through symlinks), edits need an exact
 * unique snippet, commands run without a shell and only when the policy allows them.
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describeAllowlist, inlineCodeReason } from '../../src/core/agent/commandPolicy';
import { ToolRefusal, WorkspaceTools } from '../../src/core/agent/workspaceTools';
import { DEFAULT_ALLOWED_COMMANDS } from '../../src/core/providers/factory';
import type { ProviderEvent } from '../../src/core/providers/provider';
import { useTempDirs, withEnv } from '../support/processes';

describe("workspace tools (the API providers' agent loop)", () => {
  const dirs = useTempDirs('ws', 'outside');

  function tools(options: Partial<ConstructorParameters<typeof WorkspaceTools>[1]> = {}) {
    const events: ProviderEvent[] = [];
    const made = new WorkspaceTools(dirs.ws, { commands: { allow: ['node'] }, onEvent: (e) => events.push(e), ...options });
    return { tools: made, events };
  }
  const exists = (file: string) =>
    stat(file).then(
      () => true,
      () => false,
    );

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
    const { tools: t, events } = tools({
      commands: { allow: ['node'], ask: async (command) => (asked.push(command), command.includes('ls') ? 'allow-session' : 'deny') },
    });
    await writeFile(path.join(dirs.ws, 'answer.js'), 'process.stdout.write(String(6*7)); process.exit(3);\n');
    assert.equal(await t.runCommand('node answer.js'), 'exit 3\n42');
    // A task text with shell metacharacters is never a shell command.
    await assert.rejects(t.runCommand('node -e 1; touch pwned'), /";" needs a shell/);
    await assert.rejects(t.runCommand('echo $(touch pwned)'), /"\(" needs a shell/);
    await assert.rejects(t.runCommand('touch pwned'), /not allowed/);
    assert.equal(await exists(path.join(dirs.ws, 'pwned')), false);
    assert.match(await t.runCommand('ls'), /^exit 0/);
    assert.match(await t.runCommand('ls -a'), /^exit 0/);
    assert.deepEqual(asked, ['touch pwned', 'ls'], '"allow for this session" is not asked again');
    assert.deepEqual(
      events.filter((e) => e.type === 'permission_denied').map((e) => e.type === 'permission_denied' && e.summary),
      ['touch pwned'],
    );
    const { tools: strict } = tools({ commands: { allow: [] } });
    await assert.rejects(strict.runCommand('node answer.js'), /not allowed/);
  });
  it("refuses writes and edits to .git, ACA's files and editor and agent settings, at any depth and case, also through a symlink", async () => {
    const { tools: t, events } = tools();
    await mkdir(path.join(dirs.ws, '.git'), { recursive: true });
    await writeFile(path.join(dirs.ws, '.git', 'config'), '[core]\n');
    await symlink(path.join(dirs.ws, '.git'), path.join(dirs.ws, 'innocent'));
    await symlink(path.join(dirs.ws, 'aca.toml'), path.join(dirs.ws, 'settings.toml'));
    const refused = [
      '.git/config',
      '.GIT/config',
      '.git./config',
      'sub/.git',
      'lib/vendor/.git/hooks/pre-commit',
      'innocent/config',
      'aca.toml',
      'ACA.TOML',
      'sub/aca.toml',
      'settings.toml',
      '.aca/sessions/s1/session.json',
      'tasks.aca-plan.json',
      'docs/Plan.ACA-PLAN.json',
      '.vscode/settings.json',
      '.vscode/tasks.json',
      '.idea/workspace.xml',
      '.claude/settings.json',
      '.claude/settings.local.json',
      '.codex/config.toml',
      '.mcp.json',
    ];
    for (const file of refused) {
      await assert.rejects(
        t.writeFile(file, 'fsmonitor = "touch pwned"\n'),
        (error: Error) => error instanceof ToolRefusal && /may not be written/.test(error.message),
        file,
      );
    }
    await assert.rejects(t.editFile('.git/config', '[core]', '[core]\n\tfsmonitor = "touch pwned"'), /may not be written/);
    await assert.rejects(t.editFile('innocent/config', '[core]', '[core]\n\tfsmonitor = "touch pwned"'), /may not be written/);
    assert.equal(await readFile(path.join(dirs.ws, '.git', 'config'), 'utf8'), '[core]\n');
    for (const file of ['aca.toml', 'settings.toml', 'sub/.git', '.aca', '.vscode', '.claude', '.codex', '.mcp.json', 'tasks.aca-plan.json']) {
      assert.equal(await exists(path.join(dirs.ws, file)), false, file);
    }
    assert.deepEqual(events, [], 'a refusal goes back to the model (as for paths outside), it is not a permission the user could grant');
    // Names that only look alike are ordinary files.
    await t.writeFile('docs/git.md', 'x');
    await t.writeFile('aca.toml.example', 'x');
    await t.writeFile('src/.github/notes.md', 'x');
    assert.equal(await t.readFile('.git/config'), '[core]\n', 'reading stays allowed');
  });

  it("runs commands with an environment without keys, tokens, passwords or ACA's settings", async () => {
    const planted: Record<string, string> = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-plantedplantedplantedplanted',
      OPENAI_API_KEY: 'sk-plantedplantedplantedplantedplanted',
      MY_SERVICE_TOKEN: 'planted-token-value',
      DB_PASSWORD: 'planted-password-value',
      AWS_SECRET_ACCESS_KEY: 'planted-aws-secret-value',
      DATABASE_URL: 'postgres://user:planted-url-password@db.example/app',
      ACA_CLAUDE_PATH: '/planted/claude',
      npm_config__authToken: 'planted-npm-token',
      PLAIN_SETTING: 'kept-value',
    };
    await withEnv(planted, async () => {
      await writeFile(path.join(dirs.ws, 'env.js'), 'process.stdout.write(JSON.stringify(process.env));\n');
      const { tools: t } = tools();
      const output = await t.runCommand('node env.js');
      const env = JSON.parse(output.slice(output.indexOf('\n') + 1)) as Record<string, string>;
      assert.equal(env['PLAIN_SETTING'], 'kept-value');
      assert.equal(env['PATH'], process.env['PATH'], 'PATH stays');
      for (const [name, value] of Object.entries(planted).filter(([name]) => name !== 'PLAIN_SETTING')) {
        assert.equal(env[name], undefined, name);
        assert.ok(!output.includes(value), `${name}'s value is nowhere`);
      }
    });
  });

  it('asks about inline code even when its program is on the allowlist', async () => {
    const { tools: t, events } = tools({ commands: { allow: ['node', 'python3', 'npx', 'npm'] } });
    for (const command of [
      'node -e "process.exit(0)"',
      'node -pe 1',
      'node --eval=1',
      'node --require ./x.js -e 1',
      'python3 -c "print(1)"',
      'python3 -Bc "print(1)"',
      'npx cowsay hi',
      'npx -p left-pad node x.js',
      'npm exec -- cowsay hi',
      'npx -c "touch pwned"',
    ]) {
      await assert.rejects(
        t.runCommand(command),
        (error: Error) => error instanceof ToolRefusal && /runs code given on the command line|would fetch and run|runs a shell command/.test(error.message),
        command,
      );
    }
    assert.equal(await exists(path.join(dirs.ws, 'pwned')), false);
    assert.ok(events.some((e) => e.type === 'decision' && !e.allowed && /always asked about/.test(e.why)));
    const asked: Array<[string, string | undefined]> = [];
    const { tools: asking } = tools({ commands: { allow: ['node'], ask: async (command, reason) => (asked.push([command, reason]), 'allow-session') } });
    assert.equal(await asking.runCommand('node -e "process.stdout.write(String(6*7))"'), 'exit 0\n42');
    assert.equal(await asking.runCommand('node -p 42'), 'exit 0\n42');
    assert.deepEqual(
      asked,
      [['node -e "process.stdout.write(String(6*7))"', 'node -e runs code given on the command line']],
      '"for this session" covers the program\'s inline code',
    );
    // Not inline: a script and its own arguments, a module, the workspace's own packages and scripts.
    await writeFile(path.join(dirs.ws, 'package.json'), JSON.stringify({ devDependencies: { typescript: '5' } }));
    await mkdir(path.join(dirs.ws, 'node_modules', '.bin'), { recursive: true });
    await writeFile(path.join(dirs.ws, 'node_modules', '.bin', 'tsc'), '');
    for (const argv of [
      ['node', 'script.js', '-e', '1'],
      ['python3', '-m', 'pytest', '-c', 'pytest.ini'],
      ['npx', 'tsc', '--noEmit'],
      ['npx', 'typescript@5'],
      ['npm', 'test'],
      ['npm', 'run', 'build'],
      ['python3', 'setup.py'],
    ]) {
      assert.equal(await inlineCodeReason(argv, dirs.ws), undefined, argv.join(' '));
    }
    assert.match((await inlineCodeReason(['npx', '../evil'], dirs.ws)) ?? '', /would fetch/);
    assert.match((await inlineCodeReason(['bash', '-lc', 'id'], dirs.ws)) ?? '', /runs code/);
    assert.match((await inlineCodeReason(['deno', 'eval', '1'], dirs.ws)) ?? '', /runs code/);
  });

  it('refuses paths outside the folder for the file-reading programs on the allowlist', async () => {
    await writeFile(path.join(dirs.outside, 'secret.txt'), 'outside secret\n');
    await symlink(path.join(dirs.outside, 'secret.txt'), path.join(dirs.ws, 'link.txt'));
    await writeFile(path.join(dirs.ws, 'notes.txt'), 'inside\n');
    const { tools: t, events } = tools({ commands: { allow: ['cat', 'ls', 'head'] } });
    const denials = (): number => events.filter((e) => e.type === 'decision' && !e.allowed).length;
    const outsideRel = path.relative(dirs.ws, path.join(dirs.outside, 'secret.txt'));
    for (const command of [
      'cat /etc/hostname',
      `cat ${outsideRel}`,
      'cat link.txt',
      'cat notes.txt /etc/passwd',
      'ls /',
      'ls ..',
      `head -c10 ${path.join(dirs.outside, 'secret.txt')}`,
      `head --lines=1 -- ${outsideRel}`,
    ]) {
      await assert.rejects(t.runCommand(command), (error: Error) => error instanceof ToolRefusal && /was refused/.test(error.message), command);
    }
    assert.ok(!JSON.stringify(events).includes('outside secret'));
    assert.equal(denials(), 8, 'each refusal is a decision in the transcript');
    assert.equal(await t.runCommand('cat notes.txt'), 'exit 0\ninside');
    assert.match(await t.runCommand('ls -a .'), /notes\.txt/);
  });

  it('describes what the allowlist lets through without asking', () => {
    const lines = describeAllowlist(DEFAULT_ALLOWED_COMMANDS);
    assert.equal(lines.length, DEFAULT_ALLOWED_COMMANDS.length);
    assert.ok(lines.includes('make'));
    assert.match(
      lines.find((l) => l.startsWith('node'))!,
      /inline code \(node -e, node --eval, node -p, node --print\) is asked about/,
    );
    assert.match(
      lines.find((l) => l.startsWith('npx'))!,
      /packages the workspace does not have are asked about/,
    );
    assert.match(
      lines.find((l) => l.startsWith('cat'))!,
      /only paths inside the task's folder/,
    );
    assert.match(describeAllowlist(['*'])[0]!, /every program .*still asked about/);
  });
});
