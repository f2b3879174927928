/**
 * The general markdown reader: tasks files to plan tasks, deterministically, with a real CommonMark + GFM
 * parser (markdown-it): code blocks, tables, HTML and prose can never become tasks, and every task keeps
 * its source line. It reads checklists (Kiro and cc-sdd specs too), numbered headings, plain lists and
 * one-task documents; inline fields are read by taskFields.ts, dependencies resolved by dependencies.ts.
 *
 * Which parts of a file are tasks (documented in the README, "How ACA reads a tasks file"):
 * 1. Checkbox precedence: in a file with checkboxes (`- [ ]`, `- [x]`, `[-]`/`[~]` in progress, optional
 *    `*`), only checkbox items are tasks; a nested checkbox item is a subtask. Every other block is the
 *    description of the task before it (up to the next task or heading, list item or not), or prose before
 *    a section's first task (ignored). One exception keeps mixed task lists readable: a plain list that
 *    opens a section named as tasks or as a priority ("## Medium Priority Tasks") is a list of tasks.
 * 2. In a file with no checkbox at all, numbered headings (`### 1. Database Setup`) are tasks, their
 *    content is the description.
 * 3. Otherwise a list with no checkbox at all is a list of tasks (bullets or numbers), unless a paragraph
 *    ending in ":" introduces it (then it details that paragraph).
 * 4. A file with none of these, or one that opens with prose and has no checkbox or numbered-heading
 *    task, is one task: its title the first heading (or line), its description the rest.
 * Numbering makes hierarchy whatever the indentation (`1.` → `1.1`, cc-sdd's flat layout); a group is done
 * when all its children are. Headings are sections, never tasks (except rule 2); a heading that IS a
 * priority ("High Priority", "P1") sets the priority of the tasks under it.
 *
 * Over 400 lines on purpose: it is one concern, the rules above, in one class whose fields carry the state
 * between chunks (the current owner, section, dependency list). Splitting the rules across files would pass
 * that state around; the helpers that need none live in taskText.ts, taskFields.ts and ownedText.ts.
 */
import { newTask, type Task, type TaskStatus, type TasksFormat } from '../model/plan';
import { parseBlockChunks, parseBlocks, walkBlocks, type Block, type HeadingBlock, type ListBlock, type ListItemBlock } from './markdownBlocks';
import type { Problem } from '../model/problems';
import { resolveDependencies, type DependencyMention } from './dependencies';
import {
  baseName,
  blankFrontMatter,
  containsCheckbox,
  dedentedSource,
  hasCheckboxItem,
  IdSet,
  itemCheckbox,
  listHasCheckbox,
  settleGroupStatuses,
} from './ownedText';
import { pushAll } from '../common/arrays';
import { addReference, appendDescription, appendToList, decodeTarget, exactList, isLocalTarget, shortenTitle } from './taskText';
import { headingPriority, isCheckpointTitle, readTitleLine, TASK_NUMBER, type Checkbox } from './taskFields';
import { readFieldLine, taskNumberMentions } from './fieldLines';
import { pathArrow } from './taskPaths';

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

/** A section heading that names a list of tasks ("Documentation Tasks", "TODO"), not finished ones. */
const TASKS_HEADING = /\b(?:tasks?|todos?|to-dos?)\b/i;
const FINISHED_HEADING = /\b(?:done|completed?|finished|archived?|closed)\b/i;

export function parseMarkdownTasks(text: string, options: ParseTasksOptions): ParsedTasksFile {
  const parser = new TasksFileParser(text, options.file);
  return parser.parse();
}

interface Section {
  readonly depth: number;
  readonly title: string;
  readonly priority: Task['priority'] | undefined;
}

class TasksFileParser {
  private readonly _tasks: Task[] = [];
  private readonly _problems: Problem[] = [];
  private readonly _ids = new IdSet();
  /** Tasks by the number their line gives (`2.1`), for hierarchy from numbering. */
  private readonly _byNumber = new Map<string, Task>();
  private readonly _mentions: DependencyMention[] = [];
  private readonly _lines: string[];
  private _sections: Section[] = [];
  /** The titles of `_sections`, shared by the tasks under them until the next heading. */
  private _sectionTitles: string[] | undefined;
  /** The task that owns the blocks that follow (rule 2), until the next task or heading. */
  private _owner: Task | undefined;
  /** A `**Dependencies**:` line with its mentions in the list below it, for this task. */
  private _dependencyListOf: Task | undefined;
  /** The block _listMode read last, and one past the last line the owner's text came from. */
  private _previous: Block | undefined;
  private _ownerEnd = 0;

  constructor(
    private readonly _text: string,
    private readonly _file: string,
  ) {
    this._lines = _text.split('\n');
  }

  parse(): ParsedTasksFile {
    const text = blankFrontMatter(this._text);
    // Chunk by chunk: once a checkbox is seen (rule 1 holds for the whole file), each chunk's blocks are
    // read and dropped. Until then they are held: the rules for a file without checkboxes need all of it.
    let held: Block[] | undefined = [];
    let title: HeadingBlock | undefined;
    for (const chunk of parseBlockChunks(text)) {
      if (!held) {
        this._listMode(chunk, true);
        continue;
      }
      pushAll(held, chunk);
      if (hasCheckboxItem(chunk)) {
        const opening = titleAndBody(held);
        title = opening.title;
        held = undefined;
        this._listMode(opening.body, true);
      }
    }
    const hasCheckbox = held === undefined;
    let numberedHeadings = false;
    if (held) {
      const opening = titleAndBody(held);
      title = opening.title;
      const body = opening.body;
      numberedHeadings = body.some((b) => b.type === 'heading' && b.depth > 1 && TASK_NUMBER.test(b.text));
      const opensWithProse = body.find((b) => b.type !== 'html')?.type === 'paragraph';
      if (!numberedHeadings && !opensWithProse) {
        this._listMode(body, false);
      } else if (numberedHeadings) {
        this._numberedHeadingMode(body);
      }
    }
    const name = title ? title.text : baseName(this._file);
    if (this._tasks.length === 0) {
      this._singleTask(held ?? parseBlocks(text), title);
    }
    settleGroupStatuses(this._tasks);
    pushAll(this._problems, resolveDependencies(this._tasks, this._mentions, { file: this._file }));
    const format: TasksFormat = hasCheckbox
      ? 'checklist'
      : numberedHeadings && this._tasks.length > 0
        ? 'numbered-headings'
        : this._tasks.length === 1 && this._tasks[0]?.source?.line === (title ? title.start + 1 : undefined)
          ? 'document'
          : 'plain-list';
    return { name, format, tasks: this._tasks, problems: this._problems };
  }

  // --- rule 1 and 3: lists --------------------------------------------------------------------

  /** Called once per chunk of a file with checkboxes: what it remembers between blocks is in fields. */
  private _listMode(blocks: readonly Block[], checkboxes: boolean): void {
    for (const block of blocks) {
      if (block.type === 'heading') {
        this._enterSection(block);
        this._owner = undefined;
      } else if (block.type === 'list' && listHasCheckbox(block)) {
        this._checkboxList(block, null);
        this._ownerEnd = block.end;
      } else if (checkboxes) {
        // Checkbox precedence: everything else describes the task before it, or is prose.
        if (block.type === 'rule') {
          this._owner = undefined;
        } else if (this._owner) {
          // Outside its list item, at any indentation: the blank lines between blocks are kept.
          let gap = 0;
          for (let i = this._ownerEnd; i < block.start; i++) {
            gap += this._lines[i]?.trim() === '' ? 1 : 0;
          }
          this._describe(this._owner, this._source(block), block.start + 1, '\n'.repeat(gap + 1));
          this._addLinkReferences(this._owner, [block]);
          this._ownerEnd = block.end;
        } else if (block.type === 'list' && this._previous?.type === 'heading' && this._inTasksSection()) {
          this._plainList(block);
          this._owner = undefined;
        }
      } else if (block.type === 'list') {
        const previous = this._previous;
        const introduced = previous?.type === 'paragraph' && previous.text.trimEnd().endsWith(':');
        if (!introduced) {
          this._plainList(block);
        }
      }
      this._previous = block;
    }
  }

  /** The innermost section is a list of tasks to do: "Documentation Tasks", "High Priority", "TODO". */
  private _inTasksSection(): boolean {
    const section = this._sections[this._sections.length - 1];
    return section !== undefined && (section.priority !== undefined || (TASKS_HEADING.test(section.title) && !FINISHED_HEADING.test(section.title)));
  }

  private _checkboxList(list: ListBlock, parent: Task | null): void {
    for (const item of list.items) {
      const checkbox = itemCheckbox(item);
      if (checkbox || containsCheckbox(item)) {
        this._itemTask(item, parent, checkbox ?? { status: 'pending', optional: false }, true);
      } else if (!parent && this._owner) {
        // A top-level plain bullet beside checkbox siblings adds to the task before it (nested ones
        // were taken by the parent already).
        this._describe(this._owner, this._source(item), item.start + 1);
        this._addLinkReferences(this._owner, item.children);
      }
    }
  }

  private _plainList(list: ListBlock): void {
    for (const item of list.items) {
      this._itemTask(item, null, { status: 'pending', optional: false }, false);
    }
  }

  /** A task from a list item: first line is the title, the rest and plain children the description. */
  private _itemTask(item: ListItemBlock, parent: Task | null, checkbox: Checkbox, checkboxMode: boolean): Task | undefined {
    const [first, ...rest] = item.children;
    const line = item.start + 1;
    if (!first || first.type !== 'paragraph' || first.start !== item.start) {
      this._problem('warning', 'task-empty', 'a list item with no text on its first line is not a task', line);
      return undefined;
    }
    // The first paragraph is the title, however it is wrapped (markdown joins its lines); field lines
    // in it (`_Requirements: 1.1_` right under the title) are fields.
    const paragraphLines = first.text.split('\n');
    const fieldLines: Array<{ text: string; line: number }> = [];
    let title = paragraphLines[0] ?? '';
    for (let k = 1; k < paragraphLines.length; k++) {
      const paragraphLine = paragraphLines[k] ?? '';
      const field = readFieldLine(paragraphLine);
      if (field && field.kind !== 'status') {
        fieldLines.push({ text: paragraphLine, line: first.start + 1 + k });
      } else {
        title += ` ${paragraphLine.trim()}`;
      }
    }
    const task = this._newTask(title, parent, checkbox.status, checkbox.optional, line);
    for (const field of fieldLines) {
      this._describe(task, field.text, field.line);
    }
    const nestedLists: ListBlock[] = [];
    const describedBlocks: Block[] = [first];
    for (const child of rest) {
      // Nested items are subtasks: checkboxes under a checkbox, any item in a plain list of tasks.
      if (child.type === 'list' && (checkboxMode ? listHasCheckbox(child) : true)) {
        nestedLists.push(child);
        // Plain bullets beside nested checkboxes describe this task, in document order.
        for (const nested of checkboxMode ? child.items : []) {
          if (!itemCheckbox(nested) && !containsCheckbox(nested)) {
            this._describe(task, this._source(nested), nested.start + 1);
            pushAll(describedBlocks, nested.children);
          }
        }
      } else {
        this._describe(task, this._source(child), child.start + 1);
        describedBlocks.push(child);
      }
    }
    this._addLinkReferences(task, describedBlocks);
    for (const list of nestedLists) {
      if (checkboxMode) {
        this._checkboxList(list, task);
      } else {
        for (const nested of list.items) {
          this._itemTask(nested, task, { status: 'pending', optional: false }, false);
        }
      }
    }
    return task;
  }

  // --- rule 2: numbered headings -----------------------------------------------------------------

  private _numberedHeadingMode(blocks: readonly Block[]): void {
    let current: { task: Task; depth: number; nodes: Block[] } | undefined;
    const finish = (): void => {
      const first = current?.nodes[0];
      const last = current?.nodes.at(-1);
      if (current && first && last) {
        // The exact source from the first block to the last: nothing re-joined, nothing lost.
        const start = first.start;
        const end = last.end;
        this._describe(current.task, this._lines.slice(start, end).join('\n'), start + 1);
        this._addLinkReferences(current.task, current.nodes);
      }
      current = undefined;
    };
    for (const block of blocks) {
      if (block.type === 'heading' && (!current || block.depth <= current.depth)) {
        finish();
        if (block.depth > 1 && TASK_NUMBER.test(block.text)) {
          const task = this._newTask(block.text, null, 'pending', false, block.start + 1);
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

  // --- rule 4: the whole file is one task ------------------------------------------------------

  private _singleTask(blocks: readonly Block[], title: HeadingBlock | undefined): void {
    const firstIndex = this._lines.findIndex((l) => l.trim() !== '');
    if (firstIndex === -1) {
      this._problem('warning', 'file-empty', 'the file has no text, so it has no task', 1);
      return;
    }
    const titleText = title ? title.text : (this._lines[firstIndex] ?? '').replace(/^#+\s*/, '').trim();
    const bodyStart = title ? title.end : firstIndex + 1;
    const line = (title ? title.start : firstIndex) + 1;
    const task = this._newTask(titleText, null, 'pending', false, line);
    this._describe(task, this._lines.slice(bodyStart).join('\n'), bodyStart + 1);
    this._addLinkReferences(task, blocks);
    // The seed's `-> file` may stand on any line of a single-task file.
    for (const textLine of task.description.split('\n')) {
      const arrow = pathArrow(textLine);
      if (arrow) {
        addReference(task, arrow.target);
      }
    }
  }

  // --- building tasks ---------------------------------------------------------------------------

  private _newTask(rawTitle: string, parent: Task | null, status: TaskStatus, optional: boolean, line: number): Task {
    const fields = readTitleLine(rawTitle);
    let title = fields.title || fields.id || rawTitle.trim();
    // Hierarchy from numbering, whatever the indentation: `1.1` belongs to `1` (cc-sdd's flat layout).
    let owner = parent;
    if (!owner && fields.id?.includes('.')) {
      owner = this._byNumber.get(fields.id.slice(0, fields.id.lastIndexOf('.'))) ?? null;
    }
    let description = '';
    const shortened = shortenTitle(title);
    if (shortened !== title) {
      description = title;
      title = shortened;
    }

    const id = this._assignId(fields.id, owner);
    this._sectionTitles ??= this._sections.map((s) => s.title);
    const section = owner ? owner.section : this._sectionTitles;
    const task = newTask({
      id,
      title,
      description,
      parent: owner?.id ?? null,
      priority: fields.priority ?? owner?.priority ?? this._sectionPriority(),
      status: fields.checkbox?.status ?? status,
      optional: fields.checkbox?.optional ?? optional,
      checkpoint: isCheckpointTitle(title),
      section,
      parallel: fields.parallel,
      story: fields.story,
      files: exactList(fields.files),
      source: { file: this._file, line },
    });
    if (fields.id !== undefined && !this._byNumber.has(fields.id)) {
      this._byNumber.set(fields.id, task);
    }
    if (fields.arrowTarget !== undefined) {
      addReference(task, fields.arrowTarget);
    }
    for (const mention of fields.dependsOn) {
      this._mentions.push({ taskId: id, text: mention, line });
    }
    for (const field of fields.fields) {
      this._applyField(task, field, line);
    }
    this._tasks.push(task);
    this._owner = task;
    this._dependencyListOf = undefined;
    return task;
  }

  /**
   * Adds source lines (the first is line `firstLine`, 1-based) to a task's description: field lines
   * (`_Requirements: …_`, `**Depends On**: …`, `_Priority: …_`) become fields and stay out; lines inside
   * code fences are kept as they are; `- text -> path` bullets add references.
   */
  private _describe(task: Task, text: string, firstLine: number, separator = '\n'): void {
    const kept: string[] = [];
    let fence: string | undefined;
    if (this._dependencyListOf !== task) {
      this._dependencyListOf = undefined;
    }
    const lines = text.split('\n');
    for (let k = 0; k < lines.length; k++) {
      const descriptionLine = lines[k] ?? '';
      const trimmed = descriptionLine.trim();
      if (fence !== undefined) {
        if (trimmed.startsWith(fence) && trimmed.slice(fence.length).trim() === '') {
          fence = undefined;
        }
        kept.push(descriptionLine);
        continue;
      }
      const opening = /^(`{3,}|~{3,})/.exec(trimmed)?.[1];
      if (opening !== undefined) {
        fence = opening;
        kept.push(descriptionLine);
        continue;
      }
      const line = firstLine + k;
      if (this._dependencyListOf === task) {
        if (/^[-*+][ \t]/.test(trimmed)) {
          this._mentions.push({ taskId: task.id, text: trimmed.slice(2).trim(), line });
          continue;
        }
        if (trimmed !== '') {
          this._dependencyListOf = undefined;
        }
      }
      const field = readFieldLine(descriptionLine);
      if (field && field.kind !== 'status') {
        this._applyField(task, field, line);
        continue;
      }
      for (const mention of taskNumberMentions(descriptionLine)) {
        this._mentions.push({ taskId: task.id, text: mention, line });
      }
      if (/^(?:[-*+]|\d+[.)])[ \t]/.test(trimmed)) {
        const arrow = pathArrow(descriptionLine);
        if (arrow) {
          addReference(task, arrow.target);
        }
      }
      kept.push(descriptionLine);
    }
    appendDescription(task, kept.join('\n'), separator);
  }

  private _applyField(task: Task, field: Exclude<ReturnType<typeof readFieldLine>, undefined>, line: number): void {
    switch (field.kind) {
      case 'requirements':
        task.requirements = appendToList(task.requirements, field.values);
        break;
      case 'validates':
        task.validates = appendToList(task.validates, field.values);
        break;
      case 'dependsOn':
        for (const mention of field.values) {
          this._mentions.push({ taskId: task.id, text: mention, line });
        }
        if (field.listFollows) {
          this._dependencyListOf = task;
        }
        break;
      case 'priority':
        if (field.priority) {
          task.priority = field.priority;
        }
        break;
      case 'parallel':
        task.parallel = field.parallel;
        break;
      case 'story':
        task.story = field.story;
        break;
      case 'status':
        break;
    }
  }

  private _assignId(number: string | undefined, parent: Task | null): string {
    return this._ids.claim(number && !this._ids.has(number) ? number : this._ids.nextPosition(parent?.id ?? null));
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
    this._sections.push({ depth: heading.depth, title: heading.text, priority: headingPriority(heading.text) });
    this._sectionTitles = undefined;
  }

  private _sectionPriority(): Task['priority'] {
    for (let i = this._sections.length - 1; i >= 0; i--) {
      const priority = this._sections[i]?.priority;
      if (priority) {
        return priority;
      }
    }
    return 'normal';
  }

  // --- text helpers ----------------------------------------------------------------------------

  /** A block's source lines, with the indentation its container added removed. */
  private _source(block: Block | ListItemBlock): string {
    return dedentedSource(this._lines, block).join('\n');
  }

  private _problem(severity: Problem['severity'], code: string, message: string, line: number): void {
    this._problems.push({ severity, code, message, file: this._file, line });
  }
}

/** A leading H1 names the plan; it is not a section of every task. */
function titleAndBody(blocks: readonly Block[]): { title: HeadingBlock | undefined; body: readonly Block[] } {
  const titleIndex = blocks.findIndex((b) => b.type !== 'html');
  const titleBlock = blocks[titleIndex];
  const title = titleBlock?.type === 'heading' && titleBlock.depth === 1 ? titleBlock : undefined;
  return { title, body: title ? blocks.slice(titleIndex + 1) : blocks };
}
