/**
 * Where sessions live, for both faces: new sessions go to VS Code's private storage (the extension's
 * default), to a folder the user named (`aca --session-dir`), or to `<workspace>/.aca/sessions` (the CLI's
 * default, and the extension's with `aca.sessions.location: workspace`). Sessions are looked for in all of
 * them, so each face sees the other's.
 */
import path from 'node:path';
import { workspaceSessionsRoot } from '../session/sessions';

export interface SessionPlaces {
  /** The workspace the sessions' agents work in. */
  readonly workspace: string;
  /** VS Code's storage folder of this workspace (`context.storageUri`); no repository can bring a session there. */
  readonly storageDir?: string;
  /** Where new sessions go when `storageDir` is known (default: the storage). */
  readonly location?: 'workspace' | 'workspaceStorage';
  /** A sessions folder named by the user: new sessions go there, and it replaces `<workspace>/.aca/sessions`. */
  readonly sessionDir?: string;
  /** Other workspace folders (a multi-root window) whose `.aca/sessions` are looked in too. */
  readonly otherFolders?: readonly string[];
}

/** The folder a new session is created in. */
export function newSessionsRoot(places: SessionPlaces): string {
  if (places.sessionDir !== undefined) {
    return path.resolve(places.workspace, places.sessionDir);
  }
  const storage = privateSessionsRoot(places);
  return places.location === 'workspace' || storage === undefined ? workspaceSessionsRoot(places.workspace) : storage;
}

/** The private root (VS Code's storage), when there is one: every session in it is the user's own. */
export function privateSessionsRoot(places: SessionPlaces): string | undefined {
  return places.storageDir !== undefined ? path.join(places.storageDir, 'sessions') : undefined;
}

/** Every folder sessions are looked for in, the private one first, without repeats. */
export function sessionRoots(places: SessionPlaces): string[] {
  const storage = privateSessionsRoot(places);
  const workspaceRoot = places.sessionDir !== undefined ? path.resolve(places.workspace, places.sessionDir) : workspaceSessionsRoot(places.workspace);
  const roots = [...(storage !== undefined ? [storage] : []), workspaceRoot, ...(places.otherFolders ?? []).map(workspaceSessionsRoot)];
  return [...new Set(roots)];
}
