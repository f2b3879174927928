/**
 * Who made a session. A session's plan names commands that run when it is resumed (verify commands, the
 * prompts the agent acts on), and `.aca/sessions` can come with a cloned repository: only the user's own
 * sessions are resumed without asking.
 *
 * Each user has a random secret in `~/.aca/owner-id` (0600, never in a repository). A new session's header
 * carries HMAC(secret, session id + folder): a hostname is guessable and a plain id would leak with any
 * header that is committed, while this tag proves nothing for another session or another folder.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Stats } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileSafely } from '../common/safeWrite';
import { readRegularFile } from '../common/untrustedFile';

export class SessionOwner {
  constructor(
    private readonly _secret: Buffer,
    /** False when no owner id could be kept: sessions made now are this process's only. */
    readonly persistent: boolean,
  ) {}

  /** The tag of the session `sessionId` kept in `dir` (its final folder). */
  async tag(sessionId: string, dir: string): Promise<string> {
    return createHmac('sha256', this._secret)
      .update(`aca-session-owner\0${sessionId}\0${await canonicalFolder(dir)}`)
      .digest('hex');
  }

  async owns(tag: string | undefined, sessionId: string, dir: string): Promise<boolean> {
    if (!tag || !/^[0-9a-f]{64}$/.test(tag)) {
      return false;
    }
    return timingSafeEqual(Buffer.from(tag, 'hex'), Buffer.from(await this.tag(sessionId, dir), 'hex'));
  }
}

/** The folder with its parent's symlinks resolved (the folder itself is named as it is: it may not exist yet). */
async function canonicalFolder(dir: string): Promise<string> {
  const resolved = path.resolve(dir);
  // A parent that cannot be resolved (not created yet) is named as it is: the tag is then of that path.
  const parent = await realpath(path.dirname(resolved)).catch(() => path.dirname(resolved));
  return path.join(parent, path.basename(resolved));
}

const owners = new Map<string, Promise<SessionOwner>>();

/** The owner of `home` (read once per process; created on first use). */
export function sessionOwner(home: string = os.homedir()): Promise<SessionOwner> {
  const key = path.resolve(home);
  let owner = owners.get(key);
  if (!owner) {
    owner = loadOwner(key);
    owners.set(key, owner);
  }
  return owner;
}

const OWNER_ID = /^([0-9a-f]{64})\n?$/;
/** An owner id is 64 hex digits and a newline; anything much bigger is not one. */
const MAX_OWNER_ID_BYTES = 128;

async function loadOwner(home: string): Promise<SessionOwner> {
  const file = path.join(home, '.aca', 'owner-id');
  for (let attempt = 0; attempt < 2; attempt++) {
    const existing = await readOwnerId(file);
    if (existing !== 'missing') {
      // An owner-id that is not ours to read (a symlink, another format) is never overwritten.
      return existing ? new SessionOwner(existing, true) : new SessionOwner(randomBytes(32), false);
    }
    try {
      await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      const secret = randomBytes(32);
      // Written whole under a temporary name, then linked into place: a reader never sees half an id, and
      // the link fails instead of replacing one another process made meanwhile.
      await writeFileSafely(file, `${secret.toString('hex')}\n`, { mode: 0o600, noReplace: true });
      return new SessionOwner(secret, true);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        break; // no home to write to (a read-only or missing one)
      }
    }
  }
  return new SessionOwner(randomBytes(32), false);
}

/** The secret, 'missing', or undefined when the file is there but is not a plain owner id of this user. */
async function readOwnerId(file: string): Promise<Buffer | 'missing' | undefined> {
  const assertMine = (info: Stats): void => {
    if (process.getuid && info.uid !== process.getuid()) {
      throw new Error(`${file} is not this user's`);
    }
  };
  let text: string;
  try {
    text = (await readRegularFile(file, MAX_OWNER_ID_BYTES, { noFollow: true, check: assertMine })).toString('utf8');
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  const hex = OWNER_ID.exec(text)?.[1];
  return hex !== undefined ? Buffer.from(hex, 'hex') : undefined;
}
