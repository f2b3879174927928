/**
 * Writes a task's state back to its tasks file. Checkboxes: `[ ]` → `[-]` (running) → `[x]` (done), in
 * list items and in spec-kit's heading layout (`### T001: [ ] Title`). Task Master: the task's `"status"`
 * in tasks.json. Compare before write: the task is found again (by title near its old line; by id and
 * title in tasks.json), only its mark or status changes, and nothing is written when it cannot be found
 * or the user changed it meanwhile (the user's edits win).
 */
import { applyEdits, findNodeAtLocation, getNodeValue, modify, parseTree, type Node, type ParseError } from 'jsonc-parser';
import { must } from '../common/must';
import { resolveUserFile, writeFileSafely } from '../common/safeWrite';
import { readRegularFile } from '../common/untrustedFile';
import { MAX_TASKS_FILE_BYTES } from '../plan/buildPlan';
import { jsonTooDeepAt } from '../model/untrustedData';

/** `X` is spec-kit's own "done" mark. */
export type CheckboxMark = ' ' | '-' | 'x' | 'X';

export type WriteBackOutcome = 'written' | 'unchanged' | 'not-found' | 'changed';

const CHECKBOX = /^(\s*(?:[-*+]|\d+[.)])\s+\[)([ xX-])(\]\*?\s+)(.*)$/;
/** spec-kit's heading layout: the checkbox after the id in the heading. */
const HEADING_CHECKBOX = /^(#{1,6}[ \t]+T\d+[ \t]*:?[ \t]*\[)([ xX-])(\][ \t]*)(.*)$/;

/** Serializes the writes to one file (several tasks may finish at once). */
const queues = new Map<string, Promise<unknown>>();

function serialized<T>(file: string, work: () => Promise<T>): Promise<T> {
  const previous = queues.get(file) ?? Promise.resolve();
  // The previous write's error is its caller's (it got `next` then); this write goes ahead regardless.
  const next = previous.catch(() => undefined).then(work);
  queues.set(file, next);
  void next.finally(() => {
    if (queues.get(file) === next) {
      queues.delete(file);
    }
  });
  return next;
}

/**
 * `root` is the workspace: a tasks file that is a symlink is written at its real path when that is inside
 * the root (the link and the file's mode stay), and refused when it leads out.
 */
export function writeBackCheckbox(file: string, line: number, title: string, mark: CheckboxMark, root: string): Promise<'written' | 'unchanged' | 'not-found'> {
  return serialized(file, () => update(file, line, title, mark, root));
}

async function update(file: string, line: number, title: string, mark: CheckboxMark, root: string): Promise<'written' | 'unchanged' | 'not-found'> {
  const real = await resolveUserFile(file, root);
  // Bounded like the parse: the file may have been swapped for /dev/zero or a FIFO since.
  const text = (await readRegularFile(real, MAX_TASKS_FILE_BYTES)).toString('utf8');
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const checkbox = (index: number): RegExpExecArray | null => CHECKBOX.exec(lines[index] ?? '') ?? HEADING_CHECKBOX.exec(lines[index] ?? '');
  const matches = (index: number): boolean => {
    const m = checkbox(index);
    return Boolean(m && normalize(m[4] ?? '').includes(normalize(title).replace(/…$/, '')));
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
  const m = must(checkbox(index) ?? undefined, `the checkbox on line ${index + 1} of ${file}`); // it matched just above
  if ((m[2] ?? '').toLowerCase() === mark.toLowerCase()) {
    return 'unchanged';
  }
  lines[index] = `${m[1]}${mark}${m[3]}${m[4]}`;
  await writeFileSafely(real, lines.join(eol), { root });
  return 'written';
}

function normalize(text: string): string {
  return text.replace(/[*_`]/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
}

/** The statuses ACA writes into Task Master's tasks.json. */
export type TaskMasterWrite = 'pending' | 'in-progress' | 'done';

/** The Task Master status for each checkbox mark the engine writes. */
export function taskMasterStatusFor(mark: CheckboxMark): TaskMasterWrite {
  return mark === ' ' ? 'pending' : mark === '-' ? 'in-progress' : 'done';
}

/**
 * What the task's status in the file may be for ACA to write each status: what it was when the run began
 * or what ACA wrote itself. Anything else (done, deferred, cancelled by the user meanwhile) is left alone.
 */
const OVERWRITABLE: Readonly<Record<TaskMasterWrite, ReadonlySet<string | undefined>>> = {
  'in-progress': new Set([undefined, 'pending', 'blocked', 'review']),
  done: new Set([undefined, 'pending', 'blocked', 'review', 'in-progress']),
  pending: new Set(['in-progress']),
};

/**
 * Writes `status` into task `taskId` (`5`, or subtask `5.2`) of a Task Master tasks.json, in any tag: the
 * task with that id and title nearest to `line`. Only the value of its `"status"` changes (or the field
 * is added), byte for byte; other tags, fields, key order and indentation stay as Task Master wrote them.
 */
export function writeBackTaskMaster(
  file: string,
  taskId: string,
  title: string,
  line: number,
  status: TaskMasterWrite,
  root: string,
): Promise<WriteBackOutcome> {
  return serialized(file, async () => {
    const real = await resolveUserFile(file, root);
    const raw = (await readRegularFile(real, MAX_TASKS_FILE_BYTES)).toString('utf8');
    const bom = raw.startsWith('\uFEFF') ? '\uFEFF' : '';
    const text = raw.slice(bom.length);
    if (jsonTooDeepAt(text) !== undefined) {
      return 'not-found';
    }
    const errors: ParseError[] = [];
    const tree = parseTree(text, errors, { disallowComments: true });
    if (!tree || errors.length > 0) {
      return 'not-found';
    }
    const found = findTask(tree, text, taskId, title, line);
    if (!found) {
      return 'not-found';
    }
    const current = found.status;
    if (current === status) {
      return 'unchanged';
    }
    if (!OVERWRITABLE[status].has(current)) {
      // Going back to pending only undoes ACA's own "in-progress"; any other status is the user's.
      return status === 'pending' ? 'unchanged' : 'changed';
    }
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const indent = /\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
    const formattingOptions = { insertSpaces: !indent.startsWith('\t'), tabSize: indent.startsWith('\t') ? 1 : indent.length, eol };
    const edits = modify(text, [...found.path, 'status'], status, { formattingOptions });
    await writeFileSafely(real, bom + applyEdits(text, edits), { root });
    return 'written';
  });
}

interface FoundTask {
  readonly path: Array<string | number>;
  /** Its status word, or undefined when it has none (or not a string: treated as none). */
  readonly status: string | undefined;
}

/** The task or subtask with this id and title in the legacy list or any tag, the one nearest `line` when several. */
function findTask(tree: Node, text: string, taskId: string, title: string, line: number): FoundTask | undefined {
  const lists: Array<Array<string | number>> = [];
  if (tree.type !== 'object') {
    return undefined;
  }
  if (findNodeAtLocation(tree, ['tasks'])?.type === 'array') {
    lists.push(['tasks']);
  } else {
    for (const property of tree.children ?? []) {
      const key = property.children?.[0]?.value as unknown;
      if (typeof key === 'string' && findNodeAtLocation(tree, [key, 'tasks'])?.type === 'array') {
        lists.push([key, 'tasks']);
      }
    }
  }
  const [parentId, subtaskId] = splitId(taskId);
  const wanted = normalize(title).replace(/…$/, '');
  const candidates: Array<{ path: Array<string | number>; node: Node }> = [];
  const idOf = (node: Node): string | undefined => {
    const value = findNodeAtLocation(node, ['id']);
    return value && (value.type === 'number' || value.type === 'string') ? String(getNodeValue(value)).trim() : undefined;
  };
  const titleMatches = (node: Node): boolean => {
    const value = findNodeAtLocation(node, ['title']);
    return value?.type === 'string' && normalize(String(getNodeValue(value))).startsWith(wanted);
  };
  for (const list of lists) {
    (findNodeAtLocation(tree, list)?.children ?? []).forEach((taskNode, index) => {
      if (taskNode.type !== 'object' || idOf(taskNode) !== parentId) {
        return;
      }
      if (subtaskId === undefined) {
        if (titleMatches(taskNode)) {
          candidates.push({ path: [...list, index], node: taskNode });
        }
        return;
      }
      (findNodeAtLocation(taskNode, ['subtasks'])?.children ?? []).forEach((subNode, subIndex) => {
        const id = subNode.type === 'object' ? idOf(subNode) : undefined;
        if ((id === subtaskId || id === taskId) && titleMatches(subNode)) {
          candidates.push({ path: [...list, index, 'subtasks', subIndex], node: subNode });
        }
      });
    });
  }
  if (candidates.length === 0) {
    return undefined;
  }
  const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
  // Not empty (checked above): reduce without a start value returns the one candidate as it is.
  const best = candidates.reduce((a, b) => (Math.abs(lineOf(b.node.offset) - line) < Math.abs(lineOf(a.node.offset) - line) ? b : a));
  const statusNode = findNodeAtLocation(best.node, ['status']);
  return { path: best.path, status: statusNode?.type === 'string' ? String(getNodeValue(statusNode)) : undefined };
}

/** `5` → ["5"]; `5.2` → ["5", "2"]. */
function splitId(taskId: string): [string, string | undefined] {
  const dot = taskId.indexOf('.');
  return dot < 0 ? [taskId, undefined] : [taskId.slice(0, dot), taskId.slice(dot + 1)];
}
