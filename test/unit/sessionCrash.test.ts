/**
 * The crash harness: a real child process runs a session and is killed with SIGKILL at random moments,
 * then resumed, many times. Every task journaled done stays done and never runs again; every kill leaves a
 * session that loads; the end state is that of an uninterrupted run.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { loadSession } from '../../src/core/session/sessionStore';
import { REPO_ROOT, useTempDirs } from '../support/processes';

const WORKER = path.join(REPO_ROOT, 'out', 'test', 'support', 'sessionWorker.js');
const KILLS = Number(process.env['ACA_CRASH_TRIALS'] ?? 50);
const TASKS = 60;
/** The journal written by hand, and the same harness around the real engine (three tasks at once). */
type Mode = 'writer' | 'engine';

function runWorker(root: string, markers: string, killAfterMs: number | undefined, mode: Mode): Promise<{ pid: number; killed: boolean; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [WORKER, root, markers, String(TASKS), mode], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    let killed = false;
    let timer: NodeJS.Timeout | undefined;
    // The kill is timed from the worker's start of work, not from the spawn (module loading varies).
    child.stdout.once('data', () => {
      if (killAfterMs !== undefined) {
        timer = setTimeout(() => ((killed = true), child.kill('SIGKILL')), killAfterMs);
      }
    });
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(bound);
      if (!killed && code !== 0) {
        reject(new Error(`worker failed (exit ${code}): ${stderr}`));
      } else {
        resolve({ pid: child.pid!, killed, code });
      }
    });
  });
}

describe('session crash harness', function () {
  this.timeout(180_000);
  const dirs = useTempDirs('sessions', 'markers');

  for (const mode of ['writer', 'engine'] as const) {
    it(`${mode}: survives ${KILLS} kill -9 at random points: done stays done, never runs twice, ends like an uninterrupted run`, async () => {
      let kills = 0;
      let doneBefore = new Set<string>();
      const violations: string[] = [];
      const repairsSeen: string[] = [];
      let interruptedSeen = 0;
      for (let trial = 0; kills < KILLS && trial < KILLS * 4; trial++) {
        // Random moments across start-up and the run; some runs finish before the kill.
        const { pid, killed } = await runWorker(dirs.sessions, dirs.markers, Math.floor(Math.random() * 160), mode);
        const markers = await readdir(dirs.markers);
        for (const marker of markers.filter((m) => m.split('.')[1] === String(pid))) {
          const taskId = marker.split('.')[0]!;
          if (doneBefore.has(taskId)) {
            violations.push(`task ${taskId} ran again in worker ${pid} after it was journaled done`);
          }
        }
        const sessions = (await readdir(dirs.sessions)).filter((name) => !name.startsWith('.'));
        if (sessions.length === 0) {
          continue; // killed before the session existed
        }
        const loaded = await loadSession(path.join(dirs.sessions, sessions[0]!)); // throws if unreadable
        repairsSeen.push(...loaded.repairs.map((r) => r.what.split(';')[0]!));
        interruptedSeen += loaded.interrupted.length;
        const doneNow = new Set(
          Object.entries(loaded.state.tasks)
            .filter(([, run]) => run.state === 'done')
            .map(([id]) => id),
        );
        for (const id of doneBefore) {
          assert.ok(doneNow.has(id), `task ${id} was done and is not any more`);
        }
        doneBefore = doneNow;
        if (killed) {
          kills++;
        }
        if (doneNow.size === TASKS) {
          // Finished: start over with a new session so that every kill lands in a live run.
          await mkdir(dirs.sessions, { recursive: true });
          const { rm } = await import('node:fs/promises');
          await rm(path.join(dirs.sessions, sessions[0]!), { recursive: true });
          doneBefore = new Set();
        }
      }
      // A last, uninterrupted run to the end.
      await runWorker(dirs.sessions, dirs.markers, undefined, mode);
      const sessions = (await readdir(dirs.sessions)).filter((name) => !name.startsWith('.'));
      const final = await loadSession(path.join(dirs.sessions, sessions[0]!));
      console.log(
        `      crash harness (${mode}): ${kills} kills, ${interruptedSeen} interrupted tasks resumed, ${repairsSeen.length} repairs (${[...new Set(repairsSeen)].join('; ') || 'none'})`,
      );
      assert.deepEqual(violations, []);
      assert.ok(kills >= KILLS, `only ${kills} kills landed`);
      assert.deepEqual(
        Object.values(final.state.tasks).map((run) => run.state),
        Array(TASKS).fill('done'),
      );
      assert.deepEqual(
        final.repairs.filter((r) => !r.what.startsWith('the last journal line was torn')),
        [],
      );
    });
  }
});
