/**
 * Tasks files to plan tasks, deterministically, with a real CommonMark + GFM parser (markdown-it):
 * code blocks, tables, HTML and prose can never become tasks, and every task keeps its source line.
 *
 * Which parts of a file are tasks (documented in the README, "How ACA reads a tasks file"):
 * 1. Checkbox items (`- [ ]`, `- [x]`, Kiro's `[-]` and optional `[ ]*`) are tasks; a nested checkbox item
 *    is a subtask; plain sub-bullets and paragraphs under a task are its description.
 * 2. In a file with no checkbox at all, numbered headings (`### 1. Database Setup`) are tasks, their
 *    content is the description, and "task #N" in a Dependencies/Requires line becomes a dependency.
 * 3. Otherwise a list with no checkbox at all is a list of tasks (bullets or numbers), unless a paragraph
 *    ending in ":" introduces it (then it details that paragraph).
 * 4. A file with none of these, or one that opens with prose and has no checkbox or numbered-heading
 *    task, is one task: its title the first heading (or line), its description the rest.
 * Headings are sections, never tasks (except rule 2); a heading naming a priority sets the priority of
 * the tasks under it.
 */
import type { Priority, Reference, Task, TaskStatus, TasksFormat } from '../model/plan';
import { parseBlocks, walkBlocks, type Block, type HeadingBlock, type ListBlock, type ListItemBlock } from './markdownBlocks';
import type { Problem } from '../plan/problems';

export interface ParsedTasksFile {
  /** From the file's leading H1, else its base name. */
  readonly name: string;
  /** The layout the file was read as. */
  readonly format: TasksFormat;
  readonly tasks: Task[];
  readonly problems: Problem[];
}

export interface ParseTasksOptions {
  /** How the file is named in tasks' `source.file` and in problems. */
  readonly file: string;
}

/** Titles longer than this (in grapheme clusters) are shortened; the full text stays in the description. */
export const MAX_TITLE_GRAPHEMES = 200;

const PRIORITY_HEADINGS: ReadonlyArray<[RegExp, Priority]> = [
  [/\bcritical\b/i, 'critical'],
  [/\bhigh\b/i, 'high'],
  [/\b(medium|normal)\b/i, 'normal'],
  [/\blow\b/i, 'low'],
  [/\bbackground\b/i, 'background'],
];

/** `[ ]`, `[x]`, `[X]`, `[-]`, each optionally followed by Kiro's `*` (optional task). */
const CHECKBOX_MARKER = /^\[([ xX-])\](\*?)[ \t]+/;
/** Kiro-style numbering at the start of a title: `1.`, `2.1`, `2.1.` */
const TASK_NUMBER = /^(\d+(?:\.\d+)*)\.?[ \t]+(?=\S)/;
/** `_Requirements: 1.1, 2.3_`: the opening; the value and its closing `_` are found by wrappedValue. */
const REQUIREMENTS_OPENING = /^(?:[-*+][ \t]+)?_Requirements?:/i;
/** `**Validates: Requirements 1.2**`, likewise. */
const VALIDATES_OPENING = /^(?:[-*+][ \t]+)?\*\*Validates?:/i;
const CHECKPOINT_TITLE = /^checkpoint\b/i;
const DEPENDENCY_LINE = /\b(depend|require|after|blocked)/i;
const TASK_NUMBER_MENTION = /\btasks?[ \t]*((?:#\d+(?:[ \t]*(?:,|and|&)[ \t]*)?)+)/gi;

export function parseMarkdownTasks(text: string, options: ParseTasksOptions): ParsedTasksFile {
  const parser = new TasksFileParser(text, options.file);
  return parser.parse();
}

interface Section {
  readonly depth: number;
  readonly title: string;
  readonly priority: Priority | undefined;
}

class TasksFileParser {
  private readonly _tasks: Task[] = [];
  private readonly _problems: Problem[] = [];
  private readonly _usedIds = new Set<string>();
  /** Positional ids of subtasks, per parent: counted, not searched (a file may hold 100 000 tasks). */
  private readonly _childCounts = new Map<string, number>();
  private readonly _lines: string[];
  private _sections: Section[] = [];
  private _topLevelCount = 0;

  constructor(
    private readonly _text: string,
    private readonly _file: string,
  ) {
    this._lines = _text.split('\n');
  }

  parse(): ParsedTasksFile {
    const blocks = parseBlocks(blankFrontMatter(this._text));
    // A leading H1 names the plan; it is not a section of every task.
    const titleIndex = blocks.findIndex((b) => b.type !== 'html');
    const titleBlock = blocks[titleIndex];
    const title = titleBlock?.type === 'heading' && titleBlock.depth === 1 ? titleBlock : undefined;
    const body = title ? blocks.slice(titleIndex + 1) : blocks;
    const name = title ? title.text : basename(this._file);

    let hasCheckbox = false;
    for (const block of walkBlocks(blocks)) {
      if (block.type === 'listItem' && this._checkbox(block) !== undefined) {
        hasCheckbox = true;
        break;
      }
    }
    const numberedHeadings = !hasCheckbox && body.some((b) => b.type === 'heading' && b.depth > 1 && TASK_NUMBER.test(b.text));
    const opensWithProse = body.find((b) => b.type !== 'html')?.type === 'paragraph';

    if (hasCheckbox || (!numberedHeadings && !opensWithProse)) {
      this._listMode(body);
    } else if (numberedHeadings) {
      this._numberedHeadingMode(body);
    }
    if (this._tasks.length === 0) {
      this._singleTask(blocks, title);
    }
    this._resolveNumberedDependencies();
    const format: TasksFormat = hasCheckbox ? 'checklist' : numberedHeadings && this._tasks.length > 0 ? 'numbered-headings' : this._tasks.length === 1 && this._tasks[0]!.source?.line === (title ? title.start + 1 : undefined) ? 'document' : 'plain-list';
    return { name, format, tasks: this._tasks, problems: this._problems };
  }

  // --- rule 1 and 3: lists --------------------------------------------------------------------

  private _listMode(blocks: readonly Block[]): void {
    let previous: Block | undefined;
    for (const block of blocks) {
      if (block.type === 'heading') {
        this._enterSection(block);
      } else if (block.type === 'list') {
        const introduced = previous?.type === 'paragraph' && previous.text.trimEnd().endsWith(':');
        if (this._listHasCheckbox(block)) {
          this._checkboxList(block, null);
        } else if (!introduced) {
          this._plainList(block);
        }
      }
      previous = block;
    }
  }

  private _checkboxList(list: ListBlock, parent: Task | null): void {
    let previousTask: Task | undefined;
    for (const item of list.items) {
      const checkbox = this._checkbox(item);
      if (checkbox || this._containsCheckbox(item)) {
        previousTask = this._itemTask(item, parent, checkbox?.status ?? 'pending', checkbox?.optional ?? false, true);
      } else if (!parent && previousTask) {
        // A top-level plain bullet beside checkbox siblings adds to the task before it (nested ones
        // were taken by the parent already).
        appendDescription(previousTask, this._source(item));
      }
    }
  }

  private _plainList(list: ListBlock): void {
    for (const item of list.items) {
      this._itemTask(item, null, 'pending', false, false);
    }
  }

  /** A task from a list item: first line is the title, the rest and plain children the description. */
  private _itemTask(item: ListItemBlock, parent: Task | null, status: TaskStatus, optional: boolean, checkboxMode: boolean): Task | undefined {
    const [first, ...rest] = item.children;
    const line = item.start + 1;
    if (!first || first.type !== 'paragraph' || first.start !== item.start) {
      this._problem('warning', 'task-empty', 'a list item with no text on its first line is not a task', line);
      return undefined;
    }
    const [titleLine = '', ...moreLines] = first.text.replace(CHECKBOX_MARKER, '').split('\n');
    const descriptionParts: string[] = moreLines.length ? [moreLines.join('\n')] : [];
    const nestedLists: ListBlock[] = [];
    const describedBlocks: Block[] = [first];
    for (const child of rest) {
      if (child.type === 'list' && checkboxMode && this._listHasCheckbox(child)) {
        nestedLists.push(child);
        // Plain bullets beside nested checkboxes describe this task, in document order.
        for (const nested of child.items) {
          if (!this._checkbox(nested) && !this._containsCheckbox(nested)) {
            descriptionParts.push(this._source(nested));
            pushAll(describedBlocks, nested.children);
          }
        }
      } else {
        descriptionParts.push(this._source(child));
        describedBlocks.push(child);
      }
    }
    const task = this._newTask(titleLine, descriptionParts.join('\n'), parent, status, optional, line);
    this._addLinkReferences(task, describedBlocks);
    for (const list of nestedLists) {
      this._checkboxList(list, task);
    }
    return task;
  }

  // --- rule 2: numbered headings -----------------------------------------------------------------

  private _numberedHeadingMode(blocks: readonly Block[]): void {
    let current: { task: Task; depth: number; nodes: Block[] } | undefined;
    const finish = (): void => {
      if (current && current.nodes.length > 0) {
        // The exact source from the first block to the last: nothing re-joined, nothing lost.
        const start = current.nodes[0]!.start;
        const end = current.nodes[current.nodes.length - 1]!.end;
        appendDescription(current.task, this._lines.slice(start, end).join('\n'));
        this._addLinkReferences(current.task, current.nodes);
      }
      current = undefined;
    };
    for (const block of blocks) {
      if (block.type === 'heading' && (!current || block.depth <= current.depth)) {
        finish();
        if (block.depth > 1 && TASK_NUMBER.test(block.text)) {
          const task = this._newTask(block.text, '', null, 'pending', false, block.start + 1);
          current = { task, depth: block.depth, nodes: [] };
        } else {
          this._enterSection(block);
        }
      } else if (current) {
        current.nodes.push(block);
      }
    }
    finish();
  }

  /** "Requires API Server (task #2)" → a dependency on the task numbered 2, when there is one. */
  private _resolveNumberedDependencies(): void {
    const ids = new Set(this._tasks.map((t) => t.id));
    for (const task of this._tasks) {
      for (const line of task.description.split('\n')) {
        if (!DEPENDENCY_LINE.test(line)) {
          continue;
        }
        for (const mention of line.matchAll(TASK_NUMBER_MENTION)) {
          for (const number of (mention[1] ?? '').match(/\d+/g) ?? []) {
            if (ids.has(number) && number !== task.id && !task.dependsOn.includes(number)) {
              task.dependsOn.push(number);
            }
          }
        }
      }
    }
  }

  // --- rule 4: the whole file is one task ------------------------------------------------------

  private _singleTask(blocks: readonly Block[], title: HeadingBlock | undefined): void {
    const firstIndex = this._lines.findIndex((l) => l.trim() !== '');
    if (firstIndex === -1) {
      this._problem('warning', 'file-empty', 'the file has no text, so it has no task', 1);
      return;
    }
    const titleText = title ? title.text : this._lines[firstIndex]!.replace(/^#+\s*/, '').trim();
    const bodyStart = title ? title.end : firstIndex + 1;
    const line = (title ? title.start : firstIndex) + 1;
    const task = this._newTask(titleText, this._lines.slice(bodyStart).join('\n').trim(), null, 'pending', false, line);
    this._addLinkReferences(task, blocks);
    // The seed's `-> file` may stand on any line of a single-task file.
    for (const textLine of task.description.split('\n')) {
      const arrow = arrowReference(textLine);
      if (arrow) {
        addReference(task, arrow.target);
      }
    }
  }

  // --- building tasks ---------------------------------------------------------------------------

  private _newTask(rawTitle: string, rawDescription: string, parent: Task | null, status: TaskStatus, optional: boolean, line: number): Task {
    let title = rawTitle.trim();
    let number: string | undefined;
    const numbered = TASK_NUMBER.exec(title);
    if (numbered) {
      number = numbered[1];
      title = title.slice(numbered[0].length);
    }
    const references: string[] = [];
    const arrow = arrowReference(title);
    if (arrow) {
      references.push(arrow.target);
      title = title.slice(0, arrow.index).trimEnd();
    }
    const requirements: string[] = [];
    const validates: string[] = [];
    const descriptionLines: string[] = [];
    for (const descriptionLine of rawDescription.split('\n')) {
      const trimmed = descriptionLine.trim();
      const requirement = wrappedValue(trimmed, REQUIREMENTS_OPENING, '_');
      const validation = requirement === undefined ? wrappedValue(trimmed, VALIDATES_OPENING, '**') : undefined;
      if (requirement !== undefined) {
        pushAll(requirements, splitList(requirement));
      } else if (validation !== undefined) {
        pushAll(validates, splitList(validation));
      } else {
        const lineArrow = arrowReference(descriptionLine);
        if (lineArrow && /^[-*+]|^\d+[.)]/.test(trimmed)) {
          references.push(lineArrow.target);
        }
        descriptionLines.push(descriptionLine);
      }
    }
    let description = trimBlankEnds(descriptionLines.join('\n'));
    const shortened = shortenTitle(title);
    if (shortened !== title) {
      description = description ? `${title}\n\n${description}` : title;
      title = shortened;
    }

    const id = this._assignId(number, parent);
    const section = parent ? parent.section : this._sections.map((s) => s.title);
    const task: Task = {
      id,
      title,
      description,
      parent: parent?.id ?? null,
      dependsOn: [],
      priority: parent?.priority ?? this._sectionPriority(),
      complexity: null,
      status,
      optional,
      checkpoint: CHECKPOINT_TITLE.test(title),
      section,
      references: [],
      requirements,
      validates,
      verify: [],
      parallel: false,
      story: null,
      files: [],
      source: { file: this._file, line },
    };
    for (const reference of references) {
      addReference(task, reference);
    }
    this._tasks.push(task);
    return task;
  }

  private _assignId(number: string | undefined, parent: Task | null): string {
    let base: string;
    if (number && !this._usedIds.has(number)) {
      base = number;
    } else if (parent) {
      const siblings = (this._childCounts.get(parent.id) ?? 0) + 1;
      this._childCounts.set(parent.id, siblings);
      base = `${parent.id}.${siblings}`;
    } else {
      base = String(++this._topLevelCount);
    }
    let id = base;
    for (let n = 2; this._usedIds.has(id); n++) {
      id = `${base}-${n}`;
    }
    this._usedIds.add(id);
    return id;
  }

  private _addLinkReferences(task: Task, blocks: readonly Block[]): void {
    for (const block of walkBlocks(blocks)) {
      if (block.type === 'paragraph') {
        for (const url of block.links) {
          if (isLocalTarget(url)) {
            addReference(task, decodeTarget(url));
          }
        }
      }
    }
  }

  // --- sections and priorities -----------------------------------------------------------------

  private _enterSection(heading: HeadingBlock): void {
    this._sections = this._sections.filter((s) => s.depth < heading.depth);
    const priority = PRIORITY_HEADINGS.find(([pattern]) => pattern.test(heading.text))?.[1];
    this._sections.push({ depth: heading.depth, title: heading.text, priority });
  }

  private _sectionPriority(): Priority {
    for (let i = this._sections.length - 1; i >= 0; i--) {
      const priority = this._sections[i]?.priority;
      if (priority) {
        return priority;
      }
    }
    return 'normal';
  }

  // --- checkboxes ------------------------------------------------------------------------------

  /** `[ ]`, `[x]`, `[X]`, `[-]` (Kiro: in progress), each optionally followed by `*` (Kiro: optional). */
  private _checkbox(item: ListItemBlock): { status: TaskStatus; optional: boolean } | undefined {
    const first = item.children[0];
    if (first?.type !== 'paragraph' || first.start !== item.start) {
      return undefined;
    }
    const marker = CHECKBOX_MARKER.exec(first.text);
    if (!marker) {
      return undefined;
    }
    const status: TaskStatus = marker[1] === '-' ? 'in_progress' : marker[1] === ' ' ? 'pending' : 'done';
    return { status, optional: marker[2] === '*' };
  }

  private _listHasCheckbox(list: ListBlock): boolean {
    return list.items.some((item) => this._checkbox(item) !== undefined || this._containsCheckbox(item));
  }

  private _containsCheckbox(item: ListItemBlock): boolean {
    return item.children.some((child) => child.type === 'list' && this._listHasCheckbox(child));
  }

  // --- text helpers ----------------------------------------------------------------------------

  /** A block's source lines, with the indentation its container added removed. */
  private _source(block: Block | ListItemBlock): string {
    const lines = this._lines.slice(block.start, block.end);
    while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') {
      lines.pop();
    }
    // A loop, not Math.min(...indents): a block may have more lines than a call has room for arguments.
    let indent = Number.POSITIVE_INFINITY;
    for (const l of lines) {
      if (l.trim() !== '') {
        indent = Math.min(indent, leadingBlanks(l));
      }
    }
    return lines.map((l) => l.slice(Math.min(indent, leadingBlanks(l)))).join('\n');
  }

  private _problem(severity: Problem['severity'], code: string, message: string, line: number): void {
    this._problems.push({ severity, code, message, file: this._file, line });
  }
}

/** YAML front matter is metadata, not markdown: blank it out, keeping the line numbers. */
function blankFrontMatter(text: string): string {
  const match = /^---\n[\s\S]*?\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(text);
  return match ? match[0].replace(/[^\n]/g, '') + text.slice(match[0].length) : text;
}

function appendDescription(task: Task, text: string): void {
  const trimmed = trimBlankEnds(text);
  if (trimmed) {
    task.description = task.description ? `${task.description}\n${trimmed}` : trimmed;
  }
}

function addReference(task: Task, path: string): void {
  const cleaned = path.trim().replace(/^<(.*)>$/, '$1');
  if (cleaned && !task.references.some((r: Reference) => r.path === cleaned)) {
    task.references.push({ path: cleaned, found: false });
  }
}

function splitList(text: string): string[] {
  return text
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

let graphemes: Intl.Segmenter | undefined;

/** Only this many UTF-16 units of a title are segmented: enough for MAX_TITLE_GRAPHEMES of ordinary text. */
const TITLE_SEGMENTED_UNITS = MAX_TITLE_GRAPHEMES * 32;

/** Shortens to MAX_TITLE_GRAPHEMES grapheme clusters, so no character (nor emoji sequence) is cut. */
export function shortenTitle(title: string): string {
  // A grapheme is at least one UTF-16 unit: a short string cannot be over the limit (the common case).
  if (title.length <= MAX_TITLE_GRAPHEMES) {
    return title;
  }
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  // V8's segmenter costs time in the length of the whole string at every step: segment a bounded prefix
  // only. Every cluster but the prefix's last is whole, and at most MAX_TITLE_GRAPHEMES - 1 are kept.
  const prefix = title.slice(0, TITLE_SEGMENTED_UNITS);
  const segments: string[] = [];
  for (const { segment } of graphemes.segment(prefix)) {
    segments.push(segment);
    if (segments.length > MAX_TITLE_GRAPHEMES) {
      break;
    }
  }
  if (prefix.length === title.length && segments.length <= MAX_TITLE_GRAPHEMES) {
    return title;
  }
  // Over the limit, or a title of giant clusters (combining marks): the prefix's last cluster may be cut.
  const kept = Math.min(MAX_TITLE_GRAPHEMES - 1, segments.length - 1);
  return `${segments.slice(0, kept).join('').trimEnd()}…`;
}

export function isLocalTarget(url: string): boolean {
  return url !== '' && !url.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('//');
}

export function decodeTarget(url: string): string {
  const withoutFragment = withoutQueryOrFragment(url);
  try {
    return decodeURIComponent(withoutFragment);
  } catch {
    return withoutFragment;
  }
}

function basename(file: string): string {
  const name = file.split(/[\\/]/).pop() ?? file;
  return name.replace(/\.[^.]+$/, '') || name;
}

/** `url` up to its first `?` or `#`. */
export function withoutQueryOrFragment(url: string): string {
  const query = url.indexOf('?');
  const fragment = url.indexOf('#');
  const end = query === -1 ? fragment : fragment === -1 ? query : Math.min(query, fragment);
  return end === -1 ? url : url.slice(0, end);
}

/**
 * The seed's reference syntax at the end of a line, `text -> path` (also `→`): the first arrow after a
 * space or tab that the rest of the line follows as a path. `index` is where the blanks before the arrow
 * start. Scanned by hand, in one pass: the regex it replaces, /[ \t]+(?:->|→)[ \t]*(\S(?:.*\S)?)[ \t]*$/,
 * took time quadratic in a run of spaces.
 */
export function arrowReference(line: string): { index: number; target: string } | undefined {
  let end = line.length;
  while (end > 0 && isBlank(line.charCodeAt(end - 1))) {
    end--;
  }
  if (end === 0 || /\s/.test(line[end - 1]!)) {
    return undefined;
  }
  // The path may not span a line break (a `.` of the old pattern).
  const lastBreak = Math.max(line.lastIndexOf('\n', end), line.lastIndexOf('\r', end), line.lastIndexOf('\u2028', end), line.lastIndexOf('\u2029', end));
  for (let i = 1; i < end; i++) {
    const arrowLength = line.charCodeAt(i) === 0x2192 ? 1 : line.startsWith('->', i) ? 2 : 0;
    if (arrowLength === 0 || !isBlank(line.charCodeAt(i - 1))) {
      continue;
    }
    let start = i + arrowLength;
    while (start < end && isBlank(line.charCodeAt(start))) {
      start++;
    }
    if (start < end && start > lastBreak && !/\s/.test(line[start]!)) {
      let index = i - 1;
      while (index > 0 && isBlank(line.charCodeAt(index - 1))) {
        index--;
      }
      return { index, target: line.slice(start, end) };
    }
  }
  return undefined;
}

/**
 * The value of a line like `_Requirements: 1.1, 2.3_`: what follows `opening` up to `closing` at the end
 * of the line (blanks after it allowed); undefined when the line is not one. The closing is found from the
 * end: a lazy `(.+?)_[ \t]*$` backtracked quadratically on a line that never closes.
 */
function wrappedValue(line: string, opening: RegExp, closing: string): string | undefined {
  const open = opening.exec(line);
  if (!open) {
    return undefined;
  }
  let end = line.length;
  while (end > open[0].length && isBlank(line.charCodeAt(end - 1))) {
    end--;
  }
  const value = line.slice(open[0].length, end - closing.length);
  if (end - closing.length <= open[0].length || !line.startsWith(closing, end - closing.length) || /[\n\r\u2028\u2029]/.test(value)) {
    return undefined;
  }
  return value;
}

/** Without leading empty lines and trailing white space (like /^\n+|\s+$/g, which was quadratic). */
function trimBlankEnds(text: string): string {
  let start = 0;
  while (text.charCodeAt(start) === 10) {
    start++;
  }
  return text.slice(start).trimEnd();
}

/** `target.push(...items)` for any number of items (a spread overflows the stack past about 100 000). */
export function pushAll<T>(target: T[], items: Iterable<T>): void {
  for (const item of items) {
    target.push(item);
  }
}

/** A space or a tab. */
function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

function leadingBlanks(line: string): number {
  let count = 0;
  while (isBlank(line.charCodeAt(count))) {
    count++;
  }
  return count;
}
