import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, lstat, mkdir, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { useTempDirs } from '../support/processes';

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'u', GIT_AUTHOR_EMAIL: 'u@x', GIT_COMMITTER_NAME: 'u', GIT_COMMITTER_EMAIL: 'u@x' },
  });
}

/** Everything of the user's git state that a checkpoint must never change. */
async function userGitState(repo: string): Promise<Record<string, string>> {
  return {
    head: await readFile(path.join(repo, '.git', 'HEAD'), 'utf8'),
    headCommit: git(repo, 'rev-parse', 'HEAD'),
    branches: git(repo, 'for-each-ref', 'refs/heads', 'refs/tags', 'refs/stash'),
    index: createHash('sha256')
      .update(await readFile(path.join(repo, '.git', 'index')))
      .digest('hex'),
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
  const dirs = useTempDirs('repo', 'plain', 'outside');

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
    assert.deepEqual(
      restored.map((c) => c.path),
      ['top.txt'],
    );
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

  it('opens one shadow repository from several places at once (both sides of a Show Changes diff)', async () => {
    const ws = dirs.plain;
    await writeFile(path.join(ws, 'a.txt'), 'a\n');
    const sessionDir = path.join(ws, '.aca', 'sessions', 's3');
    const first = await FileCheckpoints.open(ws, { sessionDir, sessionId: 's3', exclude: ['.aca'] });
    const { commit } = await first.create('c1', 'start');
    // Two `git init`s of one repository at once fail on its config lock, most of the time.
    for (let round = 0; round < 10; round++) {
      const both = await Promise.all(
        [0, 1, 2, 3].map(async () => (await FileCheckpoints.open(ws, { sessionDir, sessionId: 's3', exclude: ['.aca'] })).fileAt(commit, 'a.txt')),
      );
      assert.deepEqual(both, ['a\n', 'a\n', 'a\n', 'a\n']);
    }
  });

  it('runs nothing the repository configures: fsmonitor, hooks, filter drivers, commit signing', async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(repo, 'a.txt'), 'a\n');
    await writeFile(path.join(repo, 'p.dat'), 'p\n');
    await writeFile(path.join(repo, '.gitattributes'), '* filter=evil diff=evil\n*.dat filter=long.running diff=evil\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'initial');
    // What a downloaded repository, or an agent that wrote .git/, can set up: every one leaves a marker if run.
    const marker = (name: string) => path.join(dirs.outside, `MARKER-${name}`);
    const script = async (name: string): Promise<string> => {
      const file = path.join(dirs.outside, `${name}.sh`);
      await writeFile(file, `#!/bin/sh\ntouch '${marker(name)}'\ncat\n`);
      await chmod(file, 0o755);
      return file;
    };
    git(repo, 'config', 'core.fsmonitor', await script('fsmonitor'));
    git(repo, 'config', 'filter.evil.clean', await script('clean'));
    git(repo, 'config', 'filter.evil.smudge', await script('smudge'));
    git(repo, 'config', 'filter.evil.required', 'true');
    git(repo, 'config', 'filter.long.running.process', await script('process'));
    git(repo, 'config', 'filter.long.running.required', 'true');
    git(repo, 'config', 'diff.evil.textconv', await script('textconv'));
    git(repo, 'config', 'diff.external', await script('external'));
    git(repo, 'config', 'commit.gpgSign', 'true');
    git(repo, 'config', 'gpg.program', await script('gpg'));
    for (const hook of ['reference-transaction', 'post-checkout', 'post-index-change', 'pre-auto-gc']) {
      const file = path.join(repo, '.git', 'hooks', hook);
      await writeFile(file, `#!/bin/sh\ntouch '${marker(hook)}'\n`);
      await chmod(file, 0o755);
    }

    const checkpoints = await FileCheckpoints.open(repo, { sessionDir: path.join(repo, '.aca', 'sessions', 's4'), sessionId: 's4', exclude: ['.aca'] });
    const checkpoint = await checkpoints.create('c1', 'before');
    await writeFile(path.join(repo, 'a.txt'), 'changed\n');
    await writeFile(path.join(repo, 'b.txt'), 'new\n');
    await writeFile(path.join(repo, 'p.dat'), 'changed\n');
    const after = await checkpoints.create('c2', 'after');
    await checkpoints.changesBetween(checkpoint.commit, after.commit);
    assert.equal(await checkpoints.fileAt(checkpoint.commit, 'a.txt'), 'a\n');
    await checkpoints.preview(checkpoint.commit);
    await checkpoints.restore(checkpoint.commit);
    await checkpoints.drop('c2');
    assert.deepEqual(
      (await readdir(dirs.outside)).filter((f) => f.startsWith('MARKER')),
      [],
      'no program of the repository ran',
    );
    assert.equal(await readFile(path.join(repo, 'a.txt'), 'utf8'), 'a\n');
    assert.equal(await readFile(path.join(repo, 'p.dat'), 'utf8'), 'p\n');
  });

  it('never deletes what the checkpoint did not cover: an ignored file a task un-ignored, a large file a task shrank', async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await writeFile(path.join(repo, '.gitignore'), '.env\ncache/\n');
    await writeFile(path.join(repo, 'app.py'), 'v1\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'initial');
    await writeFile(path.join(repo, '.env'), 'SECRET=1\n');
    await mkdir(path.join(repo, 'cache'));
    await writeFile(path.join(repo, 'cache', 'big.db'), 'rows\n');
    await writeFile(path.join(repo, 'huge.bin'), Buffer.alloc(4096));
    const checkpoints = await FileCheckpoints.open(repo, {
      sessionDir: path.join(repo, '.aca', 'sessions', 's5'),
      sessionId: 's5',
      exclude: ['.aca'],
      maxFileBytes: 1024,
    });
    const checkpoint = await checkpoints.create('c1', 'before');
    assert.deepEqual(checkpoint.skipped, ['huge.bin']);

    // The task un-ignores .env and cache/, shrinks huge.bin under the limit, edits app.py and creates a file.
    await writeFile(path.join(repo, '.gitignore'), '');
    await writeFile(path.join(repo, 'huge.bin'), 'small now\n');
    await writeFile(path.join(repo, 'app.py'), 'v2\n');
    await writeFile(path.join(repo, 'made.txt'), 'by the task\n');

    const restored = await checkpoints.restore(checkpoint.commit);
    assert.equal(await readFile(path.join(repo, '.env'), 'utf8'), 'SECRET=1\n', '.env was never saved: it stays');
    assert.equal(await readFile(path.join(repo, 'cache', 'big.db'), 'utf8'), 'rows\n');
    assert.equal(await readFile(path.join(repo, 'huge.bin'), 'utf8'), 'small now\n', 'the large file was never saved: it stays');
    assert.equal(await readFile(path.join(repo, 'app.py'), 'utf8'), 'v1\n');
    assert.equal(await readFile(path.join(repo, '.gitignore'), 'utf8'), '.env\ncache/\n');
    await assert.rejects(lstat(path.join(repo, 'made.txt')), 'what the task created is deleted');
    assert.deepEqual(restored.map((c) => `${c.kind} ${c.path}`).sort(), ['delete made.txt', 'modify .gitignore', 'modify app.py']);
  });

  it('restores a folder a task replaced by a symlink, without writing through the link', async () => {
    const repo = dirs.repo;
    git(repo, 'init', '--quiet', '-b', 'main');
    await mkdir(path.join(repo, 'src'));
    await writeFile(path.join(repo, 'src', 'a.txt'), 'a\n');
    await writeFile(path.join(repo, 'src', 'b.txt'), 'b\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '--quiet', '-m', 'initial');
    const checkpoints = await FileCheckpoints.open(repo, { sessionDir: path.join(repo, '.aca', 'sessions', 's6'), sessionId: 's6', exclude: ['.aca'] });
    const checkpoint = await checkpoints.create('c1', 'before');
    await writeFile(path.join(dirs.outside, 'a.txt'), 'outside\n');
    await rm(path.join(repo, 'src'), { recursive: true });
    await symlink(dirs.outside, path.join(repo, 'src'));

    await checkpoints.restore(checkpoint.commit);
    assert.equal((await lstat(path.join(repo, 'src'))).isDirectory(), true, 'src is a folder again');
    assert.equal(await readFile(path.join(repo, 'src', 'a.txt'), 'utf8'), 'a\n');
    assert.equal(await readFile(path.join(repo, 'src', 'b.txt'), 'utf8'), 'b\n');
    assert.deepEqual(await readdir(dirs.outside), ['a.txt'], 'nothing was written through the link');
    assert.equal(await readFile(path.join(dirs.outside, 'a.txt'), 'utf8'), 'outside\n');
  });

  for (const ignored of ['.aca', '.aca/', '.aca/sessions/']) {
    it(`snapshots a repository whose .gitignore lists ${ignored}`, async () => {
      const repo = dirs.repo;
      git(repo, 'init', '--quiet', '-b', 'main');
      await writeFile(path.join(repo, '.gitignore'), `${ignored}\n`);
      await writeFile(path.join(repo, 'a.txt'), 'a\n');
      // As `aca run` opens them: the sessions folder is left out by name.
      const checkpoints = await FileCheckpoints.open(repo, {
        sessionDir: path.join(repo, '.aca', 'sessions', 's7'),
        sessionId: 's7',
        exclude: ['.aca/sessions'],
      });
      const checkpoint = await checkpoints.create('c1', 'before');
      await writeFile(path.join(repo, 'a.txt'), 'changed\n');
      assert.deepEqual(await checkpoints.restore(checkpoint.commit), [{ path: 'a.txt', kind: 'modify' }]);
      assert.equal(await readFile(path.join(repo, 'a.txt'), 'utf8'), 'a\n');
    });
  }
});
