/**
 * Tasks files to plan tasks, deterministically, with a real CommonMark + GFM parser (micromark/mdast):
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
import type { Heading, List, ListItem, Nodes, Paragraph, Root, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { gfmFromMarkdown } from 'mdast-util-gfm';
import { gfm } from 'micromark-extension-gfm';
import type { Priority, Reference, Task, TaskStatus } from '../model/plan';
import type { Problem } from '../plan/problems';

export interface ParsedTasksFile {
  /** From the file's leading H1, else its base name. */
  readonly name: string;
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
/** The seed's reference syntax at the end of a line: `text -> path` (also `→`). */
const ARROW_REFERENCE = /[ \t]+(?:->|→)[ \t]*(\S(?:.*\S)?)[ \t]*$/;
const REQUIREMENTS_LINE = /^(?:[-*+][ \t]+)?_Requirements?:[ \t]*(.+?)_[ \t]*$/i;
const VALIDATES_LINE = /^(?:[-*+][ \t]+)?\*\*Validates?:[ \t]*(.+?)\*\*[ \t]*$/i;
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
  private readonly _lineStarts: number[];
  private _sections: Section[] = [];
  private _topLevelCount = 0;

  constructor(
    private readonly _text: string,
    private readonly _file: string,
  ) {
    this._lineStarts = [0];
    for (let i = 0; i < _text.length; i++) {
      if (_text.charCodeAt(i) === 10) {
        this._lineStarts.push(i + 1);
      }
    }
  }

  parse(): ParsedTasksFile {
    const root = fromMarkdown(this._text, { extensions: [gfm()], mdastExtensions: [gfmFromMarkdown()] });
    const blocks = root.children;
    // A leading H1 names the plan; it is not a section of every task.
    const titleIndex = blocks.findIndex((b) => b.type !== 'html' && b.type !== 'definition' && b.type !== 'yaml');
    const titleBlock = blocks[titleIndex];
    const title = titleBlock?.type === 'heading' && titleBlock.depth === 1 ? titleBlock : undefined;
    const body = title ? blocks.slice(titleIndex + 1) : blocks;
    const name = title ? this._inline(title) : basename(this._file);

    const hasCheckbox = anyNode(root, (node) => node.type === 'listItem' && this._checkbox(node) !== undefined);
    const numberedHeadings = !hasCheckbox && body.some((b) => b.type === 'heading' && b.depth > 1 && TASK_NUMBER.test(this._inline(b)));
    const opensWithProse = body.find((b) => b.type !== 'html')?.type === 'paragraph';

    if (hasCheckbox || (!numberedHeadings && !opensWithProse)) {
      this._listMode(body);
    } else if (numberedHeadings) {
      this._numberedHeadingMode(body);
    }
    if (this._tasks.length === 0) {
      this._singleTask(root, title);
    }
    this._resolveNumberedDependencies();
    return { name, tasks: this._tasks, problems: this._problems };
  }

  // --- rule 1 and 3: lists --------------------------------------------------------------------

  private _listMode(blocks: readonly RootContent[]): void {
    let previous: RootContent | undefined;
    for (const block of blocks) {
      if (block.type === 'heading') {
        this._enterSection(block);
      } else if (block.type === 'list') {
        const introduced = previous?.type === 'paragraph' && this._raw(previous).trimEnd().endsWith(':');
        if (this._listHasCheckbox(block)) {
          this._checkboxList(block, null);
        } else if (!introduced) {
          this._plainList(block);
        }
      }
      previous = block;
    }
  }

  private _checkboxList(list: List, parent: Task | null): void {
    let previousTask: Task | undefined;
    list.children.forEach((item) => {
      const checkbox = this._checkbox(item);
      if (checkbox || this._containsCheckbox(item)) {
        previousTask = this._itemTask(item, parent, checkbox?.status ?? 'pending', checkbox?.optional ?? false, true);
      } else if (!parent && previousTask) {
        // A top-level plain bullet beside checkbox siblings adds to the task before it (nested ones
        // were taken by the parent already).
        appendDescription(previousTask, this._dedent(this._raw(item)));
      }
    });
  }

  private _plainList(list: List): void {
    for (const item of list.children) {
      this._itemTask(item, null, 'pending', false, false);
    }
  }

  /** A task from a list item: first line is the title, the rest and plain children the description. */
  private _itemTask(item: ListItem, parent: Task | null, status: TaskStatus, optional: boolean, checkboxMode: boolean): Task | undefined {
    const [first, ...rest] = item.children;
    const line = this._line(item.position?.start.offset ?? 0);
    if (!first || first.type !== 'paragraph') {
      this._problem('warning', 'task-empty', 'a list item with no text is not a task', line);
      return undefined;
    }
    const firstText = this._dedent(this._raw(first)).replace(CHECKBOX_MARKER, '');
    const [titleLine = '', ...moreLines] = firstText.split('\n');
    const descriptionParts: string[] = moreLines.length ? [moreLines.join('\n')] : [];
    const nestedLists: List[] = [];
    for (const child of rest) {
      if (child.type === 'list' && checkboxMode && this._listHasCheckbox(child)) {
        nestedLists.push(child);
        // Plain bullets beside nested checkboxes describe this task, in document order.
        for (const nested of child.children) {
          if (!this._checkbox(nested) && !this._containsCheckbox(nested)) {
            descriptionParts.push(this._dedent(this._raw(nested)));
          }
        }
      } else {
        descriptionParts.push(this._dedent(this._raw(child)));
      }
    }
    const task = this._newTask(titleLine, descriptionParts.join('\n'), parent, status, optional, line, item);
    for (const list of nestedLists) {
      this._checkboxList(list, task);
    }
    return task;
  }

  // --- rule 2: numbered headings -----------------------------------------------------------------

  private _numberedHeadingMode(blocks: readonly RootContent[]): void {
    let current: { task: Task; depth: number; nodes: RootContent[] } | undefined;
    const finish = (): void => {
      if (current && current.nodes.length > 0) {
        // The exact source from the first block to the last: nothing re-joined, nothing lost.
        const start = current.nodes[0]!.position?.start.offset ?? 0;
        const end = current.nodes[current.nodes.length - 1]!.position?.end.offset ?? start;
        appendDescription(current.task, this._text.slice(start, end));
        this._addLinkReferences(current.task, current.nodes);
      }
      current = undefined;
    };
    for (const block of blocks) {
      if (block.type === 'heading' && (!current || block.depth <= current.depth)) {
        finish();
        const text = this._inline(block);
        if (block.depth > 1 && TASK_NUMBER.test(text)) {
          const line = this._line(block.position?.start.offset ?? 0);
          const task = this._newTask(text, '', null, 'pending', false, line, undefined);
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

  private _singleTask(root: Root, title: Heading | undefined): void {
    const firstLine = this._text.split('\n').find((l) => l.trim() !== '') ?? '';
    const titleText = title ? this._inline(title) : firstLine.replace(/^#+\s*/, '').trim();
    if (!titleText) {
      this._problem('warning', 'file-empty', 'the file has no text, so it has no task', 1);
      return;
    }
    const bodyStart = title?.position?.end.offset ?? this._text.indexOf(firstLine) + firstLine.length;
    const line = this._line(title?.position?.start.offset ?? this._text.indexOf(firstLine));
    const task = this._newTask(titleText, this._text.slice(bodyStart).trim(), null, 'pending', false, line, undefined);
    this._addLinkReferences(task, root.children);
    // The seed's `-> file` may stand on any line of a single-task file.
    for (const textLine of task.description.split('\n')) {
      const arrow = ARROW_REFERENCE.exec(textLine);
      if (arrow?.[1]) {
        addReference(task, arrow[1]);
      }
    }
  }

  // --- building tasks ---------------------------------------------------------------------------

  private _newTask(rawTitle: string, rawDescription: string, parent: Task | null, status: TaskStatus, optional: boolean, line: number, item: ListItem | undefined): Task {
    let title = rawTitle.trim();
    let number: string | undefined;
    const numbered = TASK_NUMBER.exec(title);
    if (numbered) {
      number = numbered[1];
      title = title.slice(numbered[0].length);
    }
    const references: string[] = [];
    const arrow = ARROW_REFERENCE.exec(title);
    if (arrow?.[1]) {
      references.push(arrow[1]);
      title = title.slice(0, arrow.index).trimEnd();
    }
    const requirements: string[] = [];
    const validates: string[] = [];
    const descriptionLines: string[] = [];
    for (const descriptionLine of rawDescription.split('\n')) {
      const trimmed = descriptionLine.trim();
      const requirement = REQUIREMENTS_LINE.exec(trimmed);
      const validation = VALIDATES_LINE.exec(trimmed);
      if (requirement?.[1]) {
        requirements.push(...splitList(requirement[1]));
      } else if (validation?.[1]) {
        validates.push(...splitList(validation[1]));
      } else {
        const lineArrow = ARROW_REFERENCE.exec(descriptionLine);
        if (lineArrow?.[1] && /^[-*+]|^\d+[.)]/.test(trimmed)) {
          references.push(lineArrow[1]);
        }
        descriptionLines.push(descriptionLine);
      }
    }
    let description = descriptionLines.join('\n').replace(/^\n+|\s+$/g, '');
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
      source: { file: this._file, line },
    };
    for (const reference of references) {
      addReference(task, reference);
    }
    if (item) {
      this._addLinkReferences(task, item.children.filter((c) => !(c.type === 'list' && this._listHasCheckbox(c))));
    }
    this._tasks.push(task);
    return task;
  }

  private _assignId(number: string | undefined, parent: Task | null): string {
    let base: string;
    if (number && !this._usedIds.has(number)) {
      base = number;
    } else if (parent) {
      const siblings = this._tasks.filter((t) => t.parent === parent.id).length;
      base = `${parent.id}.${siblings + 1}`;
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

  private _addLinkReferences(task: Task, nodes: readonly Nodes[]): void {
    for (const node of nodes) {
      forEachNode(node, (n) => {
        if (n.type === 'link' && isLocalTarget(n.url)) {
          addReference(task, decodeTarget(n.url));
        }
      });
    }
  }

  // --- sections and priorities -----------------------------------------------------------------

  private _enterSection(heading: Heading): void {
    const title = this._inline(heading);
    this._sections = this._sections.filter((s) => s.depth < heading.depth);
    const priority = PRIORITY_HEADINGS.find(([pattern]) => pattern.test(title))?.[1];
    this._sections.push({ depth: heading.depth, title, priority });
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

  private _checkbox(item: ListItem): { status: TaskStatus; optional: boolean } | undefined {
    const first = item.children[0];
    const raw = first?.type === 'paragraph' ? this._raw(first) : '';
    if (item.checked === true || item.checked === false) {
      // GFM consumed `[ ]`/`[x]`; Kiro's `*` right after it is left in the text.
      return { status: item.checked ? 'done' : 'pending', optional: /^\*[ \t]/.test(raw) };
    }
    const marker = CHECKBOX_MARKER.exec(raw);
    if (!marker) {
      return undefined;
    }
    const status: TaskStatus = marker[1] === '-' ? 'in_progress' : marker[1] === ' ' ? 'pending' : 'done';
    return { status, optional: marker[2] === '*' };
  }

  private _listHasCheckbox(list: List): boolean {
    return list.children.some((item) => this._checkbox(item) !== undefined || this._containsCheckbox(item));
  }

  private _containsCheckbox(item: ListItem): boolean {
    return item.children.some((child) => child.type === 'list' && this._listHasCheckbox(child));
  }

  // --- text helpers ----------------------------------------------------------------------------

  private _raw(node: Nodes): string {
    const start = node.position?.start.offset ?? 0;
    const end = node.position?.end.offset ?? start;
    return this._text.slice(start, end);
  }

  /** A heading's or paragraph's inline source, as written (markup kept, line breaks folded). */
  private _inline(node: Heading | Paragraph): string {
    const children = node.children;
    if (children.length === 0) {
      return '';
    }
    const start = children[0]!.position?.start.offset ?? 0;
    const end = children[children.length - 1]!.position?.end.offset ?? start;
    return this._text.slice(start, end).replace(/\s*\n\s*/g, ' ').trim();
  }

  /** Removes the indentation that list nesting adds to continuation lines. */
  private _dedent(raw: string): string {
    const lines = raw.split('\n');
    const indents = lines.slice(1).filter((l) => l.trim() !== '').map((l) => /^[ \t]*/.exec(l)![0].length);
    const indent = indents.length ? Math.min(...indents) : 0;
    return [lines[0] ?? '', ...lines.slice(1).map((l) => l.slice(Math.min(indent, /^[ \t]*/.exec(l)![0].length)))].join('\n');
  }

  private _line(offset: number): number {
    let low = 0;
    let high = this._lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this._lineStarts[mid]! <= offset) {
        low = mid;
      } else {
        high = mid - 1;
      }
    }
    return low + 1;
  }

  private _problem(severity: Problem['severity'], code: string, message: string, line: number): void {
    this._problems.push({ severity, code, message, file: this._file, line });
  }
}

function appendDescription(task: Task, text: string): void {
  const trimmed = text.replace(/^\n+|\s+$/g, '');
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

/** Shortens to MAX_TITLE_GRAPHEMES grapheme clusters, so no character (nor emoji sequence) is cut. */
export function shortenTitle(title: string): string {
  const segments = Array.from(new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(title), (s) => s.segment);
  return segments.length <= MAX_TITLE_GRAPHEMES ? title : `${segments.slice(0, MAX_TITLE_GRAPHEMES - 1).join('').trimEnd()}…`;
}

function isLocalTarget(url: string): boolean {
  return url !== '' && !url.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(url) && !url.startsWith('//');
}

function decodeTarget(url: string): string {
  const withoutFragment = url.replace(/[?#].*$/, '');
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

function forEachNode(node: Nodes, visit: (node: Nodes) => void): void {
  visit(node);
  if ('children' in node) {
    for (const child of node.children) {
      forEachNode(child, visit);
    }
  }
}

function anyNode(node: Nodes, test: (node: Nodes) => boolean): boolean {
  if (test(node)) {
    return true;
  }
  return 'children' in node && node.children.some((child) => anyNode(child, test));
}
