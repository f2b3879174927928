import type { SessionState } from './events';

/** Task states that only a started attempt leads to. */
const STARTED_STATES: ReadonlySet<string> = new Set(['running', 'verifying', 'interrupted']);

/**
 * Whether the session ever ran: some task of it started (it has an attempt, or is running or interrupted) or
 * the run was paused. A session only created is not "stopped", so it is not offered for resume. Read from
 * the loaded state, never by searching journal text: a snapshot restarts journal.jsonl, and a search of it
 * would miss every event before the snapshot. A task marked done in the tasks file is not a run.
 */
export function sessionHasRun(state: SessionState): boolean {
  return state.paused !== undefined || Object.values(state.tasks).some((run) => run.attempts > 0 || STARTED_STATES.has(run.state));
}
