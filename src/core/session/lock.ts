/**
 * A session's lock: `sessions/<id>/lock`, one line of JSON naming the process that writes the session. It is
 * taken with O_EXCL by SessionWriter, refreshed by its heartbeat, released on close. `lockHolderAlive` is THE
 * one liveness check: the writer's taking of a lock and the faces' "is this session running elsewhere?" both
 * use it, so that a session is never offered for resume while the lock it would need is still held.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { lstat, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { readRegularFile } from '../common/untrustedFile';
import { SessionError } from './sessionError';

/** A lock of another host (a container, a machine sharing the folder) is stale after this long without a refresh. */
export const OTHER_HOST_LOCK_TTL_MS = 24 * 3600_000;
/** How often a writer refreshes its lock's modification time, so that it never looks abandoned. */
export const LOCK_HEARTBEAT_MS = 10 * 60_000;
/** A lock is a line of JSON; anything larger is not one of ACA's. */
const MAX_LOCK_BYTES = 4096;

const lockSchema = z.object({ pid: z.number().int(), host: z.string(), started: z.string(), token: z.string(), processStart: z.string().optional() });
type LockHolder = z.infer<typeof lockSchema>;

/**
 * Whether the session folder's lock is held by a process that is alive: on this host, its pid is alive
 * (EPERM — another user's process — counts as alive) and started when the lock says; of another host, whose
 * processes cannot be seen, the lock was refreshed within OTHER_HOST_LOCK_TTL_MS. False when there is no
 * lock, or it is not a lock of ACA's (unreadable, a symlink, too large).
 */
export async function lockHolderAlive(dir: string): Promise<boolean> {
  const file = path.join(dir, 'lock');
  const holder = await readHolder(file);
  return holder !== undefined && (await holderAlive(file, holder));
}

/** Takes the session's lock (removing one whose holder is gone); returns the token that releases it. */
export async function acquireLock(dir: string): Promise<string> {
  const file = path.join(dir, 'lock');
  const token = randomBytes(8).toString('hex');
  const start = processStartOf(process.pid);
  const mine = JSON.stringify({ pid: process.pid, host: os.hostname(), started: new Date().toISOString(), token, ...(start ? { processStart: start } : {}) });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(file, mine, { flag: 'wx' });
      return token;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw error;
      }
    }
    const holder = await readHolder(file);
    if (holder && (await holderAlive(file, holder))) {
      throw new SessionError(
        'locked',
        `session ${path.basename(dir)} is open in another process (pid ${holder.pid} on ${holder.host}, since ${holder.started}); close it there, or open this one read-only`,
      );
    }
    await rm(file, { force: true });
  }
  throw new SessionError('locked', `could not take the lock of session ${path.basename(dir)}`);
}

/** Removes the lock if it is still the one taken with `token` (another process may have taken it over). */
export async function releaseLock(dir: string, token: string): Promise<void> {
  const file = path.join(dir, 'lock');
  const holder = await readHolder(file);
  if (holder?.token === token) {
    await rm(file, { force: true });
  }
}

/** Removes a session's lock whoever holds it (`aca resume --force-unlock`); says whose it was. */
export async function breakLock(dir: string): Promise<string | undefined> {
  const file = path.join(dir, 'lock');
  if (!(await lstat(file).catch(() => undefined))) {
    return undefined; // no lock: nothing to break (any other lstat failure shows again in rm below)
  }
  const holder = await readHolder(file);
  await rm(file, { force: true });
  return holder ? `pid ${holder.pid} on ${holder.host}, since ${holder.started}` : 'an unreadable lock';
}

/** The pid that holds a session's lock, if any lock is readable there (whether or not it is alive). */
export async function lockHolderPid(dir: string): Promise<number | undefined> {
  return (await readHolder(path.join(dir, 'lock')))?.pid;
}

/**
 * Whether the process that took the lock is still there. On this host: its pid is alive and, where start
 * times can be read, started when the lock says (a pid reused after the holder died, or after a reboot, is
 * not the holder). Of another host: the lock's modification time is fresh; a live writer refreshes it every
 * LOCK_HEARTBEAT_MS.
 */
async function holderAlive(file: string, holder: LockHolder): Promise<boolean> {
  if (holder.host !== os.hostname()) {
    const refreshed = await stat(file).then(
      (info) => info.mtimeMs,
      () => 0, // gone since it was read: as good as never refreshed
    );
    return Date.now() - refreshed <= OTHER_HOST_LOCK_TTL_MS;
  }
  if (!processAlive(holder.pid)) {
    return false;
  }
  const now = processStartOf(holder.pid);
  return holder.processStart === undefined || now === undefined || now === holder.processStart;
}

/** The lock, or undefined when there is none or it is not a small regular file of ACA's shape (a folder can come with a `lock -> /dev/zero`). */
async function readHolder(file: string): Promise<LockHolder | undefined> {
  let data: unknown;
  try {
    data = JSON.parse((await readRegularFile(file, MAX_LOCK_BYTES, { noFollow: true })).toString('utf8')) as unknown;
  } catch {
    return undefined; // missing, unsafe or not JSON: not a lock anyone holds
  }
  const holder = lockSchema.safeParse(data);
  return holder.success ? holder.data : undefined;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootId: string | undefined | null = null;

/**
 * When a process started, as `<boot id>:<clock ticks since boot>` (Linux: /proc/<pid>/stat field 22), so
 * that a reused pid does not pass for the lock's holder; undefined where it cannot be read (other systems).
 */
export function processStartOf(pid: number): string | undefined {
  if (process.platform !== 'linux') {
    return undefined;
  }
  try {
    if (bootId === null) {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
    }
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: fields are counted after its end.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const ticks = fields[22 - 3];
    return ticks && /^\d+$/.test(ticks) ? `${bootId ?? 'boot'}:${ticks}` : undefined;
  } catch {
    return undefined; // no such process, or /proc unreadable: the start time is unknown
  }
}
