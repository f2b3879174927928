/**
 * The corruption harness: truncate, flip a bit in, or delete each kind of session file at random offsets,
 * hundreds of times. Recovery never throws, loses at most what follows the damage, keeps the damaged data
 * aside, and says what it repaired.
 */
import assert from 'node:assert/strict';
import { cp, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { planSchema } from '../../src/core/model/plan';
import { markInterrupted, type SessionState } from '../../src/core/session/events';
import { loadSession, SessionWriter, SessionError } from '../../src/core/session/sessionStore';
import { useTempDirs } from '../support/processes';

const TRIALS = Number(process.env['ACA_CORRUPTION_TRIALS'] ?? 300);

describe('session corruption harness', function () {
  this.timeout(120_000);
  const dirs = useTempDirs('pristine', 'trial');

  it(`recovers from ${TRIALS} random truncations, bit flips and deletions`, async () => {
    const plan = planSchema.parse({
      version: 1,
      name: 'corrupt',
      tasks: Array.from({ length: 40 }, (_, i) => ({ id: String(i + 1), title: `task ${i + 1}` })),
    });
    const writer = await SessionWriter.create(dirs.pristine, plan, { snapshotEvery: 30, syncEvery: 1 });
    // Every state along the way, by sequence number, to check what recovery returns.
    const states = new Map<number, SessionState>([[writer.state.seq, structuredClone(writer.state)]]);
    for (const task of plan.tasks) {
      states.set((await writer.append({ type: 'task_started', taskId: task.id, attempt: 1 })).seq, structuredClone(writer.state));
      states.set((await writer.append({ type: 'task_usage', taskId: task.id, inputTokens: 3, outputTokens: 2 })).seq, structuredClone(writer.state));
      states.set((await writer.append({ type: 'task_done', taskId: task.id })).seq, structuredClone(writer.state));
    }
    await writer.close();
    const finalSeq = writer.state.seq;
    const sessionDir = (await readdir(dirs.pristine))[0]!;
    const files = (await readdir(path.join(dirs.pristine, sessionDir), { recursive: true, withFileTypes: true }))
      .filter((e) => e.isFile())
      .map((e) => path.relative(path.join(dirs.pristine, sessionDir), path.join(e.parentPath, e.name)));
    assert.ok(
      files.some((f) => f.startsWith('snapshots/')) && files.some((f) => f.startsWith('journal-')),
      `snapshots and segments exist: ${files.join(', ')}`,
    );

    const tally: Record<string, number> = {};
    let lostEvents = 0;
    for (let trial = 0; trial < TRIALS; trial++) {
      await rm(dirs.trial, { recursive: true, force: true });
      await cp(dirs.pristine, dirs.trial, { recursive: true });
      const dir = path.join(dirs.trial, sessionDir);
      const file = files[trial % files.length]!;
      const target = path.join(dir, file);
      const size = (await stat(target)).size;
      const kind = (['truncate', 'flip', 'delete'] as const)[Math.floor(trial / files.length) % 3]!;
      const offset = Math.floor(Math.random() * Math.max(1, size));
      const original = await readFile(target);
      // Cut exactly at a line end, the journal looks like events that were never written: undetectable.
      const cleanCut = kind === 'truncate' && file.endsWith('.jsonl') && (offset === 0 || original[offset - 1] === 0x0a);
      if (kind === 'truncate') {
        await truncate(target, offset);
      } else if (kind === 'flip') {
        const bytes = await readFile(target);
        bytes[offset] = bytes[offset]! ^ (1 << Math.floor(Math.random() * 8));
        await writeFile(target, bytes);
      } else {
        await rm(target);
      }
      const label = `${kind} ${file.replace(/\d+/g, 'N')}`;
      const damaged = kind === 'delete' ? undefined : await readFile(target);
      let loaded;
      try {
        loaded = await loadSession(dir, { repair: true });
      } catch (error) {
        // A flip that turns the header's version digit into a higher one reads as a newer format: that is refused
        // and left as it is, never rewritten (a newer ACA's session must survive an older one).
        if (SessionError.is(error) && error.failure === 'future-version' && kind === 'flip' && file === 'session.json') {
          assert.deepEqual(await readFile(target), damaged, `trial ${trial}: the header was rewritten`);
          tally['refused: newer format'] = (tally['refused: newer format'] ?? 0) + 1;
          continue;
        }
        assert.fail(`trial ${trial} (${label} at ${offset}): recovery threw ${SessionError.is(error) ? error.message : String(error)}`);
      }
      // Whatever it recovered is exactly the state at some point of the real history.
      const expected = states.get(loaded.state.seq);
      assert.ok(expected, `trial ${trial} (${label}): recovered seq ${loaded.state.seq} is not a state of the history`);
      assert.deepEqual(
        loaded.state.tasks,
        markInterrupted(expected).state.tasks,
        `trial ${trial} (${label}): recovered state differs from the history at seq ${loaded.state.seq}`,
      );
      lostEvents += finalSeq - loaded.state.seq;
      const damagedTheLiveEnd = file === 'journal.jsonl' || kind === 'delete';
      if (loaded.state.seq < finalSeq) {
        assert.ok(damagedTheLiveEnd || file.startsWith('journal-'), `trial ${trial} (${label}): lost events although only ${file} was damaged`);
        assert.ok(loaded.repairs.length > 0 || cleanCut, `trial ${trial} (${label}): events were lost but no repair was reported`);
      }
      for (const repair of loaded.repairs) {
        if (repair.keptAt) {
          await stat(repair.keptAt); // the damaged data was kept aside, not deleted
        }
      }
      tally[label] = (tally[label] ?? 0) + 1;
    }
    console.log(
      `      corruption harness: ${TRIALS} trials over ${files.length} files (${Object.keys(tally).length} kinds), ${lostEvents} events lost in all, recovery never threw`,
    );
  });
});
