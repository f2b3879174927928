import assert from 'node:assert/strict';
import path from 'node:path';
import { runGit } from '../../src/core/workspace/git';
import { useTempDirs } from '../support/processes';

describe('runGit (git through node:child_process)', function () {
  this.timeout(30_000);
  const dirs = useTempDirs('repo');
  const bare = (): string => path.join(dirs.repo, 'r.git');

  beforeEach(async () => {
    await runGit(['init', '--quiet', '--bare', '--template=', bare()], { cwd: dirs.repo });
  });

  it('passes stdin input and the given environment; strips one final newline unless asked not to', async () => {
    const options = { cwd: dirs.repo, env: { GIT_DIR: bare() }, input: 'héllo\n\n' };
    const id = await runGit(['hash-object', '-w', '--stdin'], options);
    assert.match(id.stdout, /^[0-9a-f]{40}$/);
    assert.equal(id.exitCode, 0);
    const kept = await runGit(['cat-file', 'blob', id.stdout], { cwd: dirs.repo, env: { GIT_DIR: bare() }, stripFinalNewline: false });
    assert.equal(kept.stdout, 'héllo\n\n');
    assert.equal((await runGit(['cat-file', 'blob', id.stdout], { cwd: dirs.repo, env: { GIT_DIR: bare() } })).stdout, 'héllo\n');
  });

  it('a non-zero exit throws a message naming the command and its stderr; with reject: false it is returned', async () => {
    const missing = ['cat-file', 'blob', 'HEAD:nope.txt'];
    await assert.rejects(
      runGit(missing, { cwd: dirs.repo, env: { GIT_DIR: bare() } }),
      /^Error: Command failed with exit code 128: git cat-file blob HEAD:nope\.txt\n.+/,
    );
    const returned = await runGit(missing, { cwd: dirs.repo, env: { GIT_DIR: bare() }, reject: false });
    assert.equal(returned.exitCode, 128);
    assert.equal(returned.stdout, '');
    assert.notEqual(returned.stderr, '');
  });

  it('output over maxBuffer is a failure, not a truncated success', async () => {
    const options = { cwd: dirs.repo, env: { GIT_DIR: bare() } };
    const id = (await runGit(['hash-object', '-w', '--stdin'], { ...options, input: 'x'.repeat(4096) })).stdout;
    const over = await runGit(['cat-file', 'blob', id], { ...options, reject: false, maxBuffer: 1024 });
    assert.notEqual(over.exitCode, 0);
    await assert.rejects(runGit(['cat-file', 'blob', id], { ...options, maxBuffer: 1024 }), /Command failed .*git cat-file blob/);
  });
});
