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

/** Symbolic links followed on one path before giving up, like the OS (Linux's MAXSYMLINKS is 40). */
export const MAX_SYMLINK_HOPS = 40;

/**
 * The real path of `p`, following every symlink. A missing file resolves through its folder, so that a file
 * about to be created compares like its folder; a dangling symlink resolves to where it points, so that a
 * write through it cannot land outside unnoticed. A symlink loop (or a chain over MAX_SYMLINK_HOPS) throws
 * an ELOOP error instead of being followed forever.
 */
export async function realpathOr(p: string): Promise<string> {
  return resolveWithin(p, { hops: 0 });
}

async function resolveWithin(p: string, budget: { hops: number }): Promise<string> {
  try {
    return await realpath(p);
  } catch {
    const target = await readlink(p).catch(() => undefined); // not a link: handled below like a missing path
    if (target !== undefined) {
      if (++budget.hops > MAX_SYMLINK_HOPS) {
        throw Object.assign(new Error(`${p}: too many symbolic links (over ${MAX_SYMLINK_HOPS}, or a loop)`), { code: 'ELOOP' });
      }
      return resolveWithin(path.resolve(path.dirname(p), target), budget);
    }
    const parent = path.dirname(p);
    return parent === p ? p : path.join(await resolveWithin(parent, budget), path.basename(p));
  }
}
