/**
 * Writes a task's state back to its checkbox in the tasks file: `[ ]` → `[-]` (running) → `[x]` (done).
 * Compare before write: the line is found again by the task's title when the file changed since it was
 * parsed, only the one character inside the brackets changes, and nothing is written when the task cannot
 * be found (the user's edits win).
 */
import { resolveUserFile, writeFileSafely } from '../common/safeWrite';
import { readRegularFile } from '../common/untrustedFile';
import { MAX_TASKS_FILE_BYTES } from '../plan/buildPlan';

export type CheckboxMark = ' ' | '-' | 'x';

const CHECKBOX = /^(\s*(?:[-*+]|\d+[.)])\s+\[)([ xX-])(\]\*?\s+)(.*)$/;

/** Serializes the writes to one file (several tasks may finish at once). */
const queues = new Map<string, Promise<unknown>>();

/**
 * `root` is the workspace: a tasks file that is a symlink is written at its real path when that is inside
 * the root (the link and the file's mode stay), and refused when it leads out.
 */
export function writeBackCheckbox(file: string, line: number, title: string, mark: CheckboxMark, root: string): Promise<'written' | 'unchanged' | 'not-found'> {
  const previous = queues.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => update(file, line, title, mark, root));
  queues.set(file, next);
  void next.finally(() => {
    if (queues.get(file) === next) {
      queues.delete(file);
    }
  });
  return next;
}

async function update(file: string, line: number, title: string, mark: CheckboxMark, root: string): Promise<'written' | 'unchanged' | 'not-found'> {
  const real = await resolveUserFile(file, root);
  // Bounded like the parse: the file may have been swapped for /dev/zero or a FIFO since.
  const text = (await readRegularFile(real, MAX_TASKS_FILE_BYTES)).toString('utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const matches = (index: number): boolean => {
    const m = CHECKBOX.exec(lines[index] ?? '');
    return Boolean(m && normalize(m[4]!).includes(normalize(title).replace(/…$/, '')));
  };
  let index = line - 1;
  if (!matches(index)) {
    // The file changed: the same title nearest to where it was.
    const candidates = lines.map((_, i) => i).filter(matches);
    if (candidates.length === 0) {
      return 'not-found';
    }
    index = candidates.reduce((best, i) => (Math.abs(i - (line - 1)) < Math.abs(best - (line - 1)) ? i : best));
  }
  const m = CHECKBOX.exec(lines[index]!)!;
  if (m[2]!.toLowerCase() === mark) {
    return 'unchanged';
  }
  lines[index] = `${m[1]}${mark}${m[3]}${m[4]}`;
  await writeFileSafely(real, lines.join(eol), { root });
  return 'written';
}

function normalize(text: string): string {
  return text.replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}
