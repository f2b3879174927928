import assert from 'node:assert/strict';
import { appendFile, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { loadSession, SessionError, SessionWriter, uuidv7 } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';

const plan = planSchema.parse({
  version: 1,
  name: 'p',
  tasks: [
    { id: '1', title: 'one' },
    { id: '2', title: 'two' },
  ],
});

describe('session store', () => {
  const dirs = useTempDirs('sessions');

  it('refuses a second writer with a clear message, and nothing is corrupted', async () => {
    const first = await SessionWriter.create(dirs.sessions, plan);
    await first.append({ type: 'task_started', taskId: '1', attempt: 1 });
    await assert.rejects(SessionWriter.resume(first.dir), (error: unknown) => {
      assert.ok(SessionError.is(error));
      assert.equal(error.failure, 'locked');
      assert.match(
        error.message,
        new RegExp(`is open in another process \\(pid ${process.pid} on .+, since .+\\); close it there, or open this one read-only`),
      );
      return true;
    });
    await first.append({ type: 'task_done', taskId: '1' });
    await first.close();
    const { writer, loaded } = await SessionWriter.resume(first.dir);
    assert.deepEqual(loaded.repairs, []);
    assert.equal(loaded.state.tasks['1']?.state, 'done');
    await writer.close();
  });

  it('takes over the lock of a process that no longer exists', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.close();
    await writeFile(
      path.join(writer.dir, 'lock'),
      JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), started: '2026-01-01T00:00:00Z', token: 'x' }),
    );
    const { writer: again } = await SessionWriter.resume(writer.dir);
    await again.close();
  });

  it('refuses a session of a future format without changing its files', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.close();
    const header = path.join(writer.dir, 'session.json');
    const future = JSON.stringify({ version: 99, sessionId: 'x', created: 'now', name: 'n' });
    await writeFile(header, future);
    const before = await readdir(writer.dir);
    await assert.rejects(
      loadSession(writer.dir),
      /session\.json is session format 99; this ACA reads up to 1\. Update ACA to open it; the file was not changed\./,
    );
    assert.equal(await readFile(header, 'utf8'), future);
    assert.deepEqual(await readdir(writer.dir), before);
  });

  it('marks tasks that were running when the writer stopped as interrupted', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.append({ type: 'task_started', taskId: '2', attempt: 1 });
    await writer.close();
    const loaded = await loadSession(writer.dir);
    assert.deepEqual(loaded.interrupted, ['2']);
    assert.equal(loaded.state.tasks['2']?.state, 'interrupted');
  });

  it('corrects what is safe on load: runs without a task are dropped, missing runs added', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.append({ type: 'task_started', taskId: 'ghost', attempt: 1 });
    await writer.close();
    const loaded = await loadSession(writer.dir);
    assert.deepEqual(Object.keys(loaded.state.tasks).sort(), ['1', '2']);
    assert.match(loaded.repairs[0]?.what ?? '', /1 without a task in the plan dropped, 0 missing added/);
  });

  it('a reader never repairs a journal another process is writing', async () => {
    const writer = await SessionWriter.create(dirs.sessions, plan);
    await writer.append({ type: 'task_started', taskId: '1', attempt: 1 });
    const journal = path.join(writer.dir, 'journal.jsonl');
    // The writer is in the middle of a line: what a concurrent reader can see.
    await appendFile(journal, '0123abcd {"seq":3,"ev');
    const bytes = await readFile(journal);
    const seen = await loadSession(writer.dir);
    assert.match(seen.repairs[0]?.what ?? '', /torn .* \(seen read-only: repaired when the session is next opened for writing\)/);
    assert.equal(seen.state.seq, 2);
    assert.deepEqual(await readFile(journal), bytes, 'the journal is byte-identical');
    assert.deepEqual(
      (await readdir(writer.dir)).filter((n) => n.includes('damaged')),
      [],
    );
    await writer.close();
  });

  it('names sessions with time-ordered UUIDv7 ids', () => {
    const a = uuidv7(1_700_000_000_000);
    const b = uuidv7(1_700_000_000_001);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(a < b);
  });
});
