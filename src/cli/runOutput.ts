/** What `aca run` and `aca resume` print while a run goes: a line per event, the JSON stream, the final table. */
import type { EngineEvent, RunSummary } from '../core/engine/engine';
import type { SessionState } from '../core/session/events';
import { formatDuration, progressReport } from '../core/session/progress';

/** Plans are large: the JSON stream names them instead of repeating them. */
export function withoutPlan(event: object): object {
  return 'plan' in event ? { ...event, plan: '(omitted)' } : event;
}

/** The event as a JSON line for --json, or undefined for events the stream does not carry. */
export function jsonLine(event: EngineEvent): string | undefined {
  if (event.type === 'journal') {
    return JSON.stringify({ type: event.event.type, seq: event.state.seq, ...withoutPlan(event.event) });
  }
  if (event.type === 'agent') {
    return JSON.stringify({ type: 'agent', taskId: event.taskId, event: event.event });
  }
  return undefined;
}

function describeAgent(event: Extract<EngineEvent, { type: 'agent' }>, verbose: boolean | undefined): string | undefined {
  const e = event.event;
  switch (e.type) {
    case 'retrying':
      return `  ${event.taskId}: ${e.provider} failed (${e.reason}); retry ${e.attempt} in ${Math.round(e.delayMs / 1000)} s`;
    case 'parked':
      return `  ${event.taskId}: ${e.provider} is out until ${new Date(e.until).toLocaleString()} (${e.reason}); the task waits`;
    case 'fallback':
      return `  ${event.taskId}: continuing on ${e.to} (${e.from}: ${e.reason})`;
    case 'agent':
      if (verbose && (e.event.type === 'text' || e.event.type === 'tool' || e.event.type === 'command')) {
        const what =
          e.event.type === 'text'
            ? e.event.text
            : e.event.type === 'tool'
              ? `${e.event.name} ${e.event.summary}`
              : `$ ${e.event.command} → ${e.event.exitCode}`;
        return `  ${event.taskId} │ ${what.replace(/\s+/g, ' ').slice(0, 200)}`;
      }
      if (e.event.type === 'permission_denied') {
        return `  ${event.taskId}: ${e.provider} was denied ${e.event.tool} ${e.event.summary}`;
      }
      return undefined;
    default:
      return undefined;
  }
}

function describeJournal(event: Extract<EngineEvent, { type: 'journal' }>, titles: ReadonlyMap<string, string>, concurrency: number): string | undefined {
  const e = event.event;
  const title = 'taskId' in e ? `${e.taskId} ${titles.get(e.taskId) ?? ''}`.trim() : '';
  switch (e.type) {
    case 'task_started':
      return `▶ ${title}${e.attempt > 1 ? ` (attempt ${e.attempt})` : ''}`;
    case 'task_verifying':
      return `  ${e.taskId}: verifying`;
    case 'task_done': {
      const progress = progressReport(event.state, concurrency);
      return `✔ ${title}  [${progress.done}/${progress.total}${progress.etaMs !== undefined ? ` · ETA ${formatDuration(progress.etaMs)}` : ''}]`;
    }
    case 'task_failed':
      return `${e.retryable ? '↻' : '✘'} ${title}: ${e.error.split('\n')[0] ?? ''}${e.retryable ? ' — retrying' : ''}`;
    case 'task_blocked':
      return `⊘ ${title}: blocked, ${e.reason}`;
    case 'task_skipped':
      return `- ${title}: skipped (${e.reason})`;
    case 'task_cancelled':
      return `✘ ${title}: cancelled`;
    case 'task_interrupted':
      return `⏸ ${title}: ${e.reason}`;
    default:
      return undefined;
  }
}

/** The progress line of an engine event, or undefined for events that print none. */
export function describeEvent(event: EngineEvent, titles: ReadonlyMap<string, string>, verbose: boolean | undefined, concurrency: number): string | undefined {
  if (event.type === 'warning') {
    return `warning: ${event.message}`;
  }
  if (event.type === 'transcript') {
    return undefined; // --verbose prints the agent's events as they come
  }
  return event.type === 'agent' ? describeAgent(event, verbose) : describeJournal(event, titles, concurrency);
}

export function emptyCounts(): RunSummary['counts'] {
  return { pending: 0, running: 0, verifying: 0, done: 0, failed: 0, blocked: 0, skipped: 0, cancelled: 0, interrupted: 0 };
}

/** The final table: a row per task with its state, attempts, time, tokens and cost. */
export function runTable(state: SessionState): string {
  const rows = state.plan.tasks.map((task) => {
    const run = state.tasks[task.id];
    return [
      task.id,
      task.title.slice(0, 48),
      run?.state ?? 'pending',
      String(run?.attempts ?? 0),
      run?.durationMs !== undefined ? formatDuration(run.durationMs) : '-',
      String((run?.inputTokens ?? 0) + (run?.outputTokens ?? 0)),
      run && run.costUsd > 0 ? `$${run.costUsd.toFixed(4)}` : '-',
    ];
  });
  const header = ['id', 'task', 'status', 'attempts', 'time', 'tokens', 'cost'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const format = (row: string[]): string =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}

/** One line of counts and the time the run took. */
export function countsLine(summary: RunSummary, elapsedMs: number): string {
  const counts = summary.counts;
  return `${counts.done} done, ${counts.failed} failed, ${counts.blocked} blocked, ${counts.skipped} skipped, ${counts.cancelled} cancelled, ${counts.pending + counts.interrupted} not run, in ${(elapsedMs / 1000).toFixed(1)} s`;
}
