// The one lock-liveness check (lock.ts) and "did this session ever run" (hasRun.ts), which decide whether
// a session is offered for resume. Both replace checks of the extension's that disagreed with the writer:
// one ignored the host and the process start time, the other searched journal.jsonl, which a snapshot
// restarts.
import assert from 'node:assert/strict';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { lockHolderAlive, OTHER_HOST_LOCK_TTL_MS, processStartOf } from '../../src/core/session/lock';
import { sessionHasRun } from '../../src/core/session/hasRun';
import { loadSession, SessionError, SessionWriter } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';

const plan = planSchema.parse({
  version: 1,
  name: 'p',
  tasks: [
    { id: '1', title: 'one' },
    { id: '2', title: 'two' },
  ],
});
/** A pid far above Linux's default pid_max (2^22): no process has it. */
const NO_SUCH_PID = 2 ** 22 + 12345;

/** Whether the session in `dir` ever ran, as the resume offer asks it. */
async function hasRun(dir: string): Promise<boolean> {
  return sessionHasRun((await loadSession(dir)).state);
}

describe('session lock liveness and run history', () => {
  const dirs = useTempDirs('sessions');

  async function closedSession(): Promise<string> {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.close();
    return writer.dir;
  }

  async function writeLock(dir: string, fields: Record<string, unknown>): Promise<void> {
    await writeFile(path.join(dir, 'lock'), JSON.stringify({ started: '2026-01-01T00:00:00Z', token: 'x', ...fields }));
  }

  it('sees the lock of an open writer as alive, and a closed session as unlocked', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    assert.equal(await lockHolderAlive(writer.dir), true);
    await writer.close();
    assert.equal(await lockHolderAlive(writer.dir), false);
  });

  it('takes a freshly refreshed lock of another host as held, whatever its pid is here, as the writer does', async () => {
    const dir = await closedSession();
    await writeLock(dir, { pid: NO_SUCH_PID, host: `not-${os.hostname()}` });
    assert.equal(await lockHolderAlive(dir), true, 'a lock the writer refuses to take must not look free');
    await assert.rejects(SessionWriter.resume(dir), (error: unknown) => SessionError.is(error) && error.failure === 'locked');
  });

  it('takes a lock of another host not refreshed for the TTL as abandoned', async () => {
    const dir = await closedSession();
    await writeLock(dir, { pid: process.pid, host: `not-${os.hostname()}` });
    const old = new Date(Date.now() - OTHER_HOST_LOCK_TTL_MS - 60_000);
    await utimes(path.join(dir, 'lock'), old, old);
    assert.equal(await lockHolderAlive(dir), false);
    const { writer } = await SessionWriter.resume(dir);
    await writer.close();
  });

  it('takes a lock whose pid is alive but started at another time (a reused pid) as abandoned, as the writer does', async function () {
    if (processStartOf(process.pid) === undefined) {
      this.skip(); // start times are read from /proc (Linux only)
    }
    const dir = await closedSession();
    await writeLock(dir, { pid: process.pid, host: os.hostname(), processStart: 'another-boot:1' });
    assert.equal(await lockHolderAlive(dir), false, 'a reused pid is not the holder');
    const { writer } = await SessionWriter.resume(dir);
    await writer.close();
  });

  it('takes a lock of this host whose pid is alive and started when the lock says as held', async () => {
    const dir = await closedSession();
    const start = processStartOf(process.pid);
    await writeLock(dir, { pid: process.pid, host: os.hostname(), ...(start ? { processStart: start } : {}) });
    assert.equal(await lockHolderAlive(dir), true);
  });

  it('takes a live process of another user (EPERM) as the holder', async function () {
    if (process.getuid?.() === 0 || process.platform === 'win32') {
      this.skip(); // root may signal every process: no EPERM to see
    }
    const dir = await closedSession();
    await writeLock(dir, { pid: 1, host: os.hostname() });
    assert.equal(await lockHolderAlive(dir), true);
  });

  it('takes a dead pid of this host, an unreadable lock and no lock as free', async () => {
    const dir = await closedSession();
    assert.equal(await lockHolderAlive(dir), false);
    await writeLock(dir, { pid: NO_SUCH_PID, host: os.hostname() });
    assert.equal(await lockHolderAlive(dir), false);
    await writeFile(path.join(dir, 'lock'), 'not json');
    assert.equal(await lockHolderAlive(dir), false);
  });

  it('knows a session ran after a snapshot restarted its journal', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
    await writer.snapshot();
    await writer.close();
    assert.doesNotMatch(await readFile(path.join(writer.dir, 'journal.jsonl'), 'utf8'), /task_started/, 'the journal restarted');
    assert.equal(await hasRun(writer.dir), true);
  });

  it('knows a session ran once its automatic snapshot was taken, and after a task finished', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan, { snapshotEvery: 2 });
    await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
    await writer.append({ type: 'task_done', taskId: '1' });
    await writer.close();
    assert.equal(await hasRun(writer.dir), true);
  });

  it('knows a paused run ran, and a session only created, or with tasks done in the tasks file, did not', async () => {
    const done = planSchema.parse({
      version: 1,
      name: 'p',
      tasks: [
        { id: '1', title: 'one', status: 'done' },
        { id: '2', title: 'two' },
      ],
    });
    const created = await SessionWriter.create(dirs.sessions, done);
    await created.close();
    assert.equal(await hasRun(created.dir), false);
    const paused = await SessionWriter.create(dirs.sessions, plan, { snapshotEvery: 1 });
    await paused.append({ type: 'run_paused', reason: 'budget' });
    await paused.close();
    assert.equal(await hasRun(paused.dir), true);
  });
});
