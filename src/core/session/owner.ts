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
import { constants } from 'node:fs';
import { link, mkdir, open, realpath, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export class SessionOwner {
  constructor(
    private readonly _secret: Buffer,
    /** False when no owner id could be kept: sessions made now are this process's only. */
    readonly persistent: boolean,
  ) {}

  /** The tag of the session `sessionId` kept in `dir` (its final folder). */
  async tag(sessionId: string, dir: string): Promise<string> {
    return createHmac('sha256', this._secret).update(`aca-session-owner\0${sessionId}\0${await canonicalFolder(dir)}`).digest('hex');
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
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;

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
      // link() fails instead of replacing one another process made meanwhile.
      const temp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
      const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | NO_FOLLOW, 0o600);
      try {
        await handle.writeFile(`${secret.toString('hex')}\n`);
        await handle.sync();
      } finally {
        await handle.close();
      }
      try {
        await link(temp, file);
        return new SessionOwner(secret, true);
      } finally {
        await rm(temp, { force: true });
      }
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
  let handle;
  try {
    handle = await open(file, constants.O_RDONLY | NO_FOLLOW);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : undefined;
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > 128 || (process.getuid && info.uid !== process.getuid())) {
      return undefined;
    }
    const match = OWNER_ID.exec(await handle.readFile('utf8'));
    return match ? Buffer.from(match[1]!, 'hex') : undefined;
  } finally {
    await handle.close();
  }
}
