/**
 * File checkpoints against a real agent: the real Codex CLI, driven by the scripted model server, runs
 * shell commands that change and delete files in a git workspace; the checkpoint puts them back, and the
 * user's index, HEAD and branches are byte-identical.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { ModelServer } from '../support/modelServer';
import { isolatedEnv, repoBin, runProgram, useTempDirs } from '../support/processes';
import { scriptedCodexConfig } from '../support/codexConfig';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'u', GIT_AUTHOR_EMAIL: 'u@x', GIT_COMMITTER_NAME: 'u', GIT_COMMITTER_EMAIL: 'u@x' },
  });
}

async function userGitState(repo: string): Promise<string[]> {
  return [
    await readFile(path.join(repo, '.git', 'HEAD'), 'utf8'),
    git(repo, 'for-each-ref', 'refs/heads', 'refs/tags', 'refs/stash'),
    createHash('sha256')
      .update(await readFile(path.join(repo, '.git', 'index')))
      .digest('hex'),
  ];
}

describe("file checkpoints undo a real agent's shell commands", function () {
  this.timeout(90_000);
  const dirs = useTempDirs('codexHome', 'repo');
  let server: ModelServer;
  afterEach(async () => server?.close());

  it("restores files Codex changed and deleted with exec_command; the user's git state is untouched", async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(repo, 'app.py'), 'print("v1")\n');
    await writeFile(path.join(repo, 'keep.txt'), 'keep\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'initial');
    await writeFile(path.join(repo, 'draft.md'), 'untracked draft\n');
    await writeFile(path.join(repo, 'app.py'), 'print("v2, staged")\n');
    git(repo, 'add', 'app.py');
    const before = await userGitState(repo);

    const checkpoints = await FileCheckpoints.open(repo, { sessionDir: path.join(repo, '.aca', 'sessions', 's'), sessionId: 's', exclude: ['.aca'] });
    const checkpoint = await checkpoints.create('before-task', 'before task 1');

    server = await ModelServer.start({
      turns: [
        {
          type: 'tool',
          name: 'exec_command',
          input: { cmd: 'echo broken > app.py && rm keep.txt draft.md && mkdir -p out && echo generated > out/result.txt' },
        },
        { type: 'text', text: 'Done' },
      ],
    });
    await writeFile(path.join(dirs.codexHome, 'config.toml'), scriptedCodexConfig(server.baseUrl, { model: 'gpt-5.5' }));
    const result = await runProgram(repoBin('codex'), ['exec', '--json', '--sandbox', 'workspace-write', 'Rewrite the app'], {
      cwd: repo,
      timeoutMs: 60_000,
      env: isolatedEnv({ HOME: dirs.codexHome, CODEX_HOME: dirs.codexHome, SCRIPTED_OPENAI_KEY: 'sk-test-not-a-real-key' }),
    });
    assert.equal(result.exitCode, 0, `${result.stderr.slice(-1500)}\n${result.stdout.slice(-1500)}`);
    assert.equal(await readFile(path.join(repo, 'app.py'), 'utf8'), 'broken\n', 'the agent really ran the command');

    const changes = await checkpoints.restore(checkpoint.commit);
    assert.deepEqual(changes.map((c) => `${c.kind} ${c.path}`).sort(), ['create draft.md', 'create keep.txt', 'delete out/result.txt', 'modify app.py']);
    assert.equal(await readFile(path.join(repo, 'app.py'), 'utf8'), 'print("v2, staged")\n');
    assert.equal(await readFile(path.join(repo, 'draft.md'), 'utf8'), 'untracked draft\n');
    assert.deepEqual(await userGitState(repo), before);
  });
});
