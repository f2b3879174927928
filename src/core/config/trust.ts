/**
 * Folders the user trusts: their aca.toml may choose programs to run, where API keys go and what agents may
 * do without asking. Kept as real paths in ~/.aca/trusted-folders.json (mode 0600), written by `aca trust`.
 * A repository never trusts itself: only the user adds folders here.
 */
import type { Stats } from 'node:fs';
import { mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import * as z from 'zod';
import { writeFileSafely } from '../common/safeWrite';
import { readRegularFile, UnsafeFileError } from '../common/untrustedFile';
import { PlanError } from '../model/problems';

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
  // Whoever can write the list can make ACA run programs: only the user may.
  const assertOwnedByUser = (info: Stats): void => {
    const uid = process.getuid?.();
    if ((uid !== undefined && info.uid !== uid) || (info.mode & 0o022) !== 0) {
      throw storeProblem(
        file,
        `the trust list is writable by others or not yours; it is not used (fix: chmod 600 ${file}, or delete it and run "aca trust" again)`,
      );
    }
  };
  let text: string;
  try {
    // noFollow: the list is ACA's own file and is never a link.
    text = (await readRegularFile(file, MAX_TRUST_STORE_BYTES, { noFollow: true, check: assertOwnedByUser })).toString('utf8');
  } catch (error) {
    if (PlanError.is(error)) {
      throw error;
    }
    if (UnsafeFileError.is(error)) {
      throw storeProblem(file, 'the trust list is not a regular file of a sane size');
    }
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      return [];
    }
    throw storeProblem(file, `cannot read the trust list: ${code === 'ELOOP' ? 'it is a symbolic link' : (error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw storeProblem(file, `the trust list is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
  const parsed = trustStoreSchema.safeParse(data);
  if (!parsed.success) {
    throw storeProblem(file, `the trust list is not in ACA's format: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  return parsed.data.folders;
}

/** The folder's real path, if it exists. */
async function realFolder(folder: string): Promise<string | undefined> {
  return realpath(folder).catch(() => undefined); // a folder that does not resolve is not there: no trust to match
}

export async function isTrustedFolder(folder: string, home: string): Promise<boolean> {
  const real = await realFolder(folder);
  return real !== undefined && (await readTrustedFolders(home)).includes(real);
}

/** Writes the list atomically, mode 0600 (a link in its place is refused, never followed). */
async function writeTrustedFolders(home: string, folders: readonly string[]): Promise<void> {
  const file = trustStorePath(home);
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFileSafely(file, `${JSON.stringify({ version: 1, folders }, null, 2)}\n`, { mode: 0o600 });
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
