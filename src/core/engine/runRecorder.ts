/**
 * Everything the engine writes down about a run: the journal (each event redacted, journaled, then told to
 * the listeners), the per-task transcripts, the file snapshots around a task, and the checkbox write-back
 * into the tasks file. A failure of a record for people (a transcript, a snapshot, a checkbox) is a
 * warning, never the task's failure; a failure to journal is the caller's.
 */
import path from 'node:path';
import type { Emitter } from '../common/lifecycle';
import { redactSecrets, redactStrings } from '../common/redact';
import type { Task } from '../model/plan';
import type { DispatchEvent } from '../providers/dispatcher';
import type { Clock } from '../providers/limits';
import { redactEvent, type SessionEvent, type SessionState } from '../session/events';
import { TRANSCRIPT_FILE, TranscriptWriter, type TranscriptEntry } from '../session/transcripts';
import type { EngineEvent, EngineOptions } from './engineTypes';
import { taskMasterStatusFor, writeBackCheckbox, writeBackTaskMaster, type CheckboxMark } from './writeBack';

/** Identifiers in a dispatcher event, kept as they are when it is redacted for listeners. */
const UNREDACTED_AGENT_FIELDS: ReadonlySet<string> = new Set(['type', 'provider', 'sessionId', 'from', 'to']);

export class RunRecorder {
  private readonly _transcripts: TranscriptWriter | undefined;

  constructor(
    private readonly _options: Pick<EngineOptions, 'writer' | 'workspace' | 'writeBack' | 'fileSnapshots' | 'transcripts'>,
    private readonly _clock: Clock,
    private readonly _events: Emitter<EngineEvent>,
  ) {
    this._transcripts = _options.transcripts === false ? undefined : new TranscriptWriter(_options.writer.dir);
  }

  get state(): SessionState {
    return this._options.writer.state;
  }

  warn(message: string): void {
    this._events.fire({ type: 'warning', message });
  }

  async append(event: SessionEvent): Promise<void> {
    // The writer redacts what it journals; listeners (the CLI's --json lines) get the same redacted event.
    const safe = redactEvent(event);
    const state = await this._options.writer.append(safe);
    this._events.fire({ type: 'journal', event: safe, state });
  }

  /** A file snapshot around a task, journaled; a failure to take it is a warning, never the task's failure. */
  async snapshotFiles(taskId: string, when: 'before' | 'after'): Promise<void> {
    const snapshots = this._options.fileSnapshots;
    if (!snapshots) {
      return;
    }
    let commit: string;
    try {
      commit = await snapshots.take(`task-${taskId.replace(/[^A-Za-z0-9._-]/g, '_').replace(/\.+/g, '.')}-${when}`);
    } catch (error) {
      this.warn(`the files ${when} task ${taskId} could not be snapshotted: ${String(error)}`);
      return;
    }
    await this.append({ type: 'task_files', taskId, when, commit });
  }

  /** Adds a line to the task's transcript; the journal notes the transcript file once. */
  async record(taskId: string, entry: Omit<TranscriptEntry, 'at' | 'taskId'>): Promise<void> {
    if (!this._transcripts) {
      return;
    }
    if (!this.state.tasks[taskId]?.transcripts.includes(TRANSCRIPT_FILE)) {
      await this.append({ type: 'task_output', taskId, transcript: TRANSCRIPT_FILE });
    }
    let full: TranscriptEntry = { taskId, at: this._clock.now(), ...entry };
    try {
      full = this._transcripts.append(full);
    } catch (error) {
      // A transcript is a record for people: a disk error there must not fail the task.
      this.warn(`the transcript could not be written: ${String(error)}`);
      full = { ...full, text: redactSecrets(full.text) };
    }
    this._events.fire({ type: 'transcript', taskId, entry: full });
  }

  /** Tells the listeners of a dispatcher event (redacted), and writes its line in the task's transcript if it has one. */
  async recordDispatchEvent(taskId: string, event: DispatchEvent): Promise<void> {
    this._events.fire({ type: 'agent', taskId, event: redactStrings(event, UNREDACTED_AGENT_FIELDS) });
    const entry = transcriptEntryOf(event);
    if (entry) {
      await this.record(taskId, { ...entry, attempt: this.state.tasks[taskId]?.attempts ?? 0 });
    }
  }

  /** Marks the task's checkbox (or Task Master status) in the tasks file, when write-back is on. */
  async writeBack(task: Task, mark: CheckboxMark): Promise<void> {
    if (!this._options.writeBack || !task.source) {
      return;
    }
    const workspace = this._options.workspace;
    const file = path.resolve(workspace, task.source.file); // relative to the workspace, as the plan's source
    // Task Master keeps a status word in tasks.json; spec-kit marks done with `[X]`.
    const format = this.state.plan.source?.format;
    const written =
      format === 'task-master'
        ? writeBackTaskMaster(file, task.id, task.title, task.source.line, taskMasterStatusFor(mark), workspace)
        : writeBackCheckbox(file, task.source.line, task.title, format === 'spec-kit' && mark === 'x' ? 'X' : mark, workspace);
    const outcome = await written.catch((error: Error) => `failed: ${error.message}`);
    if (outcome !== 'written' && outcome !== 'unchanged') {
      const why =
        outcome === 'not-found' ? 'the task is no longer in the file' : outcome === 'changed' ? 'its status was changed in the file meanwhile' : outcome;
      this.warn(`${file}: the status of task ${task.id} was not updated (${why})`);
    }
  }

  async close(): Promise<void> {
    await this._transcripts?.close();
  }
}

/** The transcript line of a dispatcher event; undefined for bookkeeping events nobody reads. */
function transcriptEntryOf(event: DispatchEvent): Omit<TranscriptEntry, 'at' | 'attempt' | 'taskId'> | undefined {
  switch (event.type) {
    case 'retrying':
      return { kind: 'retry', provider: event.provider, text: `retry in ${Math.round(event.delayMs / 1000)} s: ${event.reason}` };
    case 'parked':
      return { kind: 'parked', provider: event.provider, text: `parked until ${new Date(event.until).toISOString()}: ${event.reason}` };
    case 'fallback':
      return { kind: 'fallback', provider: event.to, text: `${event.from} → ${event.to}: ${event.reason}` };
    case 'attempt':
      return undefined;
    case 'agent':
      return agentEntryOf(event.provider, event.event);
  }
}

/** The transcript line of one of the agent's own events (its text, a tool, a command…). */
function agentEntryOf(
  provider: Extract<DispatchEvent, { type: 'agent' }>['provider'],
  agent: Extract<DispatchEvent, { type: 'agent' }>['event'],
): Omit<TranscriptEntry, 'at' | 'attempt' | 'taskId'> | undefined {
  switch (agent.type) {
    case 'text':
      return agent.text.trim() ? { kind: 'text', provider, text: agent.text } : undefined;
    case 'tool':
      return { kind: 'tool', provider, text: `${agent.name}${agent.summary ? `: ${agent.summary}` : ''}` };
    case 'command':
      return { kind: 'command', provider, text: agent.command, exitCode: agent.exitCode };
    case 'file_change':
      return { kind: 'file', provider, text: `${agent.kind} ${agent.path}` };
    case 'permission_denied':
      return { kind: 'denied', provider, text: `${agent.tool}${agent.summary ? `: ${agent.summary}` : ''}` };
    case 'paced':
      return { kind: 'paced', provider, text: `waited ${(agent.delayMs / 1000).toFixed(1)} s before the next request: ${agent.reason}` };
    case 'trimmed':
      return {
        kind: 'trimmed',
        provider,
        text: `context trimmed to fit the model's ${agent.contextWindow}-token window: ${agent.outputs} old tool output(s) replaced${agent.shortened ? `, ${agent.shortened} old message(s) shortened` : ''} (about ${agent.tokensBefore} → ${agent.tokensAfter} tokens)`,
      };
    case 'decision':
      return { kind: 'decision', provider, text: `${agent.allowed ? 'allowed' : 'denied'}: ${agent.command} (${agent.why})` };
    case 'session':
      return agent.model ? { kind: 'model', provider, text: agent.model } : undefined;
    case 'error':
      return { kind: 'error', provider, text: agent.message };
    default:
      return undefined;
  }
}
