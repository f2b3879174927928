/**
 * A Backlog.md task file (`backlog/tasks/task-12 - Title.md`): one task, from YAML front matter (id, title,
 * status, priority, dependencies) and the markdown under it (Description, Acceptance Criteria,
 * Implementation Plan…) as its description. The acceptance criteria's checkboxes are what "done" means for
 * this task, not tasks of their own. Dependencies name tasks of other files: each is a warning.
 */
import { newTask, type Priority, type TaskStatus } from '../model/plan';
import type { Problem } from '../model/problems';
import type { ParsedTasksFile } from './markdownTasks';
import { baseName, frontMatterEnd, trimBlankEnds } from './ownedText';
import { isCheckpointTitle } from './taskFields';

export interface BacklogMdOptions {
  readonly file: string;
}

const STATUSES: Readonly<Record<string, TaskStatus>> = {
  'to do': 'pending',
  todo: 'pending',
  'in progress': 'in_progress',
  done: 'done',
  blocked: 'pending',
  cancelled: 'skipped',
  canceled: 'skipped',
};
const PRIORITIES: Readonly<Record<string, Priority>> = { high: 'high', medium: 'normal', low: 'low', critical: 'critical' };

export function parseBacklogMd(text: string, options: BacklogMdOptions): ParsedTasksFile {
  const end = frontMatterEnd(text) ?? 0;
  const fields = readFrontMatter(end > 0 ? text.slice(4, end) : '', 2);
  const problems: Problem[] = [];
  const fileName = baseName(options.file);
  const title = fields.get('title')?.values[0] ?? fileName;
  const task = newTask({
    id: fields.get('id')?.values[0] || /^task-\d+(?:\.\d+)*/i.exec(fileName)?.[0] || '1',
    title,
    parent: null,
    status: STATUSES[(fields.get('status')?.values[0] ?? '').toLowerCase()] ?? 'pending',
    checkpoint: isCheckpointTitle(title),
    priority: PRIORITIES[(fields.get('priority')?.values[0] ?? '').toLowerCase()] ?? 'normal',
    source: { file: options.file, line: fields.get('title')?.line ?? 1 },
  });
  task.description = trimBlankEnds(text.slice(end));
  const dependencies = fields.get('dependencies');
  dependencies?.values.forEach((dependency, i) => {
    problems.push({
      severity: 'warning',
      code: 'dependency-unresolved',
      message: `task ${task.id} depends on "${dependency}", a task of another file; ACA runs one Backlog.md task file at a time, so the dependency is not waited for`,
      file: options.file,
      line: dependencies.lines[i] ?? dependencies.line,
    });
  });
  return { name: title, format: 'backlog-md', tasks: [task], problems };
}

interface FrontMatterField {
  readonly values: string[];
  /** 1-based line of the key. */
  readonly line: number;
  /** 1-based line of each value. */
  readonly lines: number[];
}

/**
 * The top-level keys of simple YAML: `key: value` (plain or quoted), `key: [a, b]`, and `key:` followed by
 * `- item` lines. Enough for Backlog.md's front matter; anything else is left unread.
 */
function readFrontMatter(yaml: string, firstLine: number): Map<string, FrontMatterField> {
  const fields = new Map<string, FrontMatterField>();
  let list: FrontMatterField | undefined;
  yaml.split('\n').forEach((line, i) => {
    const lineNumber = firstLine + i;
    const item = /^[ \t]*-[ \t]+(.*)$/.exec(line);
    if (item && list) {
      list.values.push(scalar(item[1] ?? ''));
      list.lines.push(lineNumber);
      return;
    }
    const pair = /^([A-Za-z_][\w-]*)[ \t]*:(.*)$/.exec(line);
    if (!pair) {
      list = undefined;
      return;
    }
    const value = (pair[2] ?? '').trim();
    const field: FrontMatterField = { values: [], line: lineNumber, lines: [] };
    fields.set((pair[1] ?? '').toLowerCase(), field);
    list = value === '' ? field : undefined;
    if (value.startsWith('[') && value.endsWith(']')) {
      for (const part of value.slice(1, -1).split(',')) {
        if (part.trim() !== '') {
          field.values.push(scalar(part));
          field.lines.push(lineNumber);
        }
      }
    } else if (value !== '') {
      field.values.push(scalar(value));
      field.lines.push(lineNumber);
    }
  });
  return fields;
}

/** A YAML scalar: quotes removed (`''` inside single quotes is one `'`), a trailing comment dropped. */
function scalar(raw: string): string {
  const text = raw.trim();
  if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) {
    return text.slice(1, -1).replace(/''/g, "'");
  }
  if (text.length >= 2 && text.startsWith('"') && text.endsWith('"')) {
    return text.slice(1, -1).replace(/\\"/g, '"');
  }
  const comment = text.indexOf(' #');
  return (comment >= 0 ? text.slice(0, comment) : text).trim();
}
