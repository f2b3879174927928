/**
 * Per-task transcripts: what the agent said and did (messages, tool uses, commands with exit codes, file
 * changes, retries, verification, cost), one JSON line per entry, tagged with its task, in
 * `<session>/transcripts.jsonl`. They sit beside the journal rather than in it: a transcript can be long, and
 * the session state (and so every snapshot) stays small. The journal records once per task that it has a
 * transcript (`task_output`). One file written through one stream keeps the cost per entry to a buffered
 * write (the engine bench measures it). Every text passes through `redactSecrets` before it reaches the
 * disk; reading validates each line and skips the ones it cannot trust (a line cut short by a crash too).
 */
import { constants, createReadStream, createWriteStream, openSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import * as z from 'zod';
import { redactSecrets } from '../common/redact';

export const TRANSCRIPT_KINDS = [
  'attempt',
  'model',
  'text',
  'tool',
  'decision',
  'command',
  'file',
  'usage',
  'retry',
  'paced',
  'trimmed',
  'parked',
  'fallback',
  'denied',
  'verify',
  'result',
  'error',
] as const;

export const transcriptEntrySchema = z.object({
  taskId: z.string().min(1),
  /** Epoch ms. */
  at: z.number(),
  attempt: z.number().int().nonnegative(),
  kind: z.enum(TRANSCRIPT_KINDS),
  text: z.string().max(20_000),
  provider: z.string().max(100).optional(),
  exitCode: z.number().int().nullable().optional(),
  ok: z.boolean().optional(),
  tokens: z.number().int().nonnegative().optional(),
  costUsd: z.number().nonnegative().optional(),
});
export type TranscriptEntry = z.infer<typeof transcriptEntrySchema>;

/** Longest text kept per entry: a huge tool output is cut, with a note saying so. */
const MAX_TEXT = 8000;

/** The transcripts' file, relative to the session folder. */
export const TRANSCRIPT_FILE = 'transcripts.jsonl';

export class TranscriptWriter {
  private _stream: WriteStream | undefined;
  private _error: Error | undefined;

  constructor(
    private readonly _sessionDir: string,
    /** Values to hide besides those redactSecrets knows (the environment's keys, registered ones). */
    private readonly _secrets: () => readonly string[] = () => [],
  ) {}

  /**
   * Writes one entry (buffered, in order) and returns it as written: redacted, cut to its size. Throws
   * only the error of an earlier failed write, once.
   */
  append(entry: TranscriptEntry): TranscriptEntry {
    if (this._error) {
      const error = this._error;
      this._error = undefined;
      throw error;
    }
    // Redacted before it is cut: a cut could leave the start of a key that only its whole value gives away.
    const redacted = redactSecrets(entry.text, this._secrets());
    const text = redacted.length > MAX_TEXT ? `${redacted.slice(0, MAX_TEXT)}… (${redacted.length - MAX_TEXT} more characters not kept)` : redacted;
    const written: TranscriptEntry = { ...entry, text, ...(entry.provider !== undefined ? { provider: redactSecrets(entry.provider) } : {}) };
    if (!this._stream) {
      try {
        // O_NOFOLLOW: a transcripts.jsonl that came with the folder as a symlink is not appended through.
        const fd = openSync(
          path.join(this._sessionDir, TRANSCRIPT_FILE),
          constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0),
          0o600,
        );
        this._stream = createWriteStream('', { fd }).on('error', (error) => (this._error = error));
      } catch (error) {
        this._error = error instanceof Error ? error : new Error(String(error));
        return written;
      }
    }
    this._stream.write(`${JSON.stringify(written)}\n`);
    return written;
  }

  /** Writes out what is buffered and closes the file (the next append opens it again). */
  async close(): Promise<void> {
    const stream = this._stream;
    this._stream = undefined;
    if (stream && !stream.destroyed) {
      await new Promise<void>((resolve) => stream.end(resolve));
    }
  }
}

/** Reads a task's transcript; the newest `limit` entries when given. Lines that do not validate are skipped. */
export async function readTranscript(sessionDir: string, taskId: string, limit?: number): Promise<{ entries: TranscriptEntry[]; skipped: number }> {
  const entries: TranscriptEntry[] = [];
  let skipped = 0;
  const stream = createReadStream(path.join(sessionDir, TRANSCRIPT_FILE), { encoding: 'utf8' });
  try {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) {
      if (!line.trim()) {
        continue;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        skipped++;
        continue;
      }
      const entry = transcriptEntrySchema.safeParse(parsed);
      if (!entry.success) {
        skipped++;
        continue;
      }
      if (entry.data.taskId !== taskId) {
        continue;
      }
      entries.push(entry.data);
      if (limit !== undefined && entries.length > limit) {
        entries.shift();
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw error;
    }
  }
  return { entries, skipped };
}

/** One line of text per entry, as the panel and "Open Transcript" show it. */
export function describeTranscriptEntry(entry: TranscriptEntry): string {
  switch (entry.kind) {
    case 'attempt':
      return `── attempt ${entry.attempt}${entry.provider ? ` with ${entry.provider}` : ''}${entry.text ? `: ${entry.text}` : ''} ──`;
    case 'model':
      return `${entry.provider ?? 'provider'} · model ${entry.text}`;
    case 'decision':
      return `⚖ ${entry.text}`;
    case 'paced':
      return `⏸ ${entry.text}`;
    case 'trimmed':
      return `✂ ${entry.text}`;
    case 'command':
      return `$ ${entry.text}  → exit ${entry.exitCode ?? '?'}`;
    case 'file':
      return `✎ ${entry.text}`;
    case 'tool':
      return `⚙ ${entry.text}`;
    case 'usage':
      return `${entry.tokens ?? 0} tokens${entry.costUsd !== undefined ? ` · $${entry.costUsd.toFixed(4)}` : ''}`;
    case 'verify':
      return `${entry.ok ? '✓' : '✗'} verify: ${entry.text}`;
    case 'result':
      return `${entry.ok ? '✓ done' : '✗ failed'}: ${entry.text}`;
    case 'denied':
      return `⛔ permission denied: ${entry.text}`;
    case 'error':
      return `✗ ${entry.text}`;
    default:
      return entry.text;
  }
}

/** A whole transcript as plain text with times, for an editor tab. */
export function formatTranscript(taskId: string, title: string, entries: readonly TranscriptEntry[]): string {
  const lines = [`Transcript of task ${taskId}: ${title}`, ''];
  for (const entry of entries) {
    const time = new Date(entry.at).toISOString().slice(11, 19);
    lines.push(`${time}  ${describeTranscriptEntry(entry)}`);
  }
  if (entries.length === 0) {
    lines.push('(nothing recorded yet: the task has not run)');
  }
  return `${lines.join('\n')}\n`;
}
