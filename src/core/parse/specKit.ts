/**
 * spec-kit's tasks.md (`/speckit.tasks`), in both layouts people write:
 * - checkbox lines: `- [ ] T012 [P] [US1] Create Album model in src/models/album.py (depends on T010)`;
 * - task headings: `### T001: [X] Title` or `### T002 [P] Title`, with `**Depends On**`, `**Parallel**`,
 *   `**Files**`, `**Status**`, `**Story**` field lines and description paragraphs under them.
 * `## Phase N: …` headings are group tasks `phase-N` in document order, each depending on the one before
 * (spec-kit's rule: Setup → Foundational → user stories → polish). What follows a task up to the next
 * task or heading is its description; the other sections (format legend, dependency notes, parallel
 * examples) are prose.
 *
 * Over 400 lines on purpose: one reader class whose steps (phases, owners, mentions, fields) share one
 * parse's state in its fields; split apart, each step would take that state as half a dozen parameters.
 */
import { newTask, type Priority, type Task, type TaskStatus } from '../model/plan';
import type { Problem } from '../model/problems';
import { parseBlocks, type Block, type HeadingBlock, type ListBlock } from './markdownBlocks';
import type { ParsedTasksFile } from './markdownTasks';
import { baseName, blankFrontMatter, IdSet, listHasCheckbox, OwnedText, readCheckboxList, settleGroupStatuses, type FieldLine } from './ownedText';
import { isCheckpointTitle, titleAsText } from './taskFields';
import { priorityFromWord } from './fieldLines';
import { pathArrow, pathsInLine } from './taskPaths';
import {
  dependencySentences,
  inlinePriority,
  leadingLabels,
  parseTaskHeading,
  phaseHeadingNumber,
  statusWord,
  TASK_ID,
  trailingClauses,
} from './specKitTitles';

export interface SpecKitOptions {
  readonly file: string;
}

const FIELDS = new Set([
  'depends on',
  'depends',
  'dependencies',
  'dependency',
  'blocked by',
  'after',
  'parallel',
  'files',
  'file',
  'status',
  'story',
  'user story',
  'priority',
]);
const DEPENDENCY_FIELDS = new Set(['depends on', 'depends', 'dependencies', 'dependency', 'blocked by', 'after']);
const TASK_ID_MENTION = /\bT\d{3,}(?:\.\d+)*[a-z]?\b/g;
const ID_RANGE_MENTION = /\b(T\d{3,})[ \t]*(?:-|–|—|\.\.|through|to)[ \t]*(T\d{3,})\b/gi;
const PHASE_MENTION = /\bphase[ \t]*(\d+(?:\.\d+)*)/gi;

export function parseSpecKit(text: string, options: SpecKitOptions): ParsedTasksFile {
  return new SpecKitReader(text, options.file).read();
}

interface Phase {
  readonly depth: number;
  readonly heading: HeadingBlock;
  /** The headings above the phase's own, outermost first: the phase group's section. */
  readonly above: string[];
  readonly number: string | undefined;
  readonly priority: Priority | undefined;
  task?: Task;
}

interface Owner {
  readonly task: Task;
  /** The heading depth of a heading task; a checkbox task ends at any heading. */
  readonly depth: number;
  readonly text: OwnedText;
}

interface Mention {
  readonly task: Task;
  readonly value: string;
  readonly line: number;
}

class SpecKitReader {
  private readonly _lines: string[];
  private readonly _tasks: Task[] = [];
  private readonly _problems: Problem[] = [];
  private readonly _ids = new IdSet();
  private readonly _mentions: Mention[] = [];
  /** Descriptions are written when their owner ends. */
  private readonly _owned = new Map<Task, OwnedText>();
  private readonly _phases: Phase[] = [];
  private _sections: HeadingBlock[] = [];
  private _phase: Phase | undefined;
  private _owner: Owner | undefined;
  private _lastPhaseTask: Task | undefined;
  private _unnumberedPhases = 0;

  constructor(
    text: string,
    private readonly _file: string,
  ) {
    this._lines = blankFrontMatter(text).split('\n');
  }

  read(): ParsedTasksFile {
    const blocks = parseBlocks(this._lines.join('\n'));
    const titleIndex = blocks.findIndex((b) => b.type !== 'html');
    const first = blocks[titleIndex];
    const title = first?.type === 'heading' && first.depth === 1 ? first : undefined;
    for (const block of title ? blocks.slice(titleIndex + 1) : blocks) {
      this._block(block);
    }
    this._endOwner();
    for (const [task, owned] of this._owned) {
      task.description = owned.toString();
    }
    this._resolveMentions();
    settleGroupStatuses(this._tasks);
    return { name: title ? title.text : baseName(this._file), format: 'spec-kit', tasks: this._tasks, problems: this._problems };
  }

  private _block(block: Block): void {
    if (block.type === 'heading') {
      this._heading(block);
    } else if (block.type === 'list' && listHasCheckbox(block) && !this._inHeadingTask()) {
      this._checkboxList(block, null);
    } else {
      this._owner?.text.addBlock(block);
    }
  }

  private _inHeadingTask(): boolean {
    return this._owner !== undefined && this._owner.depth !== Number.POSITIVE_INFINITY;
  }

  private _heading(heading: HeadingBlock): void {
    const taskHeading = parseTaskHeading(heading.text);
    if (!taskHeading && this._owner && heading.depth > this._owner.depth) {
      // A sub-heading inside a heading task's text.
      this._owner.text.addBlock(heading);
      return;
    }
    this._endOwner();
    if (this._phase && heading.depth <= this._phase.depth) {
      this._phase = undefined;
    }
    if (taskHeading) {
      const task = this._newTask(
        taskHeading.rest,
        this._phase ? this._phaseTask(this._phase) : null,
        taskHeading.status ?? 'pending',
        heading.start + 1,
        taskHeading.id,
      );
      task.parallel ||= taskHeading.parallel;
      task.story ??= taskHeading.story;
      this._owner = { task, depth: heading.depth, text: this._ownedText(task) };
      return;
    }
    this._sections = this._sections.filter((s) => s.depth < heading.depth);
    const above = this._sections.map((s) => s.text);
    this._sections.push(heading);
    const phaseNumber = phaseHeadingNumber(heading.text);
    if (phaseNumber !== undefined) {
      this._phase = { depth: heading.depth, heading, above, number: phaseNumber === '' ? undefined : phaseNumber, priority: inlinePriority(heading.text) };
      this._phases.push(this._phase);
    }
  }

  /** A phase becomes a task when its first task appears: an empty phase is no work to wait for. */
  private _phaseTask(phase: Phase): Task {
    if (!phase.task) {
      // Phases become tasks in document order: the one made last is the one before.
      const previous = this._lastPhaseTask;
      const id = this._uniqueId(`phase-${phase.number ?? ++this._unnumberedPhases}`);
      phase.task = this._pushTask({
        id,
        title: phase.heading.text,
        parent: null,
        status: 'pending',
        line: phase.heading.start + 1,
        // The headings above the phase's own, not those of the subsection its first task stands in.
        section: phase.above,
        priority: phase.priority ?? 'normal',
      });
      if (previous) {
        phase.task.dependsOn.push(previous.id);
      }
      this._lastPhaseTask = phase.task;
    }
    return phase.task;
  }

  private _checkboxList(list: ListBlock, parent: Task | null): void {
    readCheckboxList(list, parent, {
      itemTask: (item, checkbox, listParent) => {
        if (!listParent && !this._phase && !TASK_ID.test(checkbox.titleLine)) {
          // Outside the phases, a checkbox without a T id is a gate of the document ("Validation
          // Checklist"), not work.
          this._owner = undefined;
          return undefined;
        }
        const idMatch = TASK_ID.exec(checkbox.titleLine);
        const task = this._newTask(
          idMatch ? checkbox.titleLine.slice(idMatch[0].length) : checkbox.titleLine,
          listParent ?? (this._phase ? this._phaseTask(this._phase) : null),
          checkbox.status,
          item.start + 1,
          idMatch?.[1],
        );
        if (!listParent) {
          this._endOwner();
          this._owner = { task, depth: Number.POSITIVE_INFINITY, text: this._ownedText(task) };
        }
        return task;
      },
      ownedText: (task) => this._ownedText(task),
      plainItem: (item) => this._owner?.text.addBlock(item),
    });
  }

  private _newTask(rest: string, parent: Task | null, status: TaskStatus, line: number, specKitId: string | undefined): Task {
    const labels = leadingLabels(titleAsText(rest));
    const clauses = trailingClauses(labels.rest);
    // `… → src/x.py` names a file to read; an arrow before anything else is prose.
    const arrow = pathArrow(clauses.title);
    const title = arrow ? clauses.title.slice(0, arrow.index).trimEnd() : clauses.title;
    let id: string;
    if (specKitId) {
      id = this._uniqueId(specKitId);
      if (parent) {
        // It still counts among its parent's children, for the positions of those without an id.
        this._ids.nextPosition(parent.id);
      }
    } else {
      id = this._uniqueId(this._ids.nextPosition(parent?.id ?? null));
    }
    const task = this._pushTask({
      id,
      title: title || rest.trim() || id,
      parent: parent?.id ?? null,
      status: labels.status ?? status,
      line,
      section: this._sections.map((s) => s.text),
      priority: clauses.priority ?? parent?.priority ?? 'normal',
    });
    task.parallel = labels.parallel;
    task.story = labels.story;
    task.files = pathsInLine(title);
    if (arrow) {
      task.references.push({ path: arrow.target, found: false });
    }
    for (const value of clauses.dependencies) {
      this._mentions.push({ task, value, line });
    }
    return task;
  }

  private _pushTask(fields: {
    id: string;
    title: string;
    parent: string | null;
    status: TaskStatus;
    line: number;
    section: string[];
    priority: Priority;
  }): Task {
    const { line, ...given } = fields;
    const task = newTask({ ...given, checkpoint: isCheckpointTitle(given.title), source: { file: this._file, line } });
    this._tasks.push(task);
    return task;
  }

  private _ownedText(task: Task): OwnedText {
    let owned = this._owned.get(task);
    if (!owned) {
      owned = new OwnedText(
        this._lines,
        FIELDS,
        (field, line) => this._field(task, field, line),
        // "Depends on T004. Do not merge until T007 lands.": the sentence's ids, the line stays.
        (text, line) => {
          for (const value of dependencySentences(text.replace(/^[-*+][ \t]+/, '')).values) {
            this._mentions.push({ task, value, line });
          }
        },
      );
      this._owned.set(task, owned);
    }
    return owned;
  }

  private _field(task: Task, field: FieldLine, line: number): void {
    const value = field.value;
    if (DEPENDENCY_FIELDS.has(field.name)) {
      this._mentions.push({ task, value, line });
    } else if (field.name === 'parallel') {
      task.parallel = /^(yes|true|\[p\]|✅|✓)/i.test(value);
    } else if (field.name === 'files' || field.name === 'file') {
      for (const path of pathsInLine(value)) {
        if (!task.files.includes(path)) {
          task.files.push(path);
        }
      }
    } else if (field.name === 'status') {
      const status = statusWord(value);
      if (status) {
        task.status = status;
      }
    } else if (field.name === 'story' || field.name === 'user story') {
      task.story = /\bUS\d+\b/i.exec(value)?.[0].toUpperCase() ?? (value.replace(/^\[|\]$/g, '').trim() || task.story);
    } else if (field.name === 'priority') {
      task.priority = priorityFromWord(value) ?? task.priority;
    }
  }

  private _endOwner(): void {
    this._owner = undefined;
  }

  private _uniqueId(base: string): string {
    return this._ids.claim(base);
  }

  /** Dependency mentions to ids, once every task is known; what names no task is a warning at its line. */
  private _resolveMentions(): void {
    const byId = new Map(this._tasks.map((t) => [t.id, t]));
    const phasesByNumber = new Map<string, Task>();
    for (const phase of this._phases) {
      if (phase.task && phase.number !== undefined && !phasesByNumber.has(phase.number)) {
        phasesByNumber.set(phase.number, phase.task);
      }
    }
    const added = new Map<Task, Set<string>>();
    for (const mention of this._mentions) {
      let known = added.get(mention.task);
      if (!known) {
        known = new Set(mention.task.dependsOn);
        added.set(mention.task, known);
      }
      const seen = known;
      const add = (id: string): void => {
        // Waiting for one's own phase (or group) would wait for oneself.
        if (id !== mention.task.id && !seen.has(id) && !isAncestor(byId, mention.task, id)) {
          seen.add(id);
          mention.task.dependsOn.push(id);
        }
      };
      for (const part of mention.value.split(/[,;]|\band\b/)) {
        const token = part.trim().replace(/^[*_`]+|[*_`.]+$/g, '');
        if (token === '' || /^(none|n\/a|-|—|nothing|no dependencies)$/i.test(token)) {
          continue;
        }
        const named: string[] = [];
        const unresolved: string[] = [];
        // Ranges first (`T001-T008`, `(T001–T008)`), then the single ids and phases left.
        const singles = token.replace(ID_RANGE_MENTION, (range: string, from: string, to: string) => {
          const ids = idRange(from, to).filter((id) => byId.has(id));
          if (ids.length === 0) {
            unresolved.push(range);
          }
          named.push(...ids);
          return ' ';
        });
        for (const match of singles.matchAll(TASK_ID_MENTION)) {
          (byId.has(match[0]) ? named : unresolved).push(match[0]);
        }
        for (const match of singles.matchAll(PHASE_MENTION)) {
          const phase = phasesByNumber.get(match[1] ?? '');
          if (phase) {
            named.push(phase.id);
          } else {
            unresolved.push(match[0]);
          }
        }
        if (named.length === 0 && unresolved.length === 0) {
          const phase = this._phaseNamed(token);
          if (phase) {
            named.push(phase.id);
          } else {
            unresolved.push(token);
          }
        }
        named.forEach(add);
        for (const name of unresolved) {
          this._problems.push({
            severity: 'warning',
            code: 'dependency-unresolved',
            message: `task ${mention.task.id} depends on "${name}", which names no task of this file; the dependency is left out`,
            file: this._file,
            line: mention.line,
          });
        }
      }
    }
  }

  /** "Foundational" or "Setup phase" names the phase whose heading says so. */
  private _phaseNamed(token: string): Task | undefined {
    const words = token
      .toLowerCase()
      .replace(/\bphase\b/g, '')
      .trim();
    // Matched against every phase title: only in files of a sensible number of phases (stays linear).
    if (words.length < 3 || this._phases.length > 100) {
      return undefined;
    }
    return this._phases.find((p) => p.task && p.heading.text.toLowerCase().includes(words))?.task;
  }
}

/** `T010`…`T013`, padded as the first is; empty for a backwards or huge range. */
function idRange(from: string, to: string): string[] {
  const low = Number(from.slice(1));
  const high = Number(to.slice(1));
  if (!(high >= low) || high - low > 1000) {
    return [];
  }
  const width = from.length - 1;
  const ids: string[] = [];
  for (let n = low; n <= high; n++) {
    ids.push(`T${String(n).padStart(width, '0')}`);
  }
  return ids;
}

function isAncestor(byId: ReadonlyMap<string, Task>, task: Task, id: string): boolean {
  for (let parent = task.parent; parent !== null; parent = byId.get(parent)?.parent ?? null) {
    if (parent === id) {
      return true;
    }
  }
  return false;
}
