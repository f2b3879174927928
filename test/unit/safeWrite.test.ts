import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UnsafeWriteError, writeFileSafely } from '../../src/core/common/safeWrite';
import { writeBackCheckbox } from '../../src/core/engine/writeBack';
import { FileAnalysisCache } from '../../src/core/plan/analyze';
import { planSchema } from '../../src/core/model/plan';
import { SessionWriter, writeFileAtomic } from '../../src/core/session/sessionStore';
import { TRANSCRIPT_FILE, TranscriptWriter } from '../../src/core/session/transcripts';
import { FileCheckpoints } from '../../src/core/workspace/fileCheckpoints';
import { useTempDirs } from '../support/processes';

const refused =
  (problem: UnsafeWriteError['problem'], file: string) =>
  (error: unknown): boolean => {
    assert.ok(UnsafeWriteError.is(error), `expected an UnsafeWriteError, got ${String(error)}`);
    assert.equal(error.problem, problem);
    assert.ok(error.message.includes(file), `the message names ${file}: ${error.message}`);
    return true;
  };

describe('writing ACA files safely (never through a symlink)', () => {
  const dirs = useTempDirs('ws', 'outside');

  it('refuses to write through a symlink, and the file it points to is unchanged', async () => {
    const victim = path.join(dirs.outside, 'bashrc');
    await writeFile(victim, 'original\n');
    const link = path.join(dirs.ws, 'tasks.aca-plan.json');
    await symlink(victim, link);
    await assert.rejects(writeFileSafely(link, '{"title": "$(id)"}\n', { root: dirs.ws }), refused('symlink', link));
    assert.equal(await readFile(victim, 'utf8'), 'original\n');
    assert.ok((await lstat(link)).isSymbolicLink(), 'the symlink itself is left alone');
    // Without a root too: the symlink is the problem, wherever it points.
    await assert.rejects(writeFileSafely(link, 'x'), refused('symlink', link));
  });

  it('refuses a symlink that points inside the workspace as well, and a dangling one', async () => {
    await writeFile(path.join(dirs.ws, 'real.json'), '{}');
    await symlink(path.join(dirs.ws, 'real.json'), path.join(dirs.ws, 'inside.json'));
    await assert.rejects(writeFileSafely(path.join(dirs.ws, 'inside.json'), 'x', { root: dirs.ws }), refused('symlink', path.join(dirs.ws, 'inside.json')));
    await symlink(path.join(dirs.outside, 'new-file'), path.join(dirs.ws, 'dangling.json'));
    await assert.rejects(writeFileSafely(path.join(dirs.ws, 'dangling.json'), 'x', { root: dirs.ws }), refused('symlink', path.join(dirs.ws, 'dangling.json')));
    await assert.rejects(stat(path.join(dirs.outside, 'new-file')), { code: 'ENOENT' });
  });

  it('refuses a target that is not a regular file', async () => {
    await mkdir(path.join(dirs.ws, 'folder.json'));
    await assert.rejects(writeFileSafely(path.join(dirs.ws, 'folder.json'), 'x', { root: dirs.ws }), refused('not-a-file', path.join(dirs.ws, 'folder.json')));
  });

  it('refuses a file whose folder really is outside the workspace (a symlinked folder)', async () => {
    await symlink(dirs.outside, path.join(dirs.ws, 'sub'));
    const file = path.join(dirs.ws, 'sub', 'plan.json');
    await assert.rejects(writeFileSafely(file, 'x', { root: dirs.ws }), refused('outside', file));
    assert.deepEqual(await readdir(dirs.outside), []);
    await assert.rejects(
      writeFileSafely(path.join(dirs.ws, '..', 'escape.json'), 'x', { root: dirs.ws }),
      refused('outside', path.join(dirs.ws, '..', 'escape.json')),
    );
  });

  it('writes atomically, keeps the mode of the file it replaces, and leaves no temp file behind', async () => {
    const file = path.join(dirs.ws, 'plan.json');
    await writeFile(file, 'old');
    await chmod(file, 0o600);
    await writeFileSafely(file, 'new', { root: dirs.ws });
    assert.equal(await readFile(file, 'utf8'), 'new');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dirs.ws), ['plan.json']);
    await writeFileSafely(path.join(dirs.ws, 'fresh.json'), 'made');
    assert.equal(await readFile(path.join(dirs.ws, 'fresh.json'), 'utf8'), 'made');
  });

  it('with noReplace, fails (EEXIST) instead of replacing a file that is there; with mode, writes that mode', async () => {
    const file = path.join(dirs.ws, 'owner-id');
    await writeFileSafely(file, 'first\n', { mode: 0o600, noReplace: true });
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await assert.rejects(writeFileSafely(file, 'second\n', { mode: 0o600, noReplace: true }), { code: 'EEXIST' });
    assert.equal(await readFile(file, 'utf8'), 'first\n');
    assert.deepEqual(await readdir(dirs.ws), ['owner-id'], 'no temp file is left behind');
  });

  it("the session store's atomic write refuses a symlink planted in a session folder", async () => {
    const victim = path.join(dirs.outside, 'victim');
    await writeFile(victim, 'original');
    await symlink(victim, path.join(dirs.ws, 'session.json'));
    await assert.rejects(writeFileAtomic(path.join(dirs.ws, 'session.json'), 'header'), refused('symlink', path.join(dirs.ws, 'session.json')));
    assert.equal(await readFile(victim, 'utf8'), 'original');
  });

  it('refuses a workspace sessions folder (.aca/sessions) that is a symlink out of the workspace', async () => {
    await mkdir(path.join(dirs.ws, '.aca'));
    await symlink(dirs.outside, path.join(dirs.ws, '.aca', 'sessions'));
    const plan = planSchema.parse({ version: 1, name: 'p', tasks: [{ id: '1', title: 'one' }] });
    await assert.rejects(SessionWriter.create(path.join(dirs.ws, '.aca', 'sessions'), plan), refused('outside', path.join(dirs.ws, '.aca', 'sessions')));
    assert.deepEqual(await readdir(dirs.outside), []);
  });

  it("refuses to resume a session whose folder leads out of the workspace's .aca", async () => {
    const plan = planSchema.parse({ version: 1, name: 'p', tasks: [{ id: '1', title: 'one' }] });
    const writer = await SessionWriter.create(dirs.outside, plan);
    await writer.close();
    await mkdir(path.join(dirs.ws, '.aca', 'sessions'), { recursive: true });
    const linked = path.join(dirs.ws, '.aca', 'sessions', path.basename(writer.dir));
    await symlink(writer.dir, linked);
    await assert.rejects(SessionWriter.resume(linked), refused('outside', linked));
  });

  it("the file checkpoints' .gitignore is not written through a symlink in the session folder", async () => {
    const victim = path.join(dirs.outside, 'victim');
    await writeFile(victim, 'original');
    const sessionDir = path.join(dirs.ws, '.aca', 'sessions', 's1');
    await mkdir(sessionDir, { recursive: true });
    await symlink(victim, path.join(sessionDir, '.gitignore'));
    await assert.rejects(
      FileCheckpoints.open(dirs.ws, { sessionDir, sessionId: 's1', exclude: ['.aca'] }),
      refused('symlink', path.join(sessionDir, '.gitignore')),
    );
    assert.equal(await readFile(victim, 'utf8'), 'original');
  });

  it('the analysis cache does not write through a symlinked entry or folder', async () => {
    const victim = path.join(dirs.outside, 'victim');
    await writeFile(victim, 'original');
    const cacheDir = path.join(dirs.ws, '.aca', 'cache', 'analysis');
    await mkdir(cacheDir, { recursive: true });
    await symlink(victim, path.join(cacheDir, 'k.json'));
    await assert.rejects(new FileAnalysisCache(cacheDir, dirs.ws).set('k', { a: 1 }), refused('symlink', path.join(cacheDir, 'k.json')));
    assert.equal(await readFile(victim, 'utf8'), 'original');
    await symlink(dirs.outside, path.join(dirs.ws, '.aca', 'cache', 'other'));
    await assert.rejects(
      new FileAnalysisCache(path.join(dirs.ws, '.aca', 'cache', 'other'), dirs.ws).set('k', { a: 1 }),
      refused('outside', path.join(dirs.ws, '.aca', 'cache', 'other', 'k.json')),
    );
  });
});

describe('transcripts', () => {
  const dirs = useTempDirs('session', 'outside');

  it('are not appended through a transcripts.jsonl symlink that came with the session folder', async () => {
    const victim = path.join(dirs.outside, 'bashrc');
    await writeFile(victim, 'original\n');
    await symlink(victim, path.join(dirs.session, TRANSCRIPT_FILE));
    const writer = new TranscriptWriter(dirs.session);
    const entry = { taskId: '1', at: 0, attempt: 1, kind: 'text' as const, text: 'echo pwned' };
    writer.append(entry);
    assert.throws(() => writer.append(entry), { code: 'ELOOP' });
    await writer.close();
    assert.equal(await readFile(victim, 'utf8'), 'original\n');
  });
});

describe('write-back of the tasks file', () => {
  const dirs = useTempDirs('ws', 'outside');

  it('writes the real file of a symlinked tasks.md inside the workspace, keeping the link and mode 600', async () => {
    await mkdir(path.join(dirs.ws, 'notes'));
    const real = path.join(dirs.ws, 'notes', 'real-tasks.md');
    await writeFile(real, '- [ ] one\n- [ ] two\n');
    await chmod(real, 0o600);
    const link = path.join(dirs.ws, 'tasks.md');
    await symlink(path.join('notes', 'real-tasks.md'), link);
    assert.equal(await writeBackCheckbox(link, 2, 'two', 'x', dirs.ws), 'written');
    assert.equal(await readFile(real, 'utf8'), '- [ ] one\n- [x] two\n');
    assert.ok((await lstat(link)).isSymbolicLink(), 'tasks.md is still the symlink');
    assert.equal((await stat(real)).mode & 0o777, 0o600);
  });

  it('keeps the mode of a regular tasks file', async () => {
    const file = path.join(dirs.ws, 'tasks.md');
    await writeFile(file, '- [ ] one\n');
    await chmod(file, 0o600);
    assert.equal(await writeBackCheckbox(file, 1, 'one', '-', dirs.ws), 'written');
    assert.equal(await readFile(file, 'utf8'), '- [-] one\n');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('refuses a tasks.md that is a symlink to a file outside the workspace, and leaves both alone', async () => {
    const victim = path.join(dirs.outside, 'tasks.md');
    await writeFile(victim, '- [ ] one\n');
    const link = path.join(dirs.ws, 'tasks.md');
    await symlink(victim, link);
    await assert.rejects(writeBackCheckbox(link, 1, 'one', 'x', dirs.ws), refused('outside', link));
    assert.equal(await readFile(victim, 'utf8'), '- [ ] one\n');
    assert.ok((await lstat(link)).isSymbolicLink());
  });
});
