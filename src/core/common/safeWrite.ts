/**
 * Every write of a file ACA owns (plans, caches, session files) goes through here: a repository may have
 * planted a symlink where ACA writes (`tasks.aca-plan.json -> ~/.bashrc`), so the target is never followed.
 * The write is atomic (a temp file in the same folder, then rename), which replaces a name and never writes
 * through it, and it keeps the mode of the file it replaces.
 */
import { randomBytes } from 'node:crypto';
import { link, lstat, open, realpath, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { isInside, realpathOr } from './paths';

export type UnsafeWriteProblem = 'symlink' | 'not-a-file' | 'outside';

export class UnsafeWriteError extends Error {
  readonly reason = 'unsafe-write' as const;

  constructor(
    readonly problem: UnsafeWriteProblem,
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'UnsafeWriteError';
  }

  static is(error: unknown): error is UnsafeWriteError {
    return error instanceof Error && (error as Partial<UnsafeWriteError>).reason === 'unsafe-write';
  }
}

export interface SafeWriteOptions {
  /** When given, the file's real folder must be this folder or below it (the workspace). */
  readonly root?: string;
  /** The written file's mode (a private file: 0o600); by default the replaced file's, or 0o666 less the umask for a new one. */
  readonly mode?: number;
  /** Fail (EEXIST) rather than replace a file that is there or appears meanwhile: linked into place, not renamed. */
  readonly noReplace?: boolean;
}

/** Writes `content` to `file`: refuses a symlink, anything but a regular file, and (with a root) a real folder outside it. */
export async function writeFileSafely(file: string, content: string | Uint8Array, options: SafeWriteOptions = {}): Promise<void> {
  if (options.root !== undefined) {
    await assertRealPathInside(options.root, path.dirname(file), file);
  }
  const existing = await lstat(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      return undefined;
    }
    throw error;
  });
  if (existing?.isSymbolicLink()) {
    throw new UnsafeWriteError('symlink', file, `${file} is a symlink; ACA does not write through symlinks (replace it with a regular file, or delete it)`);
  }
  if (existing && !existing.isFile()) {
    throw new UnsafeWriteError('not-a-file', file, `${file} is not a regular file; ACA did not write it`);
  }
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.aca-tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const mode = options.mode ?? (existing ? existing.mode & 0o7777 : undefined);
  // `wx`: the temp name must be new, so that a symlink planted under that name is not followed either.
  const handle = await open(temp, 'wx', mode ?? 0o666);
  try {
    try {
      await handle.writeFile(content);
      if (mode !== undefined) {
        await handle.chmod(mode); // exactly this mode, whatever the umask
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await (options.noReplace ? link(temp, file) : rename(temp, file));
  } finally {
    await rm(temp, { force: true }); // left only on failure, or beside its link
  }
  await syncFolder(path.dirname(file));
}

/**
 * Where to write a file of the user's (the tasks file) that may be a symlink: its real path, when that is
 * inside `root`; refused when it leads out. Writing the resolved target keeps the link and the file's mode.
 */
export async function resolveUserFile(file: string, root: string): Promise<string> {
  const real = await realpath(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ELOOP') {
      throw new UnsafeWriteError('symlink', file, `${file} is a symlink loop; ACA did not write it`);
    }
    throw error;
  });
  await assertRealPathInside(root, real, file);
  return real;
}

/** Throws when `target` (a folder or file, existing or not) really leads outside `root`; `named` is the path the error names. */
export async function assertRealPathInside(root: string, target: string, named = target): Promise<void> {
  const [realRoot, realTarget] = await Promise.all([realpathOr(root), realpathOr(target)]);
  if (!isInside(realRoot, realTarget)) {
    throw new UnsafeWriteError('outside', named, `${named} leads outside ${root} (to ${realTarget}); ACA does not write there`);
  }
}

/**
 * ACA's folders inside a workspace (`<workspace>/.aca/…`, e.g. the sessions folder) must really be inside that
 * workspace: a cloned repository may ship `.aca/sessions` as a symlink to anywhere. Paths without a `.aca`
 * component (the extension's storage, a `--session-dir` the user chose) are not checked.
 */
export async function assertAcaFolderInsideWorkspace(dir: string): Promise<void> {
  const parts = path.resolve(dir).split(path.sep);
  const aca = parts.lastIndexOf('.aca');
  if (aca > 0) {
    await assertRealPathInside(parts.slice(0, aca).join(path.sep) || path.sep, dir);
  }
}

async function syncFolder(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } catch {
    // Some file systems cannot fsync a folder; the rename is done all the same.
  } finally {
    await handle.close();
  }
}
