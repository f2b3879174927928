/**
 * Dependency mentions, as task files write them, resolved to the ids of a plan's tasks: exact ids
 * (`T012`, `1.4`, `5`), "task #2" / "Task 2", "Phase 2" (the phase's group, or the tasks under a
 * "Phase 2" heading), ranges (`T010-T012`, `1.1–1.3`). A mention that names no task is a warning at its
 * line, never dropped silently; a task naming itself is dropped with a warning. Shared by every reader.
 */
import type { Task } from '../model/plan';
import type { Problem } from '../model/problems';
import { trimCharacters } from './taskPaths';

export interface DependencyMention {
  /** The id of the task that depends. */
  readonly taskId: string;
  /** As written: `T012`, `Phase 2`, `task #2`, `T010-T012`, `Requires API Server (task #2)`. */
  readonly text: string;
  /** 1-based line of the mention. */
  readonly line: number;
}

export interface ResolveOptions {
  /** How the file is named in problems. */
  readonly file: string;
  /**
   * A bare number without a dot in a subtask means a sibling first (Task Master: `dependencies: [1]` in
   * subtask 5.2 is 5.1), then a task of that id.
   */
  readonly siblingFirst?: boolean;
}

/** Ranges longer than this are not expanded (a typo like `T001-T99999` must not make work). */
const MAX_RANGE = 1000;

/**
 * Adds each mention's tasks to its task's `dependsOn` (in order, once each) and returns the problems:
 * `dependency-unresolved` for a mention (or an id in it) that names no task, `dependency-self` for a task
 * that names itself. Linear in tasks + mentions (ranges bounded).
 */
export function resolveDependencies(tasks: readonly Task[], mentions: readonly DependencyMention[], options: ResolveOptions): Problem[] {
  const problems: Problem[] = [];
  if (mentions.length === 0) {
    return problems;
  }
  const index = new PlanIndex(tasks);
  for (const mention of mentions) {
    const task = index.byId.get(mention.taskId);
    if (!task) {
      continue;
    }
    const warn = (code: string, message: string): void => {
      problems.push({ severity: 'warning', code, message, file: options.file, line: mention.line });
    };
    const { ids, unresolved } = index.resolve(mention.text, task, options.siblingFirst === true);
    for (const name of unresolved) {
      warn('dependency-unresolved', `task ${task.id} depends on "${name}", which names no task of this file; the dependency is ignored`);
    }
    for (const id of ids) {
      if (id === task.id) {
        warn('dependency-self', `task ${task.id} depends on itself ("${mention.text}"); that dependency is ignored`);
      } else if (!task.dependsOn.includes(id)) {
        task.dependsOn.push(id);
      }
    }
  }
  return problems;
}

/** `phase 2`, `task #2` / `tasks 2`, `#2`, `T010-T012`, `T012`: the ids inside a longer mention. */
const ID_TOKEN = /\b(phase)[ \t]*(\d+(?:\.\d+)?)|\btasks?[ \t]*(?:#[ \t]*)?(\d+(?:\.\d+)*)|#(\d+(?:\.\d+)*)|\b(T\d+)[ \t]*[-\u2013][ \t]*(T\d+)\b|\b(T\d+)\b/gi;
const WHOLE_NUMBER = /^#?(\d+(?:\.\d+)*)$/;
const NUMBER_RANGE = /^(\d+(?:\.\d+)*)[ \t]*[-\u2013][ \t]*(\d+(?:\.\d+)*)$/;

class PlanIndex {
  readonly byId = new Map<string, Task>();
  /** `12` → `T012`: spec-kit ids written with another number of digits. */
  private readonly _specKitByNumber = new Map<number, string>();
  private _phases: Map<string, string[]> | undefined;

  constructor(private readonly _tasks: readonly Task[]) {
    for (const task of _tasks) {
      if (!this.byId.has(task.id)) {
        this.byId.set(task.id, task);
      }
      const specKit = /^T(\d+)$/.exec(task.id);
      if (specKit && !this._specKitByNumber.has(Number(specKit[1]))) {
        this._specKitByNumber.set(Number(specKit[1]), task.id);
      }
    }
  }

  resolve(text: string, task: Task, siblingFirst: boolean): { ids: string[]; unresolved: string[] } {
    const ids: string[] = [];
    const unresolved: string[] = [];
    const cleaned = trimDecoration(text);
    const whole = WHOLE_NUMBER.exec(cleaned)?.[1];
    const numberRange = whole === undefined ? NUMBER_RANGE.exec(cleaned) : null;
    if (whole !== undefined) {
      this._add(this._number(whole, task, siblingFirst), cleaned, ids, unresolved);
    } else if (numberRange) {
      this._add(this._numberRange(numberRange[1] ?? '', numberRange[2] ?? ''), cleaned, ids, unresolved);
    } else {
      let any = false;
      // The groups of ID_TOKEN, one alternative of which matched: phase, task/#number, spec-kit range, spec-kit id.
      for (const [matched, phaseWord, phaseNumber = '', taskNumber, hashNumber, rangeFrom, rangeTo, specKitId = matched] of cleaned.matchAll(ID_TOKEN)) {
        any = true;
        const number = taskNumber ?? hashNumber;
        if (phaseWord !== undefined) {
          this._add(this._phase(phaseNumber), matched, ids, unresolved);
        } else if (number !== undefined) {
          this._add(this._number(number, task, siblingFirst), matched, ids, unresolved);
        } else if (rangeFrom !== undefined) {
          this._add(this._specKitRange(rangeFrom, rangeTo ?? rangeFrom), matched, ids, unresolved);
        } else {
          this._add(this._specKit(specKitId), matched, ids, unresolved);
        }
      }
      if (!any) {
        unresolved.push(text.trim());
      }
    }
    return { ids, unresolved };
  }

  private _add(found: readonly string[], name: string, ids: string[], unresolved: string[]): void {
    if (found.length === 0) {
      unresolved.push(name.trim());
    }
    for (const id of found) {
      ids.push(id);
    }
  }

  private _number(number: string, task: Task, siblingFirst: boolean): string[] {
    if (siblingFirst && task.parent !== null && !number.includes('.') && this.byId.has(`${task.parent}.${number}`)) {
      return [`${task.parent}.${number}`];
    }
    return this.byId.has(number) ? [number] : [];
  }

  private _specKit(id: string): string[] {
    if (this.byId.has(id)) {
      return [id];
    }
    const other = this._specKitByNumber.get(Number(id.slice(1)));
    return other === undefined ? [] : [other];
  }

  private _specKitRange(from: string, to: string): string[] {
    const start = Number(from.slice(1));
    const end = Number(to.slice(1));
    if (end < start || end - start > MAX_RANGE) {
      return this._specKit(from).concat(this._specKit(to));
    }
    const ids: string[] = [];
    for (let n = start; n <= end; n++) {
      const id = this._specKitByNumber.get(n);
      if (id !== undefined) {
        ids.push(id);
      }
    }
    return ids;
  }

  /** `1.1-1.3` (or `1.1-3`): the same prefix, the last number counted. */
  private _numberRange(from: string, to: string): string[] {
    const dot = from.lastIndexOf('.');
    const prefix = from.slice(0, dot + 1);
    const toLast = to.startsWith(prefix) && to.lastIndexOf('.') === dot ? to.slice(dot + 1) : !to.includes('.') ? to : undefined;
    const start = Number(from.slice(dot + 1));
    const end = toLast === undefined ? Number.NaN : Number(toLast);
    if (!(end >= start) || end - start > MAX_RANGE) {
      return (this.byId.has(from) ? [from] : []).concat(this.byId.has(to) ? [to] : []);
    }
    const ids: string[] = [];
    for (let n = start; n <= end; n++) {
      if (this.byId.has(`${prefix}${n}`)) {
        ids.push(`${prefix}${n}`);
      }
    }
    return ids;
  }

  /** Phase N: the group `phase-N`, a task titled "Phase N…", else the top tasks under a "Phase N" heading. */
  private _phase(number: string): string[] {
    if (this._phases === undefined) {
      this._phases = new Map();
      const groups = new Map<string, string[]>();
      const sections = new Map<string, string[]>();
      for (const task of this._tasks) {
        const group = (/^phase-(\d+(?:\.\d+)?)$/.exec(task.id) ?? /^[*_]*phase[ \t]+(\d+(?:\.\d+)?)\b/i.exec(task.title))?.[1];
        if (group !== undefined && !groups.has(group)) {
          groups.set(group, [task.id]);
        }
        if (task.parent === null) {
          for (const heading of task.section) {
            const phase = /^[*_]*phase[ \t]+(\d+(?:\.\d+)?)\b/i.exec(heading)?.[1];
            if (phase !== undefined) {
              const list = sections.get(phase) ?? [];
              list.push(task.id);
              sections.set(phase, list);
            }
          }
        }
      }
      for (const [key, ids] of sections) {
        this._phases.set(key, ids);
      }
      for (const [key, ids] of groups) {
        this._phases.set(key, ids);
      }
    }
    return this._phases.get(number) ?? this._phases.get(String(Number(number))) ?? [];
  }
}

/** Without the emphasis, backticks, brackets and punctuation around a mention (a hand scan: linear). */
function trimDecoration(text: string): string {
  return trimCharacters(text, ' \t*_`[(', ' \t*_`]).,;:');
}
