/**
 * Where a path really leads: the checks that keep reading references and the agent tools inside a folder.
 */
import { readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/** True when `target` is `root` or below it (both already absolute and resolved the same way). */
export function isInside(root: string, target: string): boolean {
  const relative = path.relative(root, target);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

/**
 * The real path of `p`, following every symlink. A missing file resolves through its folder, so that a file
 * about to be created compares like its folder; a dangling symlink resolves to where it points, so that a
 * write through it cannot land outside unnoticed.
 */
export async function realpathOr(p: string): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const target = await readlink(p).catch(() => undefined);
    if (target !== undefined) {
      return realpathOr(path.resolve(path.dirname(p), target));
    }
    const parent = path.dirname(p);
    return parent === p ? p : path.join(await realpathOr(parent), path.basename(p));
  }
}
