/**
 * Folders the user trusts: their aca.toml may choose programs to run, where API keys go and what agents may
 * do without asking. Kept as real paths in ~/.aca/trusted-folders.json (mode 0600), written by `aca trust`.
 * A repository never trusts itself: only the user adds folders here.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, realpath, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { PlanError } from '../plan/problems';

const trustStoreSchema = z.object({ version: z.literal(1), folders: z.array(z.string().min(1)) }).strict();

/** A trust list is a few paths; anything bigger is not one. */
const MAX_TRUST_STORE_BYTES = 1024 * 1024;

export function trustStorePath(home: string): string {
  return path.join(home, '.aca', 'trusted-folders.json');
}

function storeProblem(file: string, message: string): PlanError {
  return new PlanError([{ severity: 'error', code: 'trust-store-invalid', message, file }]);
}

/** The trusted folders (real paths); none when the list does not exist. */
export async function readTrustedFolders(home: string): Promise<string[]> {
  const file = trustStorePath(home);
  // O_NOFOLLOW: the list is ACA's own file and is never a link; O_NONBLOCK: a FIFO cannot hang the open.
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return undefined;
    }
    throw storeProblem(file, `cannot read the trust list: ${error.code === 'ELOOP' ? 'it is a symbolic link' : error.message}`);
  });
  if (!handle) {
    return [];
  }
  try {
    const info = await handle.stat();
    if (!info.isFile() || info.size > MAX_TRUST_STORE_BYTES) {
      throw storeProblem(file, 'the trust list is not a regular file of a sane size');
    }
    // Whoever can write the list can make ACA run programs: only the user may.
    const uid = process.getuid?.();
    if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
      throw storeProblem(file, `the trust list is writable by others or not yours; it is not used (fix: chmod 600 ${file}, or delete it and run "aca trust" again)`);
    }
    let data: unknown;
    try {
      data = JSON.parse(await handle.readFile('utf8'));
    } catch (error) {
      throw storeProblem(file, `the trust list is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
    }
    const parsed = trustStoreSchema.safeParse(data);
    if (!parsed.success) {
      throw storeProblem(file, `the trust list is not in ACA's format: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    }
    return parsed.data.folders;
  } finally {
    await handle.close();
  }
}

/** The folder's real path, if it exists. */
async function realFolder(folder: string): Promise<string | undefined> {
  return realpath(folder).catch(() => undefined);
}

export async function isTrustedFolder(folder: string, home: string): Promise<boolean> {
  const real = await realFolder(folder);
  return real !== undefined && (await readTrustedFolders(home)).includes(real);
}

/** Writes the list atomically (a new 0600 file renamed over the old one: a link in its place is replaced, never followed). */
async function writeTrustedFolders(home: string, folders: readonly string[]): Promise<void> {
  const file = trustStorePath(home);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const existing = await lstat(file).catch(() => undefined);
  if (existing && !existing.isFile()) {
    throw storeProblem(file, 'the trust list is not a regular file; remove it first');
  }
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await writeFile(temporary, `${JSON.stringify({ version: 1, folders }, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await rename(temporary, file);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
}

export class TrustError extends Error {
  constructor(
    readonly reason: 'not-a-folder',
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is TrustError {
    return error instanceof TrustError;
  }
}

/** Adds a folder (by its real path, which is returned); it must exist. */
export async function trustFolder(folder: string, home: string): Promise<string> {
  const real = await realFolder(folder);
  if (!real || !(await stat(real)).isDirectory()) {
    throw new TrustError('not-a-folder', `${folder} is not an existing folder`);
  }
  const folders = await readTrustedFolders(home);
  if (!folders.includes(real)) {
    await writeTrustedFolders(home, [...folders, real]);
  }
  return real;
}

/** Removes a folder (by its real path, or as given when it no longer exists); whether it was on the list. */
export async function untrustFolder(folder: string, home: string): Promise<boolean> {
  const names = new Set([path.resolve(folder), (await realFolder(folder)) ?? path.resolve(folder)]);
  const folders = await readTrustedFolders(home);
  const kept = folders.filter((f) => !names.has(f));
  if (kept.length !== folders.length) {
    await writeTrustedFolders(home, kept);
  }
  return kept.length !== folders.length;
}
