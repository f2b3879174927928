/**
 * Loading a session and recovering it: the newest readable snapshot, then the journal segments and the live
 * journal replayed onto it, stopping at the first damaged or torn line. What was damaged is kept aside and
 * reported as a Repair; only the lock holder writes repairs (see LoadOptions.repair).
 */
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyEventInPlace, markInterrupted, SESSION_SCHEMA_VERSION, sessionStateSchema, type SessionState } from './events';
import { isSeedSession, migrateSeedSession } from './seedSession';
import { SessionError } from './sessionError';
import { assertSessionFolder, exists, journalSegments, readSessionFile, writeFileAtomic } from './sessionFiles';
import { crc32, headerIntact, headerSchema, headerText, parseJournalLine, snapshotSchema, snapshotText, type SessionHeader } from './sessionFormat';

/** Something recovery changed, and where the original went. */
export interface Repair {
  readonly file: string;
  readonly what: string;
  /** Where the damaged data was kept, when it was moved aside. */
  readonly keptAt?: string;
}

export interface LoadedSession {
  readonly dir: string;
  readonly state: SessionState;
  readonly repairs: readonly Repair[];
  /** Tasks that were running when the last writer stopped: they run again. */
  readonly interrupted: readonly string[];
  /** The header's owner tag (see owner.ts); absent in sessions of older ACAs and in rebuilt headers. */
  readonly owner?: string;
}

export interface LoadOptions {
  /**
   * Write repairs to disk (move damage aside, rewrite the journal, rebuild the header, migrate). Only
   * the lock holder may: a reader repairing a journal that another process is appending to would lose
   * that writer's events. Readers get the same state, and the repairs reported as not yet made.
   */
  readonly repair?: boolean;
}

const READ_ONLY_NOTE = ' (seen read-only: repaired when the session is next opened for writing)';

/** Reads a session folder, recovering what is safe; throws SessionError only when nothing can be recovered. */
export async function loadSession(dir: string, options: LoadOptions = {}): Promise<LoadedSession> {
  const repair = options.repair ?? false;
  const repairs: Repair[] = [];
  await assertSessionFolder(dir);
  const migrated = await migrateSeedSessionFolder(dir, repairs, repair);
  if (migrated) {
    return { dir, state: migrated, repairs, interrupted: [] };
  }
  const header = await readHeader(dir, repairs, repair);
  let state = await newestSnapshot(dir, repairs, repair);
  // Archived segments first (in order), then the live journal; events already in the snapshot are skipped.
  const files = [...(await journalSegments(dir)).map((segment) => segment.file), path.join(dir, 'journal.jsonl')];
  for (const journalFile of files) {
    const live = journalFile.endsWith('journal.jsonl');
    const text = await readSessionFile(journalFile).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') {
        throw error;
      }
      if (live && state) {
        repairs.push({ file: journalFile, what: 'journal missing; continuing from the snapshot' });
      }
      return '';
    });
    const replay = replayJournal(text, state);
    state = replay.state;
    if (replay.damage) {
      if (repair) {
        const keptAt = `${journalFile}.damaged-${Date.now()}`;
        await writeFile(keptAt, text.slice(replay.goodBytes));
        await writeFileAtomic(journalFile, text.slice(0, replay.goodBytes));
        repairs.push({ file: journalFile, what: replay.damage, keptAt });
      } else {
        repairs.push({ file: journalFile, what: `${replay.damage}${READ_ONLY_NOTE}` });
      }
      if (!live) {
        break; // later segments cannot follow a gap
      }
    }
  }
  if (!state) {
    throw new SessionError(
      'unrecoverable',
      `session ${header?.sessionId ?? path.basename(dir)} has no readable snapshot and no readable start of its journal; its files were left as they are`,
    );
  }
  if (!header) {
    if (repair) {
      await writeFileAtomic(path.join(dir, 'session.json'), headerText(state.sessionId, new Date().toISOString(), state.plan.name));
    }
    repairs.push({ file: path.join(dir, 'session.json'), what: `header rebuilt from the journal/snapshot${repair ? '' : READ_ONLY_NOTE}` });
  }
  correctSafely(state, dir, repairs);
  const { state: resumed, interrupted } = markInterrupted(state);
  return { dir, state: resumed, repairs, interrupted, ...(header?.owner ? { owner: header.owner } : {}) };
}

/** Replays one journal file onto `state`, stopping at the first damaged, torn or out-of-order line. */
function replayJournal(text: string, start: SessionState | undefined): { state: SessionState | undefined; goodBytes: number; damage?: string } {
  let state = start;
  const lines = text.split('\n');
  // The piece after the last newline is either empty or a torn (partly written) line.
  const complete = lines.slice(0, -1);
  const torn = lines[lines.length - 1] !== '';
  let goodBytes = 0;
  for (const [i, line] of complete.entries()) {
    const parsed = parseJournalLine(line);
    if (parsed && state && parsed.seq <= state.seq) {
      goodBytes += Buffer.byteLength(line) + 1; // already in the snapshot
      continue;
    }
    if (!parsed || parsed.seq !== (state?.seq ?? 0) + 1 || (!state && parsed.event.type !== 'session_created')) {
      return { state, goodBytes, damage: `journal line ${i + 1} is damaged (checksum, order or content); replay stopped at the event before it` };
    }
    try {
      // In place: `state` is the loader's own copy (a fresh snapshot parse or an earlier fold).
      state = applyEventInPlace(state, parsed.event, parsed.seq);
    } catch {
      return { state, goodBytes, damage: `journal line ${i + 1} does not apply to the session; replay stopped before it` };
    }
    goodBytes += Buffer.byteLength(line) + 1;
  }
  return torn ? { state, goodBytes, damage: 'the last journal line was torn (partly written); it was dropped' } : { state, goodBytes };
}

/** What is safe to correct on load: runs of tasks no longer in the plan, plan tasks without a run. */
function correctSafely(state: SessionState, dir: string, repairs: Repair[]): void {
  const planIds = new Set(state.plan.tasks.map((t) => t.id));
  const orphans = Object.keys(state.tasks).filter((id) => !planIds.has(id));
  for (const id of orphans) {
    delete state.tasks[id];
  }
  const missing = [...planIds].filter((id) => !(id in state.tasks));
  for (const id of missing) {
    state.tasks[id] = { state: 'pending', attempts: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, transcripts: [] };
  }
  if (orphans.length || missing.length) {
    repairs.push({
      file: dir,
      what: `corrected task records: ${orphans.length} without a task in the plan dropped, ${missing.length} missing added as pending`,
    });
  }
}

/**
 * The original Rust tool kept a session as `<id>/meta/session.json` under the same `.aca/sessions`. Such a
 * folder is migrated forward once: an ACA header and snapshot are written beside it; its own files stay.
 */
async function migrateSeedSessionFolder(dir: string, repairs: Repair[], write: boolean): Promise<SessionState | undefined> {
  const original = path.join(dir, 'meta', 'session.json');
  if ((await exists(path.join(dir, 'session.json'))) || !(await exists(original))) {
    return undefined;
  }
  const data = JSON.parse(await readSessionFile(original)) as unknown;
  if (!isSeedSession(data)) {
    return undefined;
  }
  const state = migrateSeedSession(data, original);
  if (!write) {
    repairs.push({ file: original, what: `in the original aca session format; migrated in memory${READ_ONLY_NOTE}` });
    return state;
  }
  await mkdir(path.join(dir, 'snapshots'), { recursive: true });
  await writeFileAtomic(path.join(dir, 'snapshots', `${state.seq}.json`), snapshotText(state));
  await writeFileAtomic(path.join(dir, 'journal.jsonl'), '');
  // No owner tag: the original tool kept none, so a migrated session is resumed only by an explicit choice.
  await writeFileAtomic(path.join(dir, 'session.json'), headerText(state.sessionId, new Date().toISOString(), state.plan.name));
  repairs.push({ file: original, what: 'migrated from the original aca session format; meta/session.json was kept as it was' });
  return undefined; // load the migrated files the normal way
}

/** The header, or undefined when it must be rebuilt (missing beside a journal, damaged); throws for a newer format. */
async function readHeader(dir: string, repairs: Repair[], repair: boolean): Promise<SessionHeader | undefined> {
  const file = path.join(dir, 'session.json');
  let raw: string;
  try {
    raw = await readSessionFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      if (!(await exists(path.join(dir, 'journal.jsonl'))) && !(await exists(path.join(dir, 'snapshots')))) {
        throw new SessionError('not-found', `no session in ${dir}`);
      }
      return undefined;
    }
    throw error;
  }
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    data = undefined; // not JSON: handled below as a damaged header
  }
  // The version first: a newer ACA may checksum its header differently, and taking its header for a
  // damaged one would rewrite it as this format. A flipped bit in `version` is refused the same way, which
  // changes nothing on disk either.
  const version = typeof data === 'object' && data !== null ? (data as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > SESSION_SCHEMA_VERSION) {
    throw new SessionError(
      'future-version',
      `${file} is session format ${version}; this ACA reads up to ${SESSION_SCHEMA_VERSION}. Update ACA to open it; the file was not changed.`,
    );
  }
  if (!headerIntact(data)) {
    data = undefined; // damaged: rebuilt below like an unreadable one
  }
  const header = headerSchema.safeParse(data);
  if (!header.success) {
    if (repair) {
      const keptAt = `${file}.damaged-${Date.now()}`;
      await rename(file, keptAt);
      repairs.push({ file, what: 'header unreadable; it will be rebuilt', keptAt });
    } else {
      repairs.push({ file, what: `header unreadable${READ_ONLY_NOTE}` });
    }
    return undefined;
  }
  return header.data;
}

/** The newest snapshot whose CRC holds; damaged newer ones are moved aside (when repairing). */
async function newestSnapshot(dir: string, repairs: Repair[], repair: boolean): Promise<SessionState | undefined> {
  const snapshotsDir = path.join(dir, 'snapshots');
  // No snapshots folder (or an unreadable one): the journal is replayed from its start.
  const names = (await readdir(snapshotsDir).catch(() => [] as string[])).filter((n) => /^\d+\.json$/.test(n));
  names.sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
  for (const name of names) {
    const file = path.join(snapshotsDir, name);
    const state = await readSnapshot(file);
    if (state.ok) {
      return state.state;
    }
    if (state.future) {
      throw new SessionError(
        'future-version',
        `${file} is session format ${state.future}; this ACA reads up to ${SESSION_SCHEMA_VERSION}. The file was not changed.`,
      );
    }
    if (repair) {
      const keptAt = `${file}.damaged`;
      await rename(file, keptAt);
      repairs.push({ file, what: 'snapshot damaged; using the one before it', keptAt });
    } else {
      repairs.push({ file, what: `snapshot damaged; using the one before it${READ_ONLY_NOTE}` });
    }
  }
  return undefined;
}

async function readSnapshot(file: string): Promise<{ ok: true; state: SessionState } | { ok: false; future?: number }> {
  try {
    const parsed = snapshotSchema.parse(JSON.parse(await readSessionFile(file)));
    if (parsed.version > SESSION_SCHEMA_VERSION) {
      return { ok: false, future: parsed.version };
    }
    const stateText = JSON.stringify(parsed.state);
    if (crc32(stateText) !== parsed.crc) {
      return { ok: false };
    }
    return { ok: true, state: sessionStateSchema.parse(parsed.state) };
  } catch {
    return { ok: false }; // unreadable or malformed: the caller reports it as damaged and falls back
  }
}
