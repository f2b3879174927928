/**
 * Sessions on disk: a write-ahead journal (one `crc32 json` line per event), atomic snapshots of the
 * folded state, recovery that keeps whatever was damaged aside and says what it repaired, and a lock so
 * that one writer owns a session.
 *
 * sessions/<id>/session.json     header: schema version, id, created, plan name
 *               journal.jsonl    events after the last snapshot
 *               journal-<seq>.jsonl  segments rotated out by snapshots
 *               snapshots/<seq>.json
 *               lock
 *
 * This module is the session store's entry point; the code lives by concern in sessionFiles.ts (file
 * primitives), sessionFormat.ts (what the files hold), loadSession.ts (load and recover), sessionWriter.ts
 * (the one writer) and lock.ts (the lock and its liveness).
 */
export { loadSession, type LoadedSession, type LoadOptions, type Repair } from './loadSession';
export { breakLock, lockHolderAlive, lockHolderPid, OTHER_HOST_LOCK_TTL_MS } from './lock';
export { SessionError, type SessionFailure } from './sessionError';
export { readSessionFile, writeFileAtomic } from './sessionFiles';
export { crc32, uuidv7 } from './sessionFormat';
export { SessionWriter, type SessionWriterOptions } from './sessionWriter';
