/**
 * Sessions on disk: a write-ahead journal (one `crc32 json` line per event), atomic snapshots of the
 * folded state, recovery that keeps whatever was damaged aside and says what it repaired, and a lock so
 * that one writer owns a session.
 *
 * sessions/<id>/session.json     header: schema version, id, created, plan name
 *               journal.jsonl    events after the last snapshot
 *               snapshots/<seq>.json
 *               lock
 */
import { randomBytes } from 'node:crypto';
import { close, constants, fstat, fsync, open, writeSync } from 'node:fs';
import { lstat, lutimes, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { z } from 'zod';
import type { Plan } from '../model/plan';
import { assertAcaFolderInsideWorkspace, writeFileSafely } from '../common/safeWrite';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { acquireLock, LOCK_HEARTBEAT_MS, releaseLock } from './lock';
import { sessionOwner, type SessionOwner } from './owner';
import { SessionError } from './sessionError';
import { isSeedSession, migrateSeedSession } from './seedSession';
import { applyEventInPlace, DURABLE_EVENTS, markInterrupted, redactEvent, SESSION_SCHEMA_VERSION, sessionEventSchema, sessionStateSchema, type SessionEvent, type SessionState } from './events';

export { SessionError, type SessionFailure } from './sessionError';
export { breakLock, lockHolderAlive, lockHolderPid, OTHER_HOST_LOCK_TTL_MS } from './lock';

/** Something recovery changed, and where the original went. */
export interface Repair {
  readonly file: string;
  readonly what: string;
  /** Where the damaged data was kept, when it was moved aside. */
  readonly keptAt?: string;
}

const headerSchema = z.object({ version: z.number().int(), sessionId: z.string().min(1), created: z.string(), name: z.string(), owner: z.string().optional(), crc: z.string().optional() });
const snapshotSchema = z.object({ version: z.number().int(), crc: z.string(), state: z.unknown() });

const fsyncFd = promisify(fsync);
function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length; ) {
    offset += writeSync(fd, bytes, offset, bytes.length - offset);
  }
}
const openFd = promisify(open);
const fstatFd = promisify(fstat);
const closeFd = promisify(close);

// --- CRC-32 (IEEE), for journal lines and snapshots ---------------------------------------------------
const nativeCrc32 = (zlib as { crc32?: (data: string) => number }).crc32;
const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) {
      c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    }
    table[n] = c >>> 0;
  }
  return table;
})();

export function crc32(text: string): string {
  // Node's native CRC-32 (20.15+) when present; the table below otherwise.
  if (nativeCrc32) {
    return nativeCrc32(text).toString(16).padStart(8, '0');
  }
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

/** RFC 9562 UUIDv7: time-ordered, so names sort oldest first. */
export function uuidv7(now = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = (bytes[6]! & 0x0f) | 0x70;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Writes a file so that a reader sees the old or the new content, never a mix (temp, fsync, rename, fsync
 * dir), and never through a symlink planted in a session folder.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await writeFileSafely(file, content);
}

async function syncDir(dir: string): Promise<void> {
  const fd = await openFd(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

// --- loading and recovery -----------------------------------------------------------------------------

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
    throw new SessionError('unrecoverable', `session ${header?.sessionId ?? path.basename(dir)} has no readable snapshot and no readable start of its journal; its files were left as they are`);
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

/**
 * Session files are read and written only as regular files in a real folder: a session can come with a
 * repository, and a `journal.jsonl -> /dev/zero` or `-> ~/.bashrc` must not be read or appended to.
 */
async function assertSessionFolder(dir: string): Promise<void> {
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new SessionError('not-found', `no session in ${dir}`);
    }
    throw error;
  });
  if (!info.isDirectory()) {
    throw new SessionError('unrecoverable', `${dir} is not a folder (a symbolic link?); ACA does not follow links in a session; its files were left as they are`);
  }
}

function notRegular(file: string): SessionError {
  return new SessionError('unrecoverable', `${file} is not a regular file (a symbolic link or a device?); ACA does not follow links in a session; its files were left as they are`);
}

const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

/** Reads a session file that must be a regular file (never through a symlink); ENOENT is passed on. */
export async function readSessionFile(file: string): Promise<string> {
  try {
    // No size limit: a long session's journal is as big as it is, and only a regular file is read.
    return (await readRegularFile(file, Number.POSITIVE_INFINITY, { noFollow: true })).toString('utf8');
  } catch (error) {
    if (UnsafeFileError.is(error) || (error as NodeJS.ErrnoException).code === 'ELOOP') {
      throw notRegular(file);
    }
    throw error;
  }
}

/** Replays one journal file onto `state`, stopping at the first damaged, torn or out-of-order line. */
function replayJournal(text: string, start: SessionState | undefined): { state: SessionState | undefined; goodBytes: number; damage?: string } {
  let state = start;
  const lines = text.split('\n');
  // The piece after the last newline is either empty or a torn (partly written) line.
  const complete = lines.slice(0, -1);
  const torn = lines[lines.length - 1] !== '';
  let goodBytes = 0;
  for (let i = 0; i < complete.length; i++) {
    const line = complete[i]!;
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

async function journalSegments(dir: string): Promise<Array<{ seq: number; file: string }>> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((name) => /^journal-(\d+)\.jsonl$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ seq: Number(match[1]), file: path.join(dir, match[0]) }))
    .sort((a, b) => a.seq - b.seq);
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
    repairs.push({ file: dir, what: `corrected task records: ${orphans.length} without a task in the plan dropped, ${missing.length} missing added as pending` });
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
  const stateText = JSON.stringify(state);
  await writeFileAtomic(path.join(dir, 'snapshots', `${state.seq}.json`), JSON.stringify({ version: SESSION_SCHEMA_VERSION, crc: crc32(stateText), state }));
  await writeFileAtomic(path.join(dir, 'journal.jsonl'), '');
  // No owner tag: the original tool kept none, so a migrated session is resumed only by an explicit choice.
  await writeFileAtomic(path.join(dir, 'session.json'), headerText(state.sessionId, new Date().toISOString(), state.plan.name));
  repairs.push({ file: original, what: 'migrated from the original aca session format; meta/session.json was kept as it was' });
  return undefined; // load the migrated files the normal way
}

/** The header carries a CRC of its fields, so that damage is seen and the header rebuilt. */
function headerText(sessionId: string, created: string, name: string, owner?: string): string {
  const fields = { version: SESSION_SCHEMA_VERSION, sessionId, created, name, ...(owner ? { owner } : {}) };
  return `${JSON.stringify({ ...fields, crc: crc32(JSON.stringify(fields)) }, null, 2)}\n`;
}

function headerIntact(data: unknown): boolean {
  if (typeof data !== 'object' || data === null || !('crc' in data)) {
    return true; // headers written before the CRC existed
  }
  // `owner` is left out of the JSON when absent, as in headers written before it existed.
  const { crc, version, sessionId, created, name, owner } = data as Record<string, unknown>;
  return crc === crc32(JSON.stringify({ version, sessionId, created, name, owner }));
}

async function readHeader(dir: string, repairs: Repair[], repair: boolean): Promise<z.infer<typeof headerSchema> | undefined> {
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
    data = undefined;
  }
  // The version first: a newer ACA may checksum its header differently, and taking its header for a
  // damaged one would rewrite it as this format. A flipped bit in `version` is refused the same way, which
  // changes nothing on disk either.
  const version = typeof data === 'object' && data !== null ? (data as { version?: unknown }).version : undefined;
  if (typeof version === 'number' && version > SESSION_SCHEMA_VERSION) {
    throw new SessionError('future-version', `${file} is session format ${version}; this ACA reads up to ${SESSION_SCHEMA_VERSION}. Update ACA to open it; the file was not changed.`);
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

async function newestSnapshot(dir: string, repairs: Repair[], repair: boolean): Promise<SessionState | undefined> {
  const snapshotsDir = path.join(dir, 'snapshots');
  const names = (await readdir(snapshotsDir).catch(() => [] as string[])).filter((n) => /^\d+\.json$/.test(n));
  names.sort((a, b) => Number.parseInt(b, 10) - Number.parseInt(a, 10));
  for (const name of names) {
    const file = path.join(snapshotsDir, name);
    const state = await readSnapshot(file);
    if (state.ok) {
      return state.state;
    }
    if (state.future) {
      throw new SessionError('future-version', `${file} is session format ${state.future}; this ACA reads up to ${SESSION_SCHEMA_VERSION}. The file was not changed.`);
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
    return { ok: false };
  }
}

function parseJournalLine(line: string): { seq: number; event: SessionEvent } | undefined {
  const space = line.indexOf(' ');
  if (space !== 8) {
    return undefined;
  }
  const body = line.slice(9);
  if (crc32(body) !== line.slice(0, 8)) {
    return undefined;
  }
  try {
    const record = JSON.parse(body) as { seq?: unknown; event?: unknown };
    const event = sessionEventSchema.safeParse(record.event);
    return typeof record.seq === 'number' && event.success ? { seq: record.seq, event: event.data } : undefined;
  } catch {
    return undefined;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

// --- the one writer -------------------------------------------------------------------------------

const DEFAULT_SNAPSHOT_EVERY = 1000;

export interface SessionWriterOptions {
  /** fsync ordinary events after this many appends (durable events are always synced at once). */
  readonly syncEvery?: number;
  /** Take a snapshot (and restart the journal) after this many events; default max(1000, 2 × tasks). */
  readonly snapshotEvery?: number;
  /** Wait for the fsync of durable events before append returns (default: group commit, see flush()). */
  readonly awaitSync?: boolean;
  /** Whose session a new one is (its header's owner tag); default: the user of `os.homedir()`. */
  readonly owner?: SessionOwner;
}

/** Owns a session: holds its lock, appends events (journal first, then state), snapshots. */
export class SessionWriter {
  private _unsynced = 0;
  private _sinceSnapshot = 0;
  private _closed = false;
  /** Keeps the lock's modification time fresh: a lock of another host is stale only when it is not refreshed. */
  private readonly _heartbeat = setInterval(() => {
    const now = new Date();
    void lutimes(path.join(this._dir, 'lock'), now, now).catch(() => undefined);
  }, LOCK_HEARTBEAT_MS).unref();

  private constructor(
    private _dir: string,
    private _state: SessionState,
    private _fd: number,
    private readonly _lockToken: string,
    private readonly _options: { syncEvery: number; snapshotEvery: number | undefined; awaitSync: boolean },
  ) {}

  get state(): SessionState {
    return this._state;
  }

  get dir(): string {
    return this._dir;
  }

  static async create(root: string, plan: Plan, options: SessionWriterOptions = {}): Promise<SessionWriter> {
    const sessionId = uuidv7();
    // Built in a hidden folder and renamed into place once session_created is on disk: a crash during
    // creation leaves no half-made session, only a `.creating-…` folder that listings ignore.
    const building = path.join(root, `.creating-${sessionId}`);
    await assertAcaFolderInsideWorkspace(root);
    await mkdir(path.join(building, 'snapshots'), { recursive: true });
    const token = await acquireLock(building);
    const owner = options.owner ?? (await sessionOwner());
    await writeFileAtomic(path.join(building, 'session.json'), headerText(sessionId, new Date().toISOString(), plan.name, await owner.tag(sessionId, path.join(root, sessionId))));
    const writer = await SessionWriter._open(building, undefined, token, options);
    await writer.append({ type: 'session_created', sessionId, plan });
    const dir = path.join(root, sessionId);
    await rename(building, dir);
    await syncDir(root);
    writer._dir = dir;
    return writer;
  }

  /** Opens an existing session for writing: recovers it, takes the lock. */
  static async resume(dir: string, options: SessionWriterOptions = {}): Promise<{ writer: SessionWriter; loaded: LoadedSession }> {
    await assertAcaFolderInsideWorkspace(dir);
    await assertSessionFolder(dir);
    const token = await acquireLock(dir);
    try {
      const loaded = await loadSession(dir, { repair: true });
      return { writer: await SessionWriter._open(dir, loaded.state, token, options), loaded };
    } catch (error) {
      await releaseLock(dir, token);
      throw error;
    }
  }

  /**
   * Makes the session the owner's (see owner.ts): after the user chose to resume a session that came from
   * elsewhere, it is theirs and is not asked about again.
   */
  async adopt(owner: SessionOwner): Promise<void> {
    const header = headerSchema.parse(JSON.parse(await readSessionFile(path.join(this._dir, 'session.json'))));
    const sessionId = this._state.sessionId;
    await writeFileAtomic(path.join(this._dir, 'session.json'), headerText(sessionId, header.created, header.name, await owner.tag(sessionId, this._dir)));
  }

  private static async _open(dir: string, state: SessionState | undefined, token: string, options: SessionWriterOptions): Promise<SessionWriter> {
    const fd = await openJournal(dir);
    const resolved = { syncEvery: options.syncEvery ?? 32, snapshotEvery: options.snapshotEvery, awaitSync: options.awaitSync ?? false };
    // A placeholder state until session_created is appended (create); resume passes the loaded one.
    return new SessionWriter(dir, state ?? (undefined as unknown as SessionState), fd, token, resolved);
  }

  /**
   * Journals the event (written to the file first: a process crash loses nothing), then folds it into the
   * state. Durable events are also fsynced, by group commit unless `awaitSync`: see _syncSoon.
   */
  append(event: SessionEvent): Promise<SessionState> {
    // One at a time, in call order: tasks running at once append concurrently, and a snapshot (which
    // swaps the journal file) must not interleave with another append.
    const next = this._appending.then(() => this._append(event));
    this._appending = next.catch(() => undefined);
    return next;
  }

  private _appending: Promise<unknown> = Promise.resolve();

  private async _append(event: SessionEvent): Promise<SessionState> {
    if (this._closed) {
      throw new Error('session writer is closed');
    }
    this._throwSyncError();
    const seq = (this._state?.seq ?? 0) + 1;
    // Redacted before it is serialised (the line's CRC covers what is written) and before it is folded:
    // no key in an agent's answer, an error or verify output reaches the journal or a snapshot.
    const safe = redactEvent(event);
    const parsed = sessionEventSchema.parse(safe);
    if (!this._state && parsed.type !== 'session_created') {
      throw new Error(`event ${seq} (${parsed.type}) comes before session_created`);
    }
    const body = JSON.stringify({ seq, time: new Date().toISOString(), event: safe });
    // A synchronous write: it lands in the page cache in microseconds, where an async one would wait its
    // turn in libuv's thread pool behind the group commit's fsync.
    writeAllSync(this._fd, `${crc32(body)} ${body}\n`);
    this._unsynced++;
    if (DURABLE_EVENTS.has(event.type) || this._unsynced >= this._options.syncEvery) {
      this._unsynced = 0;
      if (this._options.awaitSync) {
        await fsyncFd(this._fd);
      } else {
        this._syncSoon();
      }
    }
    // Folded in place once it is on disk: copying the task map for every event would make a run of n
    // tasks cost n². Task runs themselves are replaced, never changed, so a run object a view holds stays
    // as it was.
    this._state = applyEventInPlace(this._state, parsed, seq);
    // A snapshot costs about as much as the state is large: taken every max(snapshotEvery, 2 × tasks)
    // events, its cost per event stays flat while replay on resume stays bounded.
    if (++this._sinceSnapshot >= (this._options.snapshotEvery ?? Math.max(DEFAULT_SNAPSHOT_EVERY, 2 * this._state.plan.tasks.length))) {
      try {
        await this._snapshot();
      } catch {
        // The event is journaled and folded: a failed snapshot (a full disk) must not fail it. The
        // journal goes on; the next snapshot is tried after as many events again.
        this._sinceSnapshot = 0;
      }
    }
    return this._state;
  }

  /**
   * Writes the state atomically as snapshots/<seq>.json, then rotates the journal into
   * journal-<seq>.jsonl. The two newest snapshots and the segments after the older one are kept, so a
   * damaged newest snapshot falls back to the one before without losing an event.
   */
  snapshot(): Promise<void> {
    const next = this._appending.then(() => this._snapshot());
    this._appending = next.catch(() => undefined);
    return next;
  }

  private async _snapshot(): Promise<void> {
    await fsyncFd(this._fd);
    const seq = this._state.seq;
    await this.flush();
    const stateText = JSON.stringify(this._state);
    await writeFileAtomic(path.join(this._dir, 'snapshots', `${seq}.json`), JSON.stringify({ version: SESSION_SCHEMA_VERSION, crc: crc32(stateText), state: this._state }));
    await closeFd(this._fd);
    try {
      await rename(path.join(this._dir, 'journal.jsonl'), path.join(this._dir, `journal-${seq}.jsonl`));
    } finally {
      // Never left holding a closed descriptor (its number could be reused by another file).
      this._fd = await openJournal(this._dir);
    }
    await syncDir(this._dir);
    this._sinceSnapshot = 0;
    await this._prune();
  }

  private async _prune(): Promise<void> {
    const snapshots = (await readdir(path.join(this._dir, 'snapshots'))).filter((n) => /^\d+\.json$/.test(n)).map((n) => Number.parseInt(n, 10)).sort((a, b) => b - a);
    const keepFrom = snapshots[1];
    if (keepFrom === undefined) {
      return;
    }
    for (const old of snapshots.slice(2)) {
      await rm(path.join(this._dir, 'snapshots', `${old}.json`), { force: true });
    }
    // Segments whose events are all inside the older kept snapshot are not needed any more.
    for (const segment of await journalSegments(this._dir)) {
      if (segment.seq <= keepFrom) {
        await rm(segment.file, { force: true });
      }
    }
  }

  /**
   * Group commit: one fsync at a time runs in the background; events written while it runs are covered by
   * one more. The writer goes on meanwhile — a task's next step does not wait ~0.5 ms for the disk — and
   * flush() (called before a snapshot and on close) waits for it. An fsync failure is thrown by the next call.
   */
  private _syncSoon(): void {
    if (this._syncing) {
      this._syncAgain = true;
      return;
    }
    const fd = this._fd;
    this._syncing = (async () => {
      do {
        this._syncAgain = false;
        await fsyncFd(fd);
      } while (this._syncAgain);
    })()
      .catch((error: unknown) => {
        this._syncError ??= error;
      })
      .finally(() => {
        this._syncing = undefined;
      });
  }

  private _syncing: Promise<void> | undefined;
  private _syncAgain = false;
  private _syncError: unknown;

  private _throwSyncError(): void {
    if (this._syncError !== undefined) {
      const error = this._syncError;
      this._syncError = undefined;
      throw error;
    }
  }

  /** Waits until every event appended so far is fsynced. */
  async flush(): Promise<void> {
    while (this._syncing) {
      await this._syncing;
    }
    this._throwSyncError();
  }

  async close(): Promise<void> {
    if (this._closed) {
      return;
    }
    clearInterval(this._heartbeat);
    await this._appending;
    this._closed = true;
    await this.flush().catch(() => undefined); // fsynced once more below, where a failure is reported
    await fsyncFd(this._fd);
    await closeFd(this._fd);
    await releaseLock(this._dir, this._lockToken);
  }
}

/** The journal, for appending: never through a symlink (O_NOFOLLOW), and only a regular file. */
async function openJournal(dir: string): Promise<number> {
  const file = path.join(dir, 'journal.jsonl');
  const fd = await openFd(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | NO_FOLLOW, 0o666).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'ELOOP' ? notRegular(file) : error;
  });
  if (!(await fstatFd(fd)).isFile()) {
    await closeFd(fd);
    throw notRegular(file);
  }
  return fd;
}
