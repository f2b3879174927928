/**
 * Issue 14, hole 2 and two session defects: a session that came with a clone (another machine, another
 * user, another folder) is not resumed without an explicit choice that shows what it runs; a header of a
 * newer format is refused, never rewritten; locks of reused pids and of other hosts go stale.
 */
import assert from 'node:assert/strict';
import { cp, lstat, mkdir, readFile, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { runCli, EXIT_BAD_INPUT, type CliIo } from '../../src/cli/main';
import { planSchema } from '../../src/core/model/plan';
import { sessionOwner } from '../../src/core/session/owner';
import { describeSessionRun, listSessions } from '../../src/core/session/sessions';
import { breakLock, crc32, loadSession, SessionError, SessionWriter } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

const plan = planSchema.parse({
  version: 1,
  name: 'cloned',
  tasks: [
    { id: '1', title: 'one', verify: ["python3 -c \"open('/tmp/pwned','w')\""] },
    { id: '2', title: 'two' },
  ],
});

describe('session ownership, format and locks', () => {
  const dirs = useTempDirs('sessions', 'home', 'otherHome', 'workspace');

  async function lockHeld(dir: string): Promise<boolean> {
    try {
      const { writer } = await SessionWriter.resume(dir);
      await writer.close();
      return false;
    } catch (error) {
      if (SessionError.is(error) && error.failure === 'locked') {
        return true;
      }
      throw error;
    }
  }

  describe('owner', () => {
    it('keeps a random owner id in ~/.aca/owner-id, readable by the user only, the same on the next load', async () => {
      const owner = await sessionOwner(dirs.home);
      const file = path.join(dirs.home, '.aca', 'owner-id');
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.match(await readFile(file, 'utf8'), /^[0-9a-f]{64}\n$/);
      assert.ok(owner.persistent);
      const writer = await SessionWriter.create(dirs.sessions, plan, { owner });
      await writer.close();
      // A fresh process reads the same id (the cache is per home path: a copy of the home is a new path).
      const copy = path.join(dirs.otherHome, 'copy');
      await cp(dirs.home, copy, { recursive: true });
      const [listed] = await listSessions(dirs.sessions, { owner: await sessionOwner(copy) });
      assert.equal(listed?.foreign, false);
    });

    it("never writes through a symlinked owner-id: the session made then is nobody's after this process", async () => {
      await mkdir(path.join(dirs.home, '.aca'));
      const target = path.join(dirs.otherHome, 'bashrc');
      await writeFile(target, 'original\n');
      await symlink(target, path.join(dirs.home, '.aca', 'owner-id'));
      const owner = await sessionOwner(dirs.home);
      assert.equal(owner.persistent, false);
      assert.equal(await readFile(target, 'utf8'), 'original\n');
      assert.ok((await lstat(path.join(dirs.home, '.aca', 'owner-id'))).isSymbolicLink());
    });

    it('marks sessions of another user, without an owner, or moved from another folder as foreign; a private root trusts its own', async () => {
      const mine = await sessionOwner(dirs.home);
      const theirs = await sessionOwner(dirs.otherHome);
      const own = await SessionWriter.create(dirs.sessions, plan, { owner: mine });
      await own.close();
      const foreign = await SessionWriter.create(dirs.sessions, plan, { owner: theirs });
      await foreign.close();
      const legacy = path.join(dirs.sessions, 'legacy-0000');
      await writeLegacySession(legacy);
      const listed = await listSessions(dirs.sessions, { owner: mine });
      const byId = new Map(listed.map((s) => [s.dir, s.foreign]));
      assert.deepEqual([byId.get(own.dir), byId.get(foreign.dir), byId.get(legacy)], [false, true, true]);
      // The same session copied into another folder (a repository that carries it) is foreign there.
      const elsewhere = path.join(dirs.workspace, '.aca', 'sessions');
      await cp(dirs.sessions, elsewhere, { recursive: true });
      assert.ok((await listSessions(elsewhere, { owner: mine })).every((s) => s.foreign));
      // VS Code's workspaceStorage cannot come with a clone: everything there is the user's.
      assert.ok((await listSessions(dirs.sessions, { owner: mine, privateRoot: true })).every((s) => !s.foreign));
    });

    it("adopting a foreign session (after the user chose to) makes it the user's own", async () => {
      const mine = await sessionOwner(dirs.home);
      const theirs = await sessionOwner(dirs.otherHome);
      const created = await SessionWriter.create(dirs.sessions, plan, { owner: theirs });
      await created.close();
      const { writer } = await SessionWriter.resume(created.dir);
      await writer.adopt(mine);
      await writer.close();
      const [listed] = await listSessions(dirs.sessions, { owner: mine });
      assert.equal(listed?.foreign, false);
      assert.deepEqual((await loadSession(created.dir)).repairs, [], 'the header stays intact');
    });

    it('describes what resuming runs: remaining tasks, verify commands, providers and their conversations', async () => {
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.append({ type: 'task_started', taskId: '2', attempt: 1, provider: 'claude-code' });
      await writer.append({ type: 'task_provider_session', taskId: '2', provider: 'claude-code', sessionId: '0c3f9b9e-8d1a-4a5e-9d7c-2b1e4f6a8c0d' });
      await writer.close();
      const text = describeSessionRun((await loadSession(writer.dir)).state).join('\n');
      assert.match(text, /2 tasks to run/);
      assert.match(text, /verify commands:\n {4}1: python3 -c "open\('\/tmp\/pwned','w'\)"/);
      assert.match(text, /claude-code continues its conversation 0c3f9b9e-8d1a-4a5e-9d7c-2b1e4f6a8c0d \(task 2\)/);
      assert.match(text, /base URLs: none are stored in a session/);
    });
  });

  describe('aca resume', () => {
    function io(ask?: (question: string) => Promise<string>): CliIo & { text: () => string } {
      let text = '';
      return {
        out: (t) => (text += t),
        err: (t) => (text += t),
        cwd: dirs.workspace,
        env: { ACA_CLAUDE_PATH: '/nonexistent/claude', ACA_CODEX_PATH: '/nonexistent/codex' },
        home: dirs.home,
        ...(ask ? { ask } : {}),
        text: () => text,
      };
    }

    async function foreignSession(): Promise<string> {
      const writer = await SessionWriter.create(path.join(dirs.workspace, '.aca', 'sessions'), plan, { owner: await sessionOwner(dirs.otherHome) });
      await writer.close();
      return writer.state.sessionId;
    }

    it('--latest skips a foreign session and says so; nothing runs', async () => {
      const id = await foreignSession();
      const cli = io();
      assert.equal(await runCli(['resume', '--latest'], cli), EXIT_BAD_INPUT);
      assert.match(cli.text(), new RegExp(`skipped 1 unfinished session from another machine or user \\(or that came with the repository\\): ${id}`));
      assert.match(cli.text(), /no unfinished session of yours in /);
      assert.equal((await loadSession(path.join(dirs.workspace, '.aca', 'sessions', id))).state.tasks['1']?.attempts, 0);
    });

    it('<id> of a foreign session shows what it would run and refuses without a terminal; asks on one', async () => {
      const id = await foreignSession();
      const dir = path.join(dirs.workspace, '.aca', 'sessions', id);
      const refused = io();
      assert.equal(await runCli(['resume', id], refused), EXIT_BAD_INPUT);
      assert.match(refused.text(), /was not created by you on this machine/);
      assert.match(refused.text(), /python3 -c "open\('\/tmp\/pwned','w'\)"/);
      assert.match(refused.text(), /nothing was run; answer on a terminal, or pass --resume-foreign/);
      const questions: string[] = [];
      const declined = io(async (q) => (questions.push(q), 'n'));
      assert.equal(await runCli(['resume', id, '--yes'], declined), EXIT_BAD_INPUT, '--yes alone does not accept a foreign session');
      assert.deepEqual(questions, ['Resume this session and run what is listed above? [y/N] ']);
      assert.equal((await loadSession(dir)).state.tasks['1']?.attempts, 0);
      const accepted = io(async () => 'y');
      await runCli(['resume', id, '--yes'], accepted);
      assert.match(accepted.text(), /▶ 1 one/, 'it ran once accepted');
      const [listed] = await listSessions(path.join(dirs.workspace, '.aca', 'sessions'), { owner: await sessionOwner(dirs.home) });
      assert.equal(listed?.foreign, false, "accepted once, it is the user's");
    });

    it('--force-unlock takes a lock that looks held, with a warning', async () => {
      const writer = await SessionWriter.create(path.join(dirs.workspace, '.aca', 'sessions'), plan, { owner: await sessionOwner(dirs.home) });
      await writer.close();
      await writeFile(path.join(writer.dir, 'lock'), JSON.stringify({ pid: 1, host: 'build-container-7', started: new Date().toISOString(), token: 'x' }));
      const held = io();
      assert.notEqual(await runCli(['resume', writer.state.sessionId], held), 0);
      assert.match(held.text(), /is open in another process \(pid 1 on build-container-7/);
      const forced = io();
      await runCli(['resume', writer.state.sessionId, '--force-unlock', '--yes'], forced);
      assert.match(forced.text(), /warning: took the lock of pid 1 on build-container-7/);
      assert.match(forced.text(), /▶ 1 one/);
    });
  });

  describe('format', () => {
    it('refuses a header of a newer format whose checksum follows that format, and leaves it as it was', async () => {
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.close();
      const file = path.join(writer.dir, 'session.json');
      // A future ACA may add fields to the header and to its checksum: this ACA cannot check that checksum.
      const fields = { version: 2, sessionId: writer.state.sessionId, created: '2030-01-01T00:00:00Z', name: 'p', encryption: 'aes' };
      const text = `${JSON.stringify({ ...fields, crc: crc32(JSON.stringify(fields)) }, null, 2)}\n`;
      await writeFile(file, text);
      for (const open of [() => loadSession(writer.dir, { repair: true }), () => SessionWriter.resume(writer.dir)]) {
        await assert.rejects(
          open(),
          (error: unknown) => SessionError.is(error) && error.failure === 'future-version' && /session format 2; this ACA reads up to 1/.test(error.message),
        );
      }
      assert.equal(await readFile(file, 'utf8'), text);
    });

    it('does not follow a symlinked journal: reading refuses it, and nothing is appended to its target', async () => {
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.close();
      const journal = path.join(writer.dir, 'journal.jsonl');
      const outside = path.join(dirs.otherHome, 'bashrc');
      await cp(journal, outside);
      const before = await readFile(outside, 'utf8');
      await import('node:fs/promises').then((fs) => fs.rm(journal));
      await symlink(outside, journal);
      await assert.rejects(
        SessionWriter.resume(writer.dir).then(async ({ writer: w }) => {
          await w.append({ type: 'task_started', taskId: '1', attempt: 1 });
          await w.close();
        }),
        /journal\.jsonl is not a regular file/,
      );
      assert.equal(await readFile(outside, 'utf8'), before);
    });

    it('lists a session whose journal is /dev/zero as a problem, at once', async function () {
      if (process.platform === 'win32') {
        this.skip();
      }
      const dir = path.join(dirs.sessions, 'zero');
      await writeLegacySession(dir);
      await import('node:fs/promises').then((fs) => fs.rm(path.join(dir, 'journal.jsonl')));
      await symlink('/dev/zero', path.join(dir, 'journal.jsonl'));
      const started = Date.now();
      const [listed] = await listSessions(dirs.sessions, { owner: await sessionOwner(dirs.home) });
      assert.match(listed?.problem ?? '', /journal\.jsonl is not a regular file/);
      assert.ok(Date.now() - started < 2000);
    });
  });

  describe('locks', () => {
    it('a lock whose pid now belongs to another process (a different start time) is stale', async function () {
      if (process.platform !== 'linux') {
        this.skip();
      }
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.close();
      // Our own pid is alive, but it was not this process that took the lock: its start time differs.
      await writeFile(
        path.join(writer.dir, 'lock'),
        JSON.stringify({ pid: process.pid, host: os.hostname(), started: '2020-01-01T00:00:00Z', token: 'x', processStart: 'another-boot:1' }),
      );
      assert.equal(await lockHeld(writer.dir), false);
    });

    it('a lock of another host goes stale after 24 hours without a refresh, not before', async () => {
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.close();
      const lock = path.join(writer.dir, 'lock');
      await writeFile(lock, JSON.stringify({ pid: 1, host: 'container-3f2a', started: '2020-01-01T00:00:00Z', token: 'x' }));
      assert.equal(await lockHeld(writer.dir), true, 'a fresh lock of another host holds');
      const old = new Date(Date.now() - 25 * 3600_000);
      await utimes(lock, old, old);
      assert.equal(await lockHeld(writer.dir), false);
    });

    it('breakLock removes any lock and says whose it was', async () => {
      const writer = await SessionWriter.create(dirs.sessions, plan);
      await writer.close();
      await writeFile(path.join(writer.dir, 'lock'), JSON.stringify({ pid: 1, host: 'elsewhere', started: '2020-01-01T00:00:00Z', token: 'x' }));
      assert.match((await breakLock(writer.dir)) ?? '', /pid 1 on elsewhere, since 2020-01-01T00:00:00Z/);
      assert.equal(await lockHeld(writer.dir), false);
    });

    it('a lock that came with the folder as a link to /dev/zero (or a FIFO) is not read: it is stale', async () => {
      for (const make of [(file: string) => symlink('/dev/zero', file), (file: string) => execFileAsync('mkfifo', [file])]) {
        const writer = await SessionWriter.create(dirs.sessions, plan);
        await writer.close();
        await make(path.join(writer.dir, 'lock'));
        const resumed = await SessionWriter.resume(writer.dir); // read the device or waited on the FIFO before
        await resumed.writer.close();
        await make(path.join(writer.dir, 'lock')).catch(() => undefined);
        assert.equal(await breakLock(writer.dir), 'an unreadable lock');
      }
    });
  });
});

/** A session as an older ACA wrote it (no owner in the header), as a repository could carry it. */
async function writeLegacySession(dir: string): Promise<void> {
  await mkdir(path.join(dir, 'snapshots'), { recursive: true });
  const sessionId = path.basename(dir);
  const fields = { version: 1, sessionId, created: '2025-01-01T00:00:00Z', name: 'cloned' };
  await writeFile(path.join(dir, 'session.json'), `${JSON.stringify({ ...fields, crc: crc32(JSON.stringify(fields)) }, null, 2)}\n`);
  const body = JSON.stringify({ seq: 1, time: '2025-01-01T00:00:00Z', event: { type: 'session_created', sessionId, plan } });
  await writeFile(path.join(dir, 'journal.jsonl'), `${crc32(body)} ${body}\n`);
}
