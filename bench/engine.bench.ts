/**
 * Scheduling and engine overhead.
 *
 * 1. Makespan on random DAGs: 200 tasks, durations from the complexity scale, k = 4 workers, simulated on
 *    a fake clock. Reported as makespan / lower bound, lower bound = max(critical path, total work / k),
 *    for ACA's scheduler (the same ReadyQueue and score the engine uses) and, in the same run, for FIFO in
 *    document order. Target for ACA: ≤ 1.05.
 * 2. Engine overhead per task: 10 000 independent tasks, an agent that answers at once, the journal on
 *    disk (the writer's defaults). Target: ≤ 0.2 ms per task.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Engine, type TaskAgent } from '../src/core/engine/engine';
import { COMPLEXITIES, planSchema, type Complexity, type Task } from '../src/core/model/plan';
import type { DispatchEvent, DispatchResult } from '../src/core/providers/dispatcher';
import { COMPLEXITY_UNITS, ReadyQueue, schedulingGraph } from '../src/core/schedule/scheduler';
import { SessionWriter } from '../src/core/session/sessionStore';

const DAGS = 30;
const TASKS = 200;
const WORKERS = 4;
/** One complexity unit of work, in simulated milliseconds (a trivial task is five minutes). */
const UNIT_MS = 5 * 60_000;

/** mulberry32: a small seeded generator, so every run measures the same DAGs. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Tasks in document order; each depends on 0–3 of the 20 tasks before it (like a real plan's local structure). */
function randomDag(seed: number): Task[] {
  const rnd = random(seed);
  const tasks = [];
  for (let i = 0; i < TASKS; i++) {
    const deps = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(rnd() * 4);
    for (let d = 0; d < count; d++) {
      deps.add(String(Math.max(0, i - 1 - Math.floor(rnd() * 20))));
    }
    const complexity: Complexity = COMPLEXITIES[Math.min(COMPLEXITIES.length - 1, Math.floor(rnd() * rnd() * COMPLEXITIES.length))]!;
    tasks.push({ id: String(i), title: `task ${i}`, dependsOn: [...deps], complexity });
  }
  return planSchema.parse({ version: 1, name: 'dag', tasks }).tasks;
}

function lowerBound(tasks: readonly Task[]): number {
  const graph = schedulingGraph(tasks);
  const critical = Math.max(...graph.criticalPath.values());
  const work = tasks.reduce((sum, t) => sum + COMPLEXITY_UNITS[t.complexity!], 0);
  return Math.max(critical, work / WORKERS) * UNIT_MS;
}

/** List scheduling on a fake clock: whenever a worker is free, the chooser picks among the ready tasks. */
function simulate(tasks: readonly Task[], chooser: 'aca' | 'fifo'): number {
  const graph = schedulingGraph(tasks);
  const unmet = new Map(tasks.map((t) => [t.id, t.dependsOn.length]));
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const queue = new ReadyQueue<{ task: Task; attempts: number; readySince: number }>(graph);
  const fifo: Task[] = [];
  const ready = (task: Task, now: number): void => void (chooser === 'aca' ? queue.push({ task, attempts: 0, readySince: now }) : fifo.push(task));
  for (const task of tasks) {
    if (task.dependsOn.length === 0) {
      ready(task, 0);
    }
  }
  let now = 0;
  const running: Array<{ id: string; ends: number }> = [];
  let finished = 0;
  while (finished < tasks.length) {
    while (running.length < WORKERS && (chooser === 'aca' ? queue.size > 0 : fifo.length > 0)) {
      const task = chooser === 'aca' ? queue.pop()!.task : fifo.sort((a, b) => graph.order.get(a.id)! - graph.order.get(b.id)!).shift()!;
      running.push({ id: task.id, ends: now + COMPLEXITY_UNITS[task.complexity!] * UNIT_MS });
    }
    running.sort((a, b) => a.ends - b.ends);
    const done = running.shift()!;
    now = done.ends;
    finished++;
    for (const dependent of graph.dependents.get(done.id) ?? []) {
      const left = unmet.get(dependent)! - 1;
      unmet.set(dependent, left);
      if (left === 0) {
        ready(byId.get(dependent)!, now);
      }
    }
  }
  return now;
}

/** Answers at once: what is measured is the engine and its journal. */
class InstantAgent implements TaskAgent {
  async *run(): AsyncGenerator<DispatchEvent, DispatchResult> {
    yield { type: 'agent', provider: 'claude-code', event: { type: 'session', sessionId: 's' } };
    return { outcome: 'done', provider: 'claude-code', message: 'ok', usage: { inputTokens: 1, outputTokens: 1, cachedTokens: 0 }, durationMs: 0, runs: 1 };
  }
}

async function engineOverhead(count: number): Promise<number> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aca-engine-bench-'));
  try {
    const plan = planSchema.parse({ version: 1, name: 'overhead', tasks: Array.from({ length: count }, (_, i) => ({ id: String(i), title: `task ${i}` })) });
    const writer = await SessionWriter.create(root, plan);
    const engine = new Engine({ writer, agent: new InstantAgent(), workspace: root, resources: false });
    const started = performance.now();
    const summary = await engine.run();
    const ms = performance.now() - started;
    await writer.close();
    if (summary.counts.done !== count) {
      throw new Error(`engine bench: ${summary.counts.done} of ${count} done`);
    }
    return ms / count;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const ratios = { aca: [] as number[], fifo: [] as number[] };
  for (let seed = 1; seed <= DAGS; seed++) {
    const tasks = randomDag(seed);
    const bound = lowerBound(tasks);
    ratios.aca.push(simulate(tasks, 'aca') / bound);
    ratios.fifo.push(simulate(tasks, 'fifo') / bound);
  }
  const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;
  const line = (values: number[]): string => `mean ${mean(values).toFixed(3)}, worst ${Math.max(...values).toFixed(3)}`;
  const acaMean = mean(ratios.aca);
  console.log(`scheduling (${DAGS} random DAGs of ${TASKS} tasks, k = ${WORKERS}, makespan / lower bound)`);
  console.log(`  ACA scheduler: ${line(ratios.aca)}   target ≤ 1.05: ${acaMean <= 1.05 ? 'met' : `missed by ${(acaMean - 1.05).toFixed(3)}`}`);
  console.log(`  FIFO (document order): ${line(ratios.fifo)}`);

  await engineOverhead(500); // warm-up
  const perTask = await engineOverhead(10_000);
  console.log('engine overhead (10 000 tasks, instant agent, journal on disk)');
  console.log(
    `  ${perTask.toFixed(3)} ms per task   target ≤ 0.2 ms: ${perTask <= 0.2 ? 'met' : `missed by ${(perTask - 0.2).toFixed(3)} ms (${(perTask / 0.2).toFixed(1)}×)`}`,
  );
}

void main();
