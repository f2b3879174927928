/**
 * Session events and the state they fold into. The journal stores events; the state is always
 * `events.reduce(applyEvent)`, so a crash can lose at most an event that was never acknowledged.
 */
import * as z from 'zod';
import { redactStrings } from '../common/redact';
import { planSchema } from '../model/plan';

export const SESSION_SCHEMA_VERSION = 1;

const taskId = z.string().min(1);

export const sessionEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('session_created'), sessionId: z.string().min(1), plan: planSchema }),
  z.object({ type: z.literal('task_started'), taskId, attempt: z.number().int().positive(), provider: z.string().optional() }),
  /** The provider's own session: an interrupted task continues this conversation on resume. */
  z.object({ type: z.literal('task_provider_session'), taskId, provider: z.string().min(1), sessionId: z.string().min(1) }),
  z.object({ type: z.literal('task_verifying'), taskId }),
  /** Waiting for a usage limit to reset (epoch ms). */
  z.object({ type: z.literal('task_parked'), taskId, until: z.number(), reason: z.string() }),
  z.object({ type: z.literal('task_blocked'), taskId, reason: z.string() }),
  z.object({ type: z.literal('task_cancelled'), taskId }),
  /** Stopped on purpose to pause the run (Ctrl-C, a budget): it continues its conversation on resume. */
  z.object({ type: z.literal('task_interrupted'), taskId, reason: z.string() }),
  /** Ready to run again (a retry asked for by the user, a failed verification about to be retried). */
  z.object({ type: z.literal('task_reset'), taskId }),
  z.object({ type: z.literal('run_paused'), reason: z.string() }),
  z.object({ type: z.literal('task_output'), taskId, transcript: z.string().min(1) }),
  /** Snapshots of the workspace's files (commits of the file checkpoints) before the task's first attempt, and after it ended. */
  z.object({ type: z.literal('task_files'), taskId, when: z.enum(['before', 'after']), commit: z.string().regex(/^[0-9a-f]{40,64}$/) }),
  z.object({
    type: z.literal('task_usage'),
    taskId,
    inputTokens: z.number().int().nonnegative(),
    outputTokens: z.number().int().nonnegative(),
    costUsd: z.number().nonnegative().optional(),
  }),
  /** `summary`: the agent's final message, handed to the tasks that depend on this one. */
  z.object({ type: z.literal('task_done'), taskId, summary: z.string().optional(), durationMs: z.number().nonnegative().optional() }),
  z.object({ type: z.literal('task_failed'), taskId, error: z.string(), retryable: z.boolean(), durationMs: z.number().nonnegative().optional() }),
  z.object({ type: z.literal('task_skipped'), taskId, reason: z.string() }),
  z.object({
    type: z.literal('checkpoint_created'),
    checkpointId: z.string().min(1),
    description: z.string(),
    trigger: z.enum(['manual', 'task_completed', 'interval', 'before_risky_step', 'on_error']),
  }),
  z.object({ type: z.literal('plan_edited'), plan: planSchema }),
  /** The task states were put back to those of a checkpoint (its files are restored alongside). */
  z.object({
    type: z.literal('checkpoint_restored'),
    checkpointId: z.string().min(1),
    tasks: z.record(
      z.string(),
      z.lazy(() => taskRunSchema),
    ),
  }),
]);
export type SessionEvent = z.infer<typeof sessionEventSchema>;

/**
 * Fields copied as they are when an event is redacted: identifiers and hashes the fold matches on, and the
 * plan, which is the user's own tasks file (redacting it would change the commands a resume runs).
 */
const UNREDACTED_FIELDS: ReadonlySet<string> = new Set([
  'type',
  'taskId',
  'sessionId',
  'checkpointId',
  'commit',
  'plan',
  'provider',
  'providerSessionId',
  'filesBefore',
  'filesAfter',
  'transcript',
  'transcripts',
  'state',
  'trigger',
  'when',
]);

/** The event with every credential in its texts (a summary, an error, verify output) replaced by [REDACTED]. */
export function redactEvent(event: SessionEvent): SessionEvent {
  return redactStrings(event, UNREDACTED_FIELDS);
}

/** Events that must be on disk (fsync) before the call that appends them returns. */
// A lost task_started or task_provider_session (power loss; a process crash loses nothing written) only
// means the task runs again from the start: that is what it would do anyway. A lost task_done would run
// finished work twice, so it is synced.
export const DURABLE_EVENTS: ReadonlySet<SessionEvent['type']> = new Set([
  'session_created',
  'task_done',
  'checkpoint_created',
  'plan_edited',
  'checkpoint_restored',
]);

export const TASK_RUN_STATES = ['pending', 'running', 'verifying', 'done', 'failed', 'blocked', 'skipped', 'cancelled', 'interrupted'] as const;
export type TaskRunState = (typeof TASK_RUN_STATES)[number];

export const taskRunSchema = z.object({
  state: z.enum(TASK_RUN_STATES),
  attempts: z.number().int().nonnegative(),
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  costUsd: z.number().nonnegative(),
  error: z.string().optional(),
  transcripts: z.array(z.string()),
  summary: z.string().optional(),
  provider: z.string().optional(),
  providerSessionId: z.string().optional(),
  parkedUntil: z.number().optional(),
  /** File snapshots around the task: what it changed is the difference (Show Changes, Restore Files). */
  filesBefore: z.string().optional(),
  filesAfter: z.string().optional(),
  /** Time spent in attempts so far (for the ETA of similar tasks). */
  durationMs: z.number().nonnegative().optional(),
});
export type TaskRun = z.infer<typeof taskRunSchema>;

export const sessionStateSchema = z.object({
  version: z.literal(SESSION_SCHEMA_VERSION),
  sessionId: z.string().min(1),
  /** The sequence number of the last event folded in. */
  seq: z.number().int().nonnegative(),
  plan: planSchema,
  tasks: z.record(z.string(), taskRunSchema),
  checkpoints: z.array(z.object({ id: z.string(), description: z.string(), trigger: z.string(), seq: z.number().int() })),
  /** Why the run last paused (a budget, the user, Ctrl-C); cleared when a task starts again. */
  paused: z.string().optional(),
});
export type SessionState = z.infer<typeof sessionStateSchema>;

function freshRun(): TaskRun {
  return { state: 'pending', attempts: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, transcripts: [] };
}

/** The state after `event` (with sequence number `seq`). Pure: the inputs are not changed. */
export function applyEvent(state: SessionState | undefined, event: SessionEvent, seq: number): SessionState {
  if (event.type === 'session_created' || !state) {
    return applyEventInPlace(state, event, seq);
  }
  return applyEventInPlace({ ...state, tasks: { ...state.tasks } }, event, seq);
}

/**
 * The same fold, changing `state` itself: for replay on load, where nothing else holds the state and
 * copying the task map for every event would make resume cost events × tasks. Longer than 80 lines on
 * purpose: one short case per event type, so the whole fold reads in one place.
 */
export function applyEventInPlace(state: SessionState | undefined, event: SessionEvent, seq: number): SessionState {
  if (event.type === 'session_created') {
    return {
      version: SESSION_SCHEMA_VERSION,
      sessionId: event.sessionId,
      seq,
      plan: event.plan,
      tasks: Object.fromEntries(event.plan.tasks.map((t) => [t.id, t.status === 'done' ? { ...freshRun(), state: 'done' as const } : freshRun()])),
      checkpoints: [],
    };
  }
  if (!state) {
    throw new Error(`event ${seq} (${event.type}) comes before session_created`);
  }
  const next = state;
  next.seq = seq;
  const update = (id: string, change: (run: TaskRun) => TaskRun): void => {
    next.tasks[id] = change(next.tasks[id] ?? freshRun());
  };
  switch (event.type) {
    case 'task_started':
      update(event.taskId, (run) => ({
        ...without(run, 'parkedUntil', 'error'),
        state: 'running',
        attempts: Math.max(run.attempts, event.attempt),
        ...(event.provider ? { provider: event.provider } : {}),
      }));
      delete next.paused;
      break;
    case 'task_provider_session':
      update(event.taskId, (run) => ({ ...run, provider: event.provider, providerSessionId: event.sessionId }));
      break;
    case 'task_verifying':
      update(event.taskId, (run) => ({ ...run, state: 'verifying' }));
      break;
    case 'task_parked':
      update(event.taskId, (run) => ({ ...run, parkedUntil: event.until, error: event.reason }));
      break;
    case 'task_blocked':
      update(event.taskId, (run) => ({ ...run, state: 'blocked', error: event.reason }));
      break;
    case 'task_cancelled':
      update(event.taskId, (run) => ({ ...run, state: 'cancelled' }));
      break;
    case 'task_interrupted':
      update(event.taskId, (run) => ({ ...run, state: 'interrupted', error: event.reason }));
      break;
    case 'task_reset':
      update(event.taskId, (run) => ({ ...without(run, 'providerSessionId', 'parkedUntil'), state: 'pending' }));
      break;
    case 'run_paused':
      next.paused = event.reason;
      break;
    case 'task_output':
      update(event.taskId, (run) => ({ ...run, transcripts: [...run.transcripts, event.transcript] }));
      break;
    case 'task_files':
      update(event.taskId, (run) => ({ ...run, ...(event.when === 'before' ? { filesBefore: event.commit } : { filesAfter: event.commit }) }));
      break;
    case 'task_usage':
      update(event.taskId, (run) => ({
        ...run,
        inputTokens: run.inputTokens + event.inputTokens,
        outputTokens: run.outputTokens + event.outputTokens,
        costUsd: run.costUsd + (event.costUsd ?? 0),
      }));
      break;
    case 'task_done':
      update(event.taskId, (run) => ({
        ...run,
        state: 'done',
        ...(event.summary !== undefined ? { summary: event.summary } : {}),
        ...addDuration(run, event.durationMs),
      }));
      break;
    case 'task_failed':
      update(event.taskId, (run) => ({ ...run, state: 'failed', error: event.error, ...addDuration(run, event.durationMs) }));
      break;
    case 'task_skipped':
      update(event.taskId, (run) => ({ ...run, state: 'skipped', error: event.reason }));
      break;
    case 'checkpoint_created':
      next.checkpoints = [...next.checkpoints, { id: event.checkpointId, description: event.description, trigger: event.trigger, seq }];
      break;
    case 'checkpoint_restored':
      next.tasks = { ...event.tasks };
      break;
    case 'plan_edited':
      next.plan = event.plan;
      for (const task of event.plan.tasks) {
        next.tasks[task.id] ??= freshRun();
      }
      break;
  }
  return next;
}

function addDuration(run: TaskRun, ms: number | undefined): { durationMs?: number } {
  return ms === undefined ? {} : { durationMs: (run.durationMs ?? 0) + ms };
}

function without<K extends keyof TaskRun>(run: TaskRun, ...keys: K[]): Omit<TaskRun, K> {
  const copy = { ...run };
  for (const key of keys) {
    delete copy[key];
  }
  return copy;
}

/** On load after a crash: a task that was running did not finish, so it runs again. */
export function markInterrupted(state: SessionState): { state: SessionState; interrupted: string[] } {
  const running = Object.entries(state.tasks).filter(([, run]) => run.state === 'running' || run.state === 'verifying');
  const interrupted = running.map(([id]) => id);
  if (interrupted.length === 0) {
    return { state, interrupted };
  }
  const tasks = { ...state.tasks };
  for (const [id, run] of running) {
    tasks[id] = { ...run, state: 'interrupted' };
  }
  return { state: { ...state, tasks }, interrupted };
}
