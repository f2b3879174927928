/**
 * `node out/bench/session.bench.js` (built by `node esbuild.mjs --bench`): the session journal with a
 * 10 000-task plan, in one run, in a temporary folder that is removed at the end.
 *   1. append latency, p50/p99, ordinary (`task_usage`) and durable (`task_done`, fsynced at once)
 *      separately; target p99 ≤ 2 ms;
 *   2. `writer.snapshot()` of the 10 000-task state, median of 5, and its size; target ≤ 50 ms;
 *   3. `loadSession(dir)` with a snapshot and 20 000 journal events after it, median of 5; target ≤ 200 ms.
 * Figures, never a test: disks and machines are noisy.
 */
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { planSchema, type Plan } from '../src/core/model/plan';
import type { SessionEvent } from '../src/core/session/events';
import { loadSession, SessionWriter } from '../src/core/session/sessionStore';
import { FileCheckpoints } from '../src/core/workspace/fileCheckpoints';

const TASKS = 10_000;
const ORDINARY = 5_000;
const DURABLE = 1_000;
const RESUME_EVENTS = 20_000;
const RUNS = 5;

function makePlan(tasks: number): Plan {
  return planSchema.parse({
    version: 1,
    name: 'bench',
    tasks: Array.from({ length: tasks }, (_, i) => ({ id: String(i + 1), title: `task ${i + 1}` })),
  });
}

function usage(i: number): SessionEvent {
  return { type: 'task_usage', taskId: String((i % TASKS) + 1), inputTokens: 1200 + (i % 97), outputTokens: 300 + (i % 31), costUsd: 0.0042 };
}

/** The value at quantile `q` (nearest rank) of `values`. */
function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

const ms = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(0));
const verdict = (value: number, target: number): string =>
  value <= target ? `met (${ms(target - value)} ms to spare)` : `missed by ${ms(value - target)} ms (${(value / target).toFixed(1)}×)`;

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aca-session-bench-'));
  try {
    const plan = makePlan(TASKS);

    // 1. Append latency (an ordinary append fsyncs every 32nd time; automatic snapshots are pushed out of
    //    the way so that they do not land in an append's time). `awaitSync`: a durable append returns only
    //    once fsynced, so its figure is the disk's; by default the engine's writer group-commits instead.
    const writer = await SessionWriter.create(root, plan, { snapshotEvery: 1_000_000, awaitSync: true });
    for (let i = 0; i < 200; i++) {
      await writer.append(usage(i)); // warm up the JIT; not counted
    }
    const ordinary: number[] = [];
    const durable: number[] = [];
    for (let i = 0; i < ORDINARY + DURABLE; i++) {
      // Five ordinary events, then one durable one: 5 000 + 1 000 in all.
      const isDurable = i % 6 === 5;
      const event: SessionEvent = isDurable ? { type: 'task_done', taskId: String(durable.length + 1) } : usage(i);
      const started = performance.now();
      await writer.append(event);
      (isDurable ? durable : ordinary).push(performance.now() - started);
    }

    // 2. Snapshot of the 10 000-task state (one event in between, so that each is a new file).
    const snapshotTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      await writer.append(usage(run));
      snapshotTimes.push(await time(() => writer.snapshot()));
    }
    const snapshotKb = (await stat(path.join(writer.dir, 'snapshots', `${writer.state.seq}.json`))).size / 1024;
    await writer.close();

    // 3. Resume: a snapshot right after creation, then a long journal after it.
    const long = await SessionWriter.create(root, plan, { snapshotEvery: 1_000_000, syncEvery: 256 });
    await long.snapshot();
    for (let i = 0; i < RESUME_EVENTS; i++) {
      await long.append(i % 20 === 19 && i / 20 < TASKS ? { type: 'task_done', taskId: String(Math.floor(i / 20) + 1) } : usage(i));
    }
    const journalKb = (await stat(path.join(long.dir, 'journal.jsonl'))).size / 1024;
    const expectedSeq = long.state.seq;
    await long.close();
    const loadTimes: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      let seq = 0;
      loadTimes.push(
        await time(async () => {
          seq = (await loadSession(long.dir)).state.seq;
        }),
      );
      if (seq !== expectedSeq) {
        throw new Error(`loadSession gave seq ${seq}, expected ${expectedSeq}`);
      }
    }

    const p99Ordinary = quantile(ordinary, 0.99);
    const p99Durable = quantile(durable, 0.99);
    const snapshotMs = quantile(snapshotTimes, 0.5);
    const loadMs = quantile(loadTimes, 0.5);
    console.log(`session (${TASKS} tasks, one process, ${os.tmpdir()})`);
    console.log(
      `  append, ordinary (${ORDINARY} task_usage, fsync every 32nd): p50 ${ms(quantile(ordinary, 0.5))} ms, p99 ${ms(p99Ordinary)} ms, max ${ms(Math.max(...ordinary))} ms   target p99 ≤ 2 ms: ${verdict(p99Ordinary, 2)}`,
    );
    console.log(
      `  append, durable (${DURABLE} task_done, fsync each): p50 ${ms(quantile(durable, 0.5))} ms, p99 ${ms(p99Durable)} ms, max ${ms(Math.max(...durable))} ms   target p99 ≤ 2 ms: ${verdict(p99Durable, 2)}`,
    );
    console.log(
      `  snapshot: median of ${RUNS} ${ms(snapshotMs)} ms (${snapshotTimes.map(ms).join(', ')}), ${snapshotKb.toFixed(0)} KB   target ≤ 50 ms: ${verdict(snapshotMs, 50)}`,
    );
    console.log(
      `  resume (loadSession, snapshot + ${RESUME_EVENTS} events, ${journalKb.toFixed(0)} KB journal): median of ${RUNS} ${ms(loadMs)} ms (${loadTimes.map(ms).join(', ')})   target ≤ 200 ms: ${verdict(loadMs, 200)}`,
    );

    // File checkpoints of a 10 000-file git workspace: the first (every file hashed) and a second after
    // 100 files changed (the private index's stat cache skips the rest).
    const workspace = path.join(root, 'workspace');
    for (let i = 0; i < 10_000; i++) {
      const dir = path.join(workspace, `pkg${Math.floor(i / 100)}`);
      if (i % 100 === 0) {
        await mkdir(dir, { recursive: true });
      }
      await writeFile(path.join(dir, `file${i}.ts`), `export const value${i} = ${i};\n`);
    }
    execFileSync('git', ['init', '--quiet', workspace]);
    const files = await FileCheckpoints.open(workspace, { sessionDir: path.join(root, 'checkpoint-session'), sessionId: 'bench' });
    let first = 0;
    const firstMs = await time(async () => {
      first = (await files.create('c1', 'first')).skipped.length;
    });
    for (let i = 0; i < 100; i++) {
      await writeFile(path.join(workspace, `pkg${i}`, `file${i * 100}.ts`), `export const changed = ${i};\n`);
    }
    const secondMs = await time(async () => {
      await files.create('c2', 'second');
    });
    console.log(`  file checkpoint of a 10 000-file git workspace: first ${ms(firstMs)} ms, after 100 changes ${ms(secondMs)} ms (${first} files skipped)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
