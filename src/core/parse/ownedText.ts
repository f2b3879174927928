/**
 * What the spec-kit and agent-plan readers share: a task's checkbox, the text a task owns (byte-exact
 * source lines, container indentation removed, recognised field lines taken out), and those field lines.
 */
import type { Task } from '../model/plan';
import { walkBlocks, type Block, type ListBlock, type ListItemBlock, type ParagraphBlock } from './markdownBlocks';
import { readCheckbox, type Checkbox } from './taskFields';

/** A list item that starts with a checkbox. */
export interface CheckboxItem extends Checkbox {
  /** The first line of the item without the marker. */
  readonly titleLine: string;
  /** The item's first paragraph's other lines (a wrapped title), as written. */
  readonly moreLines: readonly string[];
}

/** The checkbox a list item's first line starts with, if any (its text not split: cheap enough for every item). */
export function itemCheckbox(item: ListItemBlock): (Checkbox & { length: number }) | undefined {
  const first = item.children[0];
  if (first?.type !== 'paragraph' || first.start !== item.start) {
    return undefined;
  }
  return readCheckbox(first.text);
}

/** The checkbox a list item starts with, with its title line and the lines wrapped after it. */
export function checkboxOf(item: ListItemBlock): CheckboxItem | undefined {
  const checkbox = itemCheckbox(item);
  if (!checkbox) {
    return undefined;
  }
  const [titleLine = '', ...moreLines] = (item.children[0] as ParagraphBlock).text.slice(checkbox.length).split('\n');
  return { status: checkbox.status, optional: checkbox.optional, titleLine, moreLines };
}

/** Whether any list item in the blocks, at any depth, is a checkbox: then only checkboxes are tasks. */
export function hasCheckboxItem(blocks: readonly Block[]): boolean {
  for (const block of walkBlocks(blocks)) {
    if (block.type === 'listItem' && itemCheckbox(block) !== undefined) {
      return true;
    }
  }
  return false;
}

/** Whether a list has a checkbox item, at any depth. */
export function listHasCheckbox(list: ListBlock): boolean {
  return list.items.some((item) => itemCheckbox(item) !== undefined || containsCheckbox(item));
}

/** Whether a list item holds a checkbox item in its nested lists, at any depth. */
export function containsCheckbox(item: ListItemBlock): boolean {
  return item.children.some((child) => child.type === 'list' && listHasCheckbox(child));
}

/** What a reader does with the items of a checkbox list (see readCheckboxList). */
export interface CheckboxListReader {
  /** The task of a checkbox item whose parent is `parent` (null at the top), or undefined: not a task. */
  itemTask(item: ListItemBlock, checkbox: CheckboxItem, parent: Task | null): Task | undefined;
  /** Where a task's own text is gathered. */
  ownedText(task: Task): OwnedText;
  /** A plain item at the top of a list, beside its tasks. */
  plainItem(item: ListItemBlock): void;
}

/**
 * A list with checkboxes: each checkbox item a task (nested checkboxes its subtasks), the rest of the item
 * its text; a plain bullet that holds checkboxes ("- Setup:" then nested tasks) gives its tasks, not one of
 * its own; other plain items are the text of the task whose list they stand in.
 */
export function readCheckboxList(list: ListBlock, parent: Task | null, reader: CheckboxListReader): void {
  for (const item of list.items) {
    const checkbox = checkboxOf(item);
    if (checkbox) {
      const task = reader.itemTask(item, checkbox, parent);
      if (!task) {
        continue;
      }
      task.optional = checkbox.optional;
      const owned = reader.ownedText(task);
      owned.addLines(item.start + 1, checkbox.moreLines);
      for (const child of item.children.slice(1)) {
        if (child.type === 'list' && listHasCheckbox(child)) {
          readCheckboxList(child, task, reader);
        } else {
          owned.addBlock(child);
        }
      }
    } else if (containsCheckbox(item)) {
      for (const child of item.children) {
        if (child.type === 'list') {
          readCheckboxList(child, parent, reader);
        }
      }
    } else if (parent) {
      reader.ownedText(parent).addBlock(item);
    } else {
      reader.plainItem(item);
    }
  }
}

/** A field line: `**Depends On**: T003`, `**Files:** a, b`, `- **Parallel**: Yes`, `_Depends: 1.4_`. */
export interface FieldLine {
  /** Lower case, single spaces: `depends on`. */
  readonly name: string;
  readonly value: string;
}

/**
 * Reads a line as a bold or underscored field, by hand (no pattern that could backtrack on a long line).
 * Only names in `known` count: other bold lead-ins are ordinary description.
 */
export function fieldLine(line: string, known: ReadonlySet<string>): FieldLine | undefined {
  let text = line.trim();
  if (/^[-*+][ \t]/.test(text)) {
    text = text.slice(2).trimStart();
  }
  let name: string;
  let value: string;
  if (text.startsWith('**') || text.startsWith('__')) {
    const close = text.indexOf(text.slice(0, 2), 2);
    if (close < 0) {
      return undefined;
    }
    const inner = text.slice(2, close);
    const after = text.slice(close + 2);
    if (inner.endsWith(':')) {
      name = inner.slice(0, -1);
      value = after;
    } else if (after.trimStart().startsWith(':')) {
      name = inner;
      value = after.trimStart().slice(1);
    } else {
      return undefined;
    }
  } else if (text.startsWith('_') && text.endsWith('_') && text.length > 2) {
    const inner = text.slice(1, -1);
    const colon = inner.indexOf(':');
    if (colon < 0) {
      return undefined;
    }
    name = inner.slice(0, colon);
    value = inner.slice(colon + 1);
  } else {
    return undefined;
  }
  const normalized = name.trim().replace(/\s+/g, ' ').toLowerCase();
  return known.has(normalized) ? { name: normalized, value: value.trim() } : undefined;
}

/**
 * The text a task owns, gathered piece by piece in document order and joined as the source has it: pieces
 * that follow each other keep the blank lines between them; a gap holding anything else (a subtask, a
 * field line taken out) is closed up.
 */
export class OwnedText {
  private readonly _pieces: Array<{ start: number; end: number; text: string }> = [];
  /** A field line with no value was just read: the list right after it holds its values. */
  private _listField: string | undefined;

  constructor(
    private readonly _lines: readonly string[],
    private readonly _fields: ReadonlySet<string>,
    private readonly _onField: (field: FieldLine, line: number) => void,
    /** Sees every line kept as text (not code), with its 1-based line: for mentions inside prose. */
    private readonly _onTextLine?: (text: string, line: number) => void,
  ) {}

  /** Lines given as text (a wrapped title's further lines), starting at 0-based `start`. */
  addLines(start: number, lines: readonly string[]): void {
    lines.forEach((text, i) => this._addLine(start + i, text));
  }

  /** A block: paragraphs and plain list items are read line by line for fields, the rest kept whole. */
  addBlock(block: Block | ListItemBlock): void {
    const listField = this._listField;
    this._listField = undefined;
    if (block.type === 'list') {
      for (const item of block.items) {
        if (listField !== undefined) {
          // `**Files**:` alone, then one bullet per value: each bullet is read as that field, and stays.
          this._onField({ name: listField, value: dedentedSource(this._lines, item)[0]?.replace(/^[-*+][ \t]+/, '') ?? '' }, item.start + 1);
        }
        this.addBlock(item);
      }
      return;
    }
    const source = dedentedSource(this._lines, block);
    if (source.length === 0) {
      return;
    }
    if (block.type === 'paragraph' || (block.type === 'listItem' && source.length === 1)) {
      source.forEach((text, i) => this._addLine(block.start + i, text));
      return;
    }
    if (block.type === 'rule') {
      // A thematic break separates sections; it says nothing about the task before it.
      return;
    }
    const onTextLine = this._onTextLine;
    if (onTextLine && block.type !== 'code' && block.type !== 'html') {
      // A bullet's own lines, and a line that continues it lazily ("  Depends on T004." after it).
      source.forEach((text, i) => onTextLine(text.trimStart(), block.start + i + 1));
    }
    this._pieces.push({ start: block.start, end: block.start + source.length, text: source.join('\n') });
  }

  private _addLine(line: number, text: string): void {
    const field = fieldLine(text, this._fields);
    if (field) {
      if (field.value === '') {
        this._listField = field.name;
      } else {
        this._onField(field, line + 1);
      }
      return;
    }
    this._listField = undefined;
    this._onTextLine?.(text, line + 1);
    this._pieces.push({ start: line, end: line + 1, text });
  }

  toString(): string {
    let out = '';
    let previousEnd: number | undefined;
    for (const piece of this._pieces) {
      if (previousEnd !== undefined) {
        let gap = '\n';
        if (piece.start > previousEnd && this._allBlank(previousEnd, piece.start)) {
          gap += '\n'.repeat(piece.start - previousEnd);
        }
        out += gap;
      }
      out += piece.text;
      previousEnd = piece.end;
    }
    return out.trim() === '' ? '' : trimBlankEnds(out);
  }

  private _allBlank(from: number, to: number): boolean {
    for (let i = from; i < to; i++) {
      if ((this._lines[i] ?? '').trim() !== '') {
        return false;
      }
    }
    return true;
  }
}

/**
 * A block's source lines without trailing blank lines, the indentation its container added removed (a
 * loop, not Math.min(...indents): a block may have more lines than a call has room for arguments).
 */
export function dedentedSource(lines: readonly string[], block: { start: number; end: number }): string[] {
  const source = lines.slice(block.start, block.end);
  while (source.length > 0 && source[source.length - 1]?.trim() === '') {
    source.pop();
  }
  let indent = Number.POSITIVE_INFINITY;
  for (const line of source) {
    if (line.trim() !== '') {
      indent = Math.min(indent, leadingBlanks(line));
    }
  }
  return source.map((line) => line.slice(Math.min(indent, leadingBlanks(line))));
}

/** How many spaces and tabs a line starts with. */
export function leadingBlanks(line: string): number {
  let count = 0;
  while (line.charCodeAt(count) === 32 || line.charCodeAt(count) === 9) {
    count++;
  }
  return count;
}

/** Without leading empty lines and trailing white space (like /^\n+|\s+$/g, which was quadratic). */
export function trimBlankEnds(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 10) {
    start++;
  }
  return text.slice(start).trimEnd();
}

/**
 * A group is done when all its children are done or skipped; a group marked done whose children are not
 * all finished is in progress. Children come after their parent, so one pass from the end settles nested
 * groups bottom up.
 */
export function settleGroupStatuses(tasks: readonly Task[]): void {
  const allChildrenFinished = new Map<string, boolean>();
  for (let i = tasks.length - 1; i >= 0; i--) {
    const task = tasks[i];
    if (task === undefined) {
      continue;
    }
    const finished = allChildrenFinished.get(task.id);
    if (finished === true) {
      task.status = 'done';
    } else if (finished === false && task.status === 'done') {
      task.status = 'in_progress';
    }
    if (task.parent !== null) {
      const done = task.status === 'done' || task.status === 'skipped';
      allChildrenFinished.set(task.parent, (allChildrenFinished.get(task.parent) ?? true) && done);
    }
  }
}

/** Ids unique within one file: a repeated one gets `-2`, `-3`; and positional ids (`3`, `2.1`) counted. */
export class IdSet {
  private readonly _ids = new Set<string>();
  /** The suffix to try next for a repeated base: a base written 100 000 times stays linear. */
  private readonly _nextSuffix = new Map<string, number>();
  /** Positional ids of subtasks, per parent: counted, not searched. */
  private readonly _childCounts = new Map<string, number>();
  private _topLevelCount = 0;

  has(id: string): boolean {
    return this._ids.has(id);
  }

  claim(base: string): string {
    let id = base;
    if (this._ids.has(id)) {
      // Every suffix below the remembered one is taken already: ids are never given back.
      let n = this._nextSuffix.get(base) ?? 2;
      while (this._ids.has(`${base}-${n}`)) {
        n++;
      }
      id = `${base}-${n}`;
      this._nextSuffix.set(base, n + 1);
    }
    this._ids.add(id);
    return id;
  }

  /** The next position under a parent (`2.3`) or at the top (`3`), not yet claimed. */
  nextPosition(parentId: string | null): string {
    if (parentId === null) {
      return String(++this._topLevelCount);
    }
    const position = (this._childCounts.get(parentId) ?? 0) + 1;
    this._childCounts.set(parentId, position);
    return `${parentId}.${position}`;
  }
}

/** YAML front matter is metadata, not markdown: blanked out, keeping the line numbers. */
export function blankFrontMatter(text: string): string {
  const end = frontMatterEnd(text);
  return end === undefined ? text : text.slice(0, end).replace(/[^\n]/g, '') + text.slice(end);
}

/** Where a leading `---` front matter block ends (after its closing line), found line by line. */
export function frontMatterEnd(text: string): number | undefined {
  if (!text.startsWith('---\n')) {
    return undefined;
  }
  let at = 4;
  while (at < text.length) {
    const next = text.indexOf('\n', at);
    const line = text.slice(at, next < 0 ? text.length : next).trimEnd();
    if (line === '---' || line === '...') {
      return next < 0 ? text.length : next + 1;
    }
    if (next < 0) {
      return undefined;
    }
    at = next + 1;
  }
  return undefined;
}

/** The file's name without its folder and extension: a plan's name when the file has no H1. */
export function baseName(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.[^.]+$/, '') || name;
}
