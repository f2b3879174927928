/**
 * The one writer of a session: it holds the session's lock, appends events to the journal (written first,
 * then folded into the state), fsyncs durable events by group commit, and takes snapshots that restart the
 * journal.
 */
import { lutimes, mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { assertAcaFolderInsideWorkspace } from '../common/safeWrite';
import type { Plan } from '../model/plan';
import { applyEventInPlace, DURABLE_EVENTS, redactEvent, sessionEventSchema, type SessionEvent, type SessionState } from './events';
import { loadSession, type LoadedSession } from './loadSession';
import { acquireLock, LOCK_HEARTBEAT_MS, releaseLock } from './lock';
import { sessionOwner, type SessionOwner } from './owner';
import { assertSessionFolder, closeFd, fsyncFd, journalSegments, openJournal, readSessionFile, syncDir, writeAllSync, writeFileAtomic } from './sessionFiles';
import { headerSchema, headerText, journalLine, snapshotText, uuidv7 } from './sessionFormat';

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
    // A missed refresh is tried again at the next beat; the lock is gone when the writer closed meanwhile.
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
    await writeFileAtomic(
      path.join(building, 'session.json'),
      headerText(sessionId, new Date().toISOString(), plan.name, await owner.tag(sessionId, path.join(root, sessionId))),
    );
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
    // The caller gets the error from `next`; the chain only keeps the order, so it goes on after a failure.
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
    // A synchronous write: it lands in the page cache in microseconds, where an async one would wait its
    // turn in libuv's thread pool behind the group commit's fsync.
    writeAllSync(this._fd, journalLine(seq, safe));
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
    // The caller gets the error from `next`; the chain only keeps the order, so it goes on after a failure.
    this._appending = next.catch(() => undefined);
    return next;
  }

  private async _snapshot(): Promise<void> {
    await fsyncFd(this._fd);
    const seq = this._state.seq;
    await this.flush();
    await writeFileAtomic(path.join(this._dir, 'snapshots', `${seq}.json`), snapshotText(this._state));
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
    const snapshots = (await readdir(path.join(this._dir, 'snapshots')))
      .filter((n) => /^\d+\.json$/.test(n))
      .map((n) => Number.parseInt(n, 10))
      .sort((a, b) => b - a);
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
