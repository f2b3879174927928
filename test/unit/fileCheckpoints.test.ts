import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { useTempDirs } from '../support/processes';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 'u', GIT_AUTHOR_EMAIL: 'u@x', GIT_COMMITTER_NAME: 'u', GIT_COMMITTER_EMAIL: 'u@x' } });
}

/** Everything of the user's git state that a checkpoint must never change. */
async function userGitState(repo: string): Promise<Record<string, string>> {
  return {
    head: await readFile(path.join(repo, '.git', 'HEAD'), 'utf8'),
    headCommit: git(repo, 'rev-parse', 'HEAD'),
    branches: git(repo, 'for-each-ref', 'refs/heads', 'refs/tags', 'refs/stash'),
    index: createHash('sha256').update(await readFile(path.join(repo, '.git', 'index'))).digest('hex'),
    status: git(repo, 'status', '--porcelain=v1', '--untracked-files=all'),
  };
}

async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isFile() && !full.includes(`${path.sep}.git${path.sep}`) && !full.includes(`${path.sep}.aca${path.sep}`)) {
      out[path.relative(dir, full)] = await readFile(full, 'utf8');
    }
  }
  return out;
}

describe('file checkpoints', function () {
  this.timeout(30_000);
  const dirs = useTempDirs('repo', 'plain');

  it('restores a git workspace after a shell command changed and deleted files; index, HEAD and branches stay byte-identical', async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(repo, '.gitignore'), 'ignored.log\n');
    await writeFile(path.join(repo, 'app.py'), 'print("v1")\n');
    await writeFile(path.join(repo, 'keep.txt'), 'keep\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'initial');
    git(repo, 'branch', 'feature');
    // The user's own work in progress: a staged change, an unstaged one, an untracked file, an ignored one.
    await writeFile(path.join(repo, 'app.py'), 'print("v2 staged")\n');
    git(repo, 'add', 'app.py');
    await writeFile(path.join(repo, 'keep.txt'), 'keep, edited\n');
    await writeFile(path.join(repo, 'notes.md'), 'untracked notes\n');
    await writeFile(path.join(repo, 'ignored.log'), 'log\n');
    const before = await userGitState(repo);
    const filesBefore = await tree(repo);

    const checkpoints = await FileCheckpoints.open(repo, { sessionDir: path.join(repo, '.aca', 'sessions', 's1'), sessionId: 's1', exclude: ['.aca'] });
    assert.equal(checkpoints.mode, 'repository');
    const checkpoint = await checkpoints.create('c1', 'before task 1');
    assert.equal(git(repo, 'rev-parse', checkpoint.ref).trim(), checkpoint.commit);

    // What an agent's shell command does: edit, delete (tracked and untracked), create.
    execFileSync('/bin/sh', ['-c', 'echo broken > app.py && rm keep.txt notes.md && mkdir -p gen && echo new > gen/out.txt'], { cwd: repo });

    const preview = await checkpoints.preview(checkpoint.commit);
    assert.deepEqual(
      [...preview].sort((a, b) => a.path.localeCompare(b.path)),
      [
        { path: 'app.py', kind: 'modify' },
        { path: 'gen/out.txt', kind: 'delete' },
        { path: 'keep.txt', kind: 'create' },
        { path: 'notes.md', kind: 'create' },
      ],
    );
    assert.equal(await readFile(path.join(repo, 'app.py'), 'utf8'), 'broken\n', 'preview changes nothing');

    await checkpoints.restore(checkpoint.commit);
    assert.deepEqual(await tree(repo), filesBefore);
    assert.deepEqual(await userGitState(repo), before);
  });

  it('leaves a nested repository intact', async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(repo, 'top.txt'), 'top\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'top');
    const nested = path.join(repo, 'vendor', 'lib');
    await mkdir(nested, { recursive: true });
    git(nested, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(nested, 'lib.txt'), 'lib v1\n');
    git(nested, 'add', '.');
    git(nested, 'commit', '--quiet', '-m', 'lib');
    const nestedHead = git(nested, 'rev-parse', 'HEAD');
    const checkpoints = await FileCheckpoints.open(repo, { sessionDir: path.join(repo, '.aca', 'sessions', 's3'), sessionId: 's3', exclude: ['.aca'] });
    const checkpoint = await checkpoints.create('c1', 'with a nested repository');
    await writeFile(path.join(repo, 'top.txt'), 'changed\n');
    await writeFile(path.join(nested, 'lib.txt'), 'lib edited by the user\n');
    const restored = await checkpoints.restore(checkpoint.commit);
    assert.deepEqual(restored.map((c) => c.path), ['top.txt']);
    assert.equal(await readFile(path.join(repo, 'top.txt'), 'utf8'), 'top\n');
    assert.equal(await readFile(path.join(nested, 'lib.txt'), 'utf8'), 'lib edited by the user\n', 'the nested repository is its own: not restored');
    assert.equal(git(nested, 'rev-parse', 'HEAD'), nestedHead);
  });

  it('uses a shadow repository in the session folder when the workspace is not a git repository', async () => {
    const ws = dirs.plain;
    await mkdir(path.join(ws, 'src'));
    await writeFile(path.join(ws, 'src', 'a.txt'), 'a\n');
    await writeFile(path.join(ws, 'big.bin'), Buffer.alloc(2048));
    const sessionDir = path.join(ws, '.aca', 'sessions', 's2');
    const checkpoints = await FileCheckpoints.open(ws, { sessionDir, sessionId: 's2', exclude: ['.aca'], maxFileBytes: 1024 });
    assert.equal(checkpoints.mode, 'shadow');
    const checkpoint = await checkpoints.create('c1', 'start');
    assert.deepEqual(checkpoint.skipped, ['big.bin'], 'files over the limit are left out');
    await writeFile(path.join(ws, 'src', 'a.txt'), 'changed\n');
    await writeFile(path.join(ws, 'src', 'b.txt'), 'new\n');
    const restored = await checkpoints.restore(checkpoint.commit);
    assert.deepEqual(restored.map((c) => `${c.kind} ${c.path}`).sort(), ['delete src/b.txt', 'modify src/a.txt']);
    assert.equal(await readFile(path.join(ws, 'src', 'a.txt'), 'utf8'), 'a\n');
    assert.equal((await readdir(ws)).includes('.git'), false, 'no repository appears in the workspace');
  });
});
