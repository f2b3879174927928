/**
 * Implementation plans written by and for coding agents, in the two shapes they take:
 * - `### Task N: Title` headings (a group, id `N`) with `- [ ] **Step N: …**` checkbox steps (subtasks
 *   `N.1`, `N.2`… by position), each step owning the text and code that follow it up to the next step;
 *   a `**Files:**` list under the heading gives the task's and its steps' predicted files. A plan without
 *   checkboxes may write its steps as `**Step N: …**` paragraphs.
 * - `<task>` XML blocks (GSD): `<name>` is the title, `<files>` the predicted files, `<action>`/`<done>`
 *   (and the rest) the description, `<verify>` the verify command when it is one plain command line.
 */
import { newTask, type Task, type TaskStatus } from '../model/plan';
import { parseBlocks, type Block, type HeadingBlock, type ListBlock, type ListItemBlock } from './markdownBlocks';
import { parseMarkdownTasks, type ParsedTasksFile } from './markdownTasks';
import { baseName, blankFrontMatter, hasCheckboxItem, IdSet, listHasCheckbox, OwnedText, readCheckboxList, settleGroupStatuses } from './ownedText';
import { isCheckpointTitle, titleAsText } from './taskFields';
import { pathsInLine } from './taskPaths';
import { readXmlTasks, TASK_HEADING } from './agentPlanXml';

export interface AgentPlanOptions {
  readonly file: string;
}

export function parseAgentPlan(text: string, options: AgentPlanOptions): ParsedTasksFile {
  const lines = blankFrontMatter(text).split('\n');
  const blocks = parseBlocks(lines.join('\n'));
  const titleBlock = blocks.find((b) => b.type !== 'html');
  const name = titleBlock?.type === 'heading' && titleBlock.depth === 1 ? titleBlock.text : baseName(options.file);
  const xml = readXmlTasks(lines, options.file);
  if (xml.tasks.length > 0) {
    return { name, format: 'agent-plan', tasks: xml.tasks, problems: xml.problems };
  }
  const tasks = new TaskStepReader(lines, options.file).read(blocks, titleBlock?.type === 'heading' && titleBlock.depth === 1 ? titleBlock : undefined);
  if (tasks.length === 0) {
    // Detection saw a plan's marks (a <task> in a code sample, say) but there is no plan here.
    return parseMarkdownTasks(text, options);
  }
  return { name, format: 'agent-plan', tasks, problems: xml.problems };
}

/** A `**Step N: …**` paragraph's first line. */
const STEP_PARAGRAPH = /^\*\*Step[ \t]+\d+/i;
/** At most this many paths of a `**Files:**` list are kept (each step repeats them). */
const MAX_TASK_FILES = 100;
/** Fields this reader takes out of descriptions: none; `**Files:**` stays, the agent reads it too. */
const NO_FIELDS: ReadonlySet<string> = new Set();

interface TaskContext {
  readonly task: Task;
  readonly depth: number;
  readonly files: string[];
  readonly steps: Task[];
}

class TaskStepReader {
  private readonly _tasks: Task[] = [];
  private readonly _ids = new IdSet();
  private readonly _owned = new Map<Task, OwnedText>();
  private _sections: HeadingBlock[] = [];
  private _current: TaskContext | undefined;
  /** The task (or step) that the next blocks describe. */
  private _owner: Task | undefined;
  /** A `**Files:**` paragraph was just read: the list after it names files. */
  private _filesFollow = false;
  private _paragraphSteps = false;

  constructor(
    private readonly _lines: readonly string[],
    private readonly _file: string,
  ) {}

  read(blocks: readonly Block[], title: HeadingBlock | undefined): Task[] {
    this._paragraphSteps = !hasCheckboxItem(blocks);
    for (const block of blocks) {
      if (block !== title) {
        this._block(block);
      }
    }
    this._endTask();
    for (const [task, owned] of this._owned) {
      task.description = owned.toString();
    }
    settleGroupStatuses(this._tasks);
    return this._tasks;
  }

  private _block(block: Block): void {
    if (block.type === 'heading') {
      this._heading(block);
      return;
    }
    if (block.type === 'list' && listHasCheckbox(block)) {
      this._checkboxList(block, null);
      return;
    }
    if (block.type === 'paragraph' && this._paragraphSteps && this._current && STEP_PARAGRAPH.test(block.text)) {
      const [first = '', ...more] = block.text.split('\n');
      const step = this._newTask(first, this._current.task, 'pending', block.start + 1);
      this._owner = step;
      this._ownedText(step).addLines(block.start + 1, more);
      this._filesFollow = false;
      return;
    }
    this._describe(block);
  }

  /** A block that is no task: the current owner's description, and maybe its `**Files:**`. */
  private _describe(block: Block | ListItemBlock): void {
    if (!this._owner) {
      return;
    }
    this._ownedText(this._owner).addBlock(block);
    if (block.type === 'paragraph') {
      const files = /^\*\*Files?:?\*\*:?[ \t]*/i.exec(block.text);
      this._filesFollow = files !== null && this._current !== undefined && this._owner === this._current.task;
      if (files && this._filesFollow) {
        this._addFiles(pathsInLine(withoutLineRanges(block.text.slice(files[0].length))));
      }
    } else if (block.type === 'list' && this._filesFollow) {
      for (const item of block.items) {
        this._addFiles(pathsInLine(withoutLineRanges(this._lines[item.start] ?? '')));
      }
      this._filesFollow = false;
    } else if (block.type === 'listItem' && this._filesFollow) {
      this._addFiles(pathsInLine(withoutLineRanges(this._lines[block.start] ?? '')));
    } else {
      this._filesFollow = false;
    }
  }

  private _addFiles(paths: readonly string[]): void {
    for (const path of paths) {
      // Each step gets these too: a list past the bound is no prediction (and would multiply).
      if (this._current && this._current.files.length < MAX_TASK_FILES && !this._current.files.includes(path)) {
        this._current.files.push(path);
      }
    }
  }

  private _heading(heading: HeadingBlock): void {
    if (this._current && heading.depth > this._current.depth) {
      // A sub-heading inside a task belongs to the text it stands in.
      this._describe(heading);
      return;
    }
    this._endTask();
    let start = 0;
    while (start < heading.text.length && start < 16 && !/[\p{L}\p{N}]/u.test(heading.text.charAt(start))) {
      start++;
    }
    const taskHeading = TASK_HEADING.exec(heading.text.slice(start));
    if (taskHeading) {
      const task = this._pushTask(
        this._ids.claim(taskHeading[1] ?? ''),
        heading.text.slice(start + taskHeading[0].length).trim() || heading.text,
        null,
        'pending',
        heading.start + 1,
      );
      this._current = { task, depth: heading.depth, files: pathsInLine(task.title), steps: [] };
      this._owner = task;
      return;
    }
    this._sections = this._sections.filter((s) => s.depth < heading.depth);
    this._sections.push(heading);
  }

  private _endTask(): void {
    if (this._current) {
      const { task, files, steps } = this._current;
      task.files = [...files];
      for (const step of steps) {
        const own = new Set(step.files);
        for (const path of files) {
          if (!own.has(path)) {
            step.files.push(path);
          }
        }
      }
    }
    this._current = undefined;
    this._owner = undefined;
    this._filesFollow = false;
  }

  private _checkboxList(list: ListBlock, parent: Task | null): void {
    readCheckboxList(list, parent, {
      itemTask: (item, checkbox, listParent) => {
        const task = this._newTask(checkbox.titleLine, listParent ?? this._current?.task ?? null, checkbox.status, item.start + 1);
        if (!listParent) {
          this._owner = task;
          this._filesFollow = false;
        }
        return task;
      },
      ownedText: (task) => this._ownedText(task),
      plainItem: (item) => this._describe(item),
    });
  }

  private _newTask(titleLine: string, parent: Task | null, status: TaskStatus, line: number): Task {
    const id = this._ids.claim(this._ids.nextPosition(parent?.id ?? null));
    const title = unwrapBold(titleAsText(titleLine).trim()) || id;
    const task = this._pushTask(id, title, parent, status, line);
    task.files = pathsInLine(title);
    if (this._current && parent === this._current.task) {
      this._current.steps.push(task);
    }
    return task;
  }

  private _pushTask(id: string, title: string, parent: Task | null, status: TaskStatus, line: number): Task {
    const task = newTask({
      id,
      title,
      parent: parent?.id ?? null,
      status,
      checkpoint: isCheckpointTitle(title),
      section: this._sections.map((s) => s.text),
      priority: parent?.priority ?? 'normal',
      source: { file: this._file, line },
    });
    this._tasks.push(task);
    return task;
  }

  private _ownedText(task: Task): OwnedText {
    let owned = this._owned.get(task);
    if (!owned) {
      owned = new OwnedText(this._lines, NO_FIELDS, () => undefined);
      this._owned.set(task, owned);
    }
    return owned;
  }
}

/** `src/app.ts:123-145` → `src/app.ts`: superpowers' "Modify:" lines name a file and its lines. */
function withoutLineRanges(line: string): string {
  return line.replace(/:\d+-\d+(?=[`\s,;)]|$)/g, '');
}

/** `**Step 1: Write the test**` → `Step 1: Write the test`; a title only partly bold stays as written. */
function unwrapBold(title: string): string {
  if (title.startsWith('**') && title.endsWith('**') && title.length > 4 && !title.slice(2, -2).includes('**')) {
    return title.slice(2, -2).trim();
  }
  return title;
}
