/**
 * The engine's public types: what it is given (EngineOptions, TaskAgent, Budgets, ResourceLimits) and what it
 * tells (EngineEvent, RunSummary). engine.ts re-exports them; the engine's parts import them from here, so
 * that no part imports the Engine class.
 */
import type { Clock } from '../providers/limits';
import type { DispatchEvent, DispatchResult, DispatchTask } from '../providers/dispatcher';
import type { SessionEvent, SessionState, TaskRunState } from '../session/events';
import type { SessionWriter } from '../session/sessionStore';
import type { TranscriptEntry } from '../session/transcripts';

/** What the engine needs from the provider side: the dispatcher, or an in-process provider in tests. */
export interface TaskAgent {
  run(task: DispatchTask): AsyncGenerator<DispatchEvent, DispatchResult>;
  /** How many more runs the provider side takes now (the intelligent strategy asks). */
  headroom?(): number;
}

export type FailurePolicy = 'stop' | 'skip-dependents' | 'continue';

export interface Budgets {
  readonly tokens?: number;
  readonly costUsd?: number;
  readonly wallMs?: number;
  /** Per task: an attempt that goes over is stopped and the task fails. */
  readonly taskCostUsd?: number;
  readonly taskTokens?: number;
  readonly taskWallMs?: number;
}

/** Agents take hundreds of MB each: how many may run at once on this machine now. */
export interface ResourceLimits {
  /** Memory one agent is assumed to take (default 500 MB). */
  readonly memoryPerAgentMb?: number;
  /** Start no new agent while the 1-minute load per core is above this (default 1.5). */
  readonly maxLoadPerCore?: number;
  /** For tests: the machine's numbers. */
  readonly probe?: () => { freeMemMb: number; load1: number; cores: number };
}

export interface EngineOptions {
  readonly writer: SessionWriter;
  readonly agent: TaskAgent;
  readonly workspace: string;
  /** Tasks at once; default: the plan's strategy (1 when sequential, up to 4 when intelligent). */
  readonly concurrency?: number;
  /** Attempts per task, counting verification failures and the agent's own failures (default 3). */
  readonly maxAttempts?: number;
  readonly failurePolicy?: FailurePolicy;
  /** Run when a task has no verify commands of its own. */
  readonly defaultVerify?: readonly string[];
  readonly verifyTimeoutMs?: number;
  readonly includeOptional?: boolean;
  /** Update the checkboxes of the tasks file as tasks run and finish. */
  readonly writeBack?: boolean;
  readonly budgets?: Budgets;
  readonly resources?: ResourceLimits | false;
  /** Backoff between a task's attempts (default 1 s doubling to 30 s, jittered). */
  readonly retryBackoff?: { readonly baseMs: number; readonly maxMs: number };
  readonly clock?: Clock;
  /**
   * Snapshots the workspace's files (a file checkpoint) and returns its commit: taken before a task's first
   * attempt and after it ends, so that its changes can be shown and undone. With tasks running at once, a
   * task's snapshots also hold what the others changed meanwhile.
   */
  readonly fileSnapshots?: { take(label: string): Promise<string> };
  /** Write per-task transcripts into the session folder (default true). */
  readonly transcripts?: boolean;
}

export type EngineEvent =
  | { readonly type: 'journal'; readonly event: SessionEvent; readonly state: SessionState }
  | { readonly type: 'agent'; readonly taskId: string; readonly event: DispatchEvent }
  /** A line was added to a task's transcript (already redacted). */
  | { readonly type: 'transcript'; readonly taskId: string; readonly entry: TranscriptEntry }
  | { readonly type: 'warning'; readonly message: string };

export interface RunSummary {
  /** `paused` when stopped by pause(), stop(), a budget or a "stop" failure policy; resume continues. */
  readonly outcome: 'done' | 'failed' | 'paused' | 'cancelled';
  readonly counts: Readonly<Record<TaskRunState, number>>;
  readonly reason?: string;
}
