/**
 * The entry of the fourth bundle, dist/sessions.js: the session store (journal, snapshots, lock, owner, the
 * seed-session migration) with zod and its schemas, the session use cases of src/core/app, transcripts and
 * the file checkpoints. The extension never imports this file's values: it reaches them through
 * `loadSessions()` (lazyLoader.ts) on the Sessions view's first refresh — scheduled after activate()
 * returns — or the first session command, so that activation neither loads zod nor builds its schemas.
 * Re-export here what the extension needs, nothing more.
 */
export { privateSessionsRoot, sessionRoots } from '../core/app/sessionPlaces';
export {
  adoptSession,
  checkpointNewestSession,
  checkpointsOf,
  createSession,
  findSessionOfTask,
  interruptedSessionToOffer,
  listOptionsOf,
  listSessionsIn,
  previewRestore,
  restoreCheckpoint,
  unfinishedSessions,
} from '../core/app/sessions';
export { sessionOwner } from '../core/session/owner';
export { describeSessionRun, readCheckpoints } from '../core/session/sessions';
export { loadSession, SessionError, SessionWriter } from '../core/session/sessionStore';
export { describeTranscriptEntry, formatTranscript, readTranscript } from '../core/session/transcripts';
export { sessionFileCheckpoints } from '../core/workspace/fileCheckpoints';
