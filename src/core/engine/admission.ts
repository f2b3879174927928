/**
 * Admission: which ready tasks may start now. How many at once (the option, else the plan's strategy; the
 * provider side's headroom; the machine's free memory and load), which together (tasks whose files do not
 * overlap, or that the tasks file marks parallel-safe), and which wait (parked until a usage limit resets).
 */
import os from 'node:os';
import path from 'node:path';
import type { Task } from '../model/plan';
import type { SessionState } from '../session/events';
import type { EngineOptions } from './engineTypes';
import type { Readiness, ReadyItem } from './readiness';
import { WAITING } from './readiness';

const DEFAULT_INTELLIGENT_MAX = 4;

/** A task the engine runs now, as admission sees it. */
export interface RunningTask {
  readonly promise: Promise<void>;
  readonly abort: AbortController;
  readonly files: ReadonlySet<string> | undefined;
  readonly parallel: boolean;
}

/** What admission needs from the engine. */
export interface AdmissionHost {
  readonly options: Pick<EngineOptions, 'concurrency' | 'agent' | 'resources'>;
  readonly state: SessionState;
  readonly readiness: Readiness;
  readonly running: ReadonlyMap<string, RunningTask>;
  /** Tasks whose skip is on its way to the journal: they must not start. */
  readonly skipping: ReadonlySet<string>;
  now(): number;
  warn(message: string): void;
}

export class Admission {
  private _toldSerialized = false;

  constructor(private readonly _host: AdmissionHost) {}

  /** Starts (through `start`) every ready task that may run now; the others go back to the heap. */
  startReady(start: (task: Task, files: ReadonlySet<string> | undefined) => void): void {
    const { readiness, running } = this._host;
    const limit = this.limit();
    const deferred: ReadyItem[] = [];
    while (running.size < limit) {
      const next = readiness.takeReady();
      if (!next) {
        break;
      }
      const verdict = this._admit(next);
      if (verdict === 'stale') {
        continue; // stale entry, or a skip on its way to the journal
      }
      if (verdict === 'wait') {
        deferred.push(next);
        continue;
      }
      start(next.task, verdict.files);
    }
    for (const item of deferred) {
      readiness.putBack(item);
    }
  }

  /** Whether a task taken off the heap starts now, waits, or no longer belongs there. */
  private _admit(next: ReadyItem): 'stale' | 'wait' | { files: ReadonlySet<string> | undefined } {
    const { readiness, running, skipping, state } = this._host;
    const id = next.task.id;
    const run = state.tasks[id];
    if (!run || !WAITING.has(readiness.stateOf(id)) || running.has(id) || skipping.has(id) || readiness.unmetOf(id) !== 0) {
      return 'stale';
    }
    if (run.parkedUntil && run.parkedUntil > this._host.now() && run.state === 'pending') {
      return 'wait';
    }
    const files = predictedFiles(next.task);
    const conflict = conflictWithRunning(running.values(), files, next.task.parallel);
    if (!conflict) {
      return { files };
    }
    if (!this._toldSerialized && conflict === 'unknown') {
      this._toldSerialized = true;
      this._host.warn(
        'tasks whose files ACA cannot predict run one at a time, unless the tasks file marks them parallel-safe (each agent works in the same folder; worktree isolation is not there yet)',
      );
    }
    return 'wait';
  }

  /** How many tasks may run at once now. */
  limit(): number {
    const { options, running } = this._host;
    const strategy = this._host.state.plan.strategy;
    let limit =
      options.concurrency ??
      (strategy.mode === 'sequential'
        ? 1
        : strategy.mode === 'intelligent'
          ? Math.max(strategy.maxConcurrent, DEFAULT_INTELLIGENT_MAX)
          : strategy.maxConcurrent);
    if (strategy.mode === 'intelligent' && options.agent.headroom) {
      limit = Math.min(limit, running.size + Math.max(0, options.agent.headroom()));
    }
    if (options.resources !== false && limit > 1) {
      limit = Math.min(limit, this._resourceLimit());
    }
    return Math.max(1, limit);
  }

  /** Agents take hundreds of MB each: as many as the free memory holds, no new one while the machine is loaded. */
  private _resourceLimit(): number {
    const resources = this._host.options.resources || {};
    const running = this._host.running.size;
    const machine = resources.probe?.() ?? { freeMemMb: os.freemem() / 1_048_576, load1: os.loadavg()[0] ?? 0, cores: os.cpus().length || 1 };
    const byMemory = running + Math.floor(machine.freeMemMb / (resources.memoryPerAgentMb ?? 500));
    const overloaded = machine.load1 / machine.cores > (resources.maxLoadPerCore ?? 1.5);
    return overloaded ? Math.max(1, running) : Math.max(1, byMemory);
  }
}

/**
 * Two tasks run together only when the files they name do not overlap, and either both name their files
 * or the tasks file marks both parallel-safe (spec-kit's `[P]`: "different files, no dependencies").
 */
export function conflictWithRunning(
  running: Iterable<RunningTask>,
  files: ReadonlySet<string> | undefined,
  parallel: boolean,
): 'unknown' | 'overlap' | undefined {
  for (const other of running) {
    if ((!files || !other.files) && !(parallel && other.parallel)) {
      return 'unknown';
    }
    for (const file of files ?? []) {
      if (other.files?.has(file)) {
        return 'overlap';
      }
    }
  }
  return undefined;
}

/**
 * The files a task says it touches: its predicted files, its references and the file names in its title
 * and description (`hello.py`, src/app.ts). Undefined when it names none: then it may touch anything.
 */
export function predictedFiles(task: Pick<Task, 'title' | 'description' | 'references'> & Partial<Pick<Task, 'files'>>): ReadonlySet<string> | undefined {
  const files = new Set([...(task.files ?? []), ...task.references.map((r) => r.path)].map((p) => path.normalize(p)));
  for (const match of `${task.title}\n${task.description}`.matchAll(/(?:^|[\s`'"(])((?:[\w.-]+\/)*[\w-]*\.[A-Za-z0-9]{1,8})(?=$|[\s`'"),:;])/g)) {
    const name = match[1];
    if (name !== undefined && !/^\d+(\.\d+)+$/.test(name) && !/^(e\.g|i\.e|etc)\.?$/i.test(name)) {
      files.add(path.normalize(name));
    }
  }
  return files.size > 0 ? files : undefined;
}
