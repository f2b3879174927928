/**
 * File primitives of a session folder: descriptors (open, fsync, fstat, close), atomic writes, and reading or
 * appending only regular files in a real folder. A session can come with a repository, and a
 * `journal.jsonl -> /dev/zero` or `-> ~/.bashrc` must not be read or appended to.
 */
import { close, constants, fstat, fsync, open, writeSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeFileSafely } from '../common/safeWrite';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { SessionError } from './sessionError';

export const fsyncFd = promisify(fsync);
export const openFd = promisify(open);
export const fstatFd = promisify(fstat);
export const closeFd = promisify(close);

/** Writes all of `text` at the descriptor's position (appends for an O_APPEND descriptor). */
export function writeAllSync(fd: number, text: string): void {
  const bytes = Buffer.from(text);
  for (let offset = 0; offset < bytes.length;) {
    offset += writeSync(fd, bytes, offset, bytes.length - offset);
  }
}

/**
 * Writes a file so that a reader sees the old or the new content, never a mix (temp, fsync, rename, fsync
 * dir), and never through a symlink planted in a session folder.
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  await writeFileSafely(file, content);
}

/** fsyncs a folder, so that a rename or a new file in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fd = await openFd(dir, 'r');
  try {
    await fsyncFd(fd);
  } finally {
    await closeFd(fd);
  }
}

/** Throws unless `dir` is a real folder (not a link to one): not-found when it is missing. */
export async function assertSessionFolder(dir: string): Promise<void> {
  const info = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new SessionError('not-found', `no session in ${dir}`);
    }
    throw error;
  });
  if (!info.isDirectory()) {
    throw new SessionError(
      'unrecoverable',
      `${dir} is not a folder (a symbolic link?); ACA does not follow links in a session; its files were left as they are`,
    );
  }
}

/** The error for a session file that is a link, a device or a folder. */
export function notRegular(file: string): SessionError {
  return new SessionError(
    'unrecoverable',
    `${file} is not a regular file (a symbolic link or a device?); ACA does not follow links in a session; its files were left as they are`,
  );
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

/** The archived journal segments (`journal-<seq>.jsonl`, rotated out by snapshots), oldest first. */
export async function journalSegments(dir: string): Promise<Array<{ seq: number; file: string }>> {
  // A folder that cannot be listed has no segments to replay; loading then finds what it can read.
  const names = await readdir(dir).catch(() => [] as string[]);
  return names
    .map((name) => /^journal-(\d+)\.jsonl$/.exec(name))
    .filter((match): match is RegExpExecArray => match !== null)
    .map((match) => ({ seq: Number(match[1]), file: path.join(dir, match[0]) }))
    .sort((a, b) => a.seq - b.seq);
}

/** The journal, for appending: never through a symlink (O_NOFOLLOW), and only a regular file. */
export async function openJournal(dir: string): Promise<number> {
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

/** Whether the path exists (any kind of file; any failure to stat it counts as absent). */
export async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}
