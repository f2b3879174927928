/**
 * The task-file formats ACA reads and how each is named to the user. Without zod (plan.ts builds its schema
 * from this list), so that the extension's activation bundle can name a plan's format without loading zod.
 */

/** The task-file formats ACA reads; `document` is a file read as one task. */
export const TASKS_FORMATS = [
  'spec-kit',
  'kiro',
  'cc-sdd',
  'task-master',
  'agent-plan',
  'backlog-md',
  'checklist',
  'numbered-headings',
  'plain-list',
  'document',
] as const;
export type TasksFormat = (typeof TASKS_FORMATS)[number];

/** How each format is named to the user (dry run, Tasks view, plan panel). */
export const TASKS_FORMAT_LABELS: Readonly<Record<TasksFormat, string>> = {
  'spec-kit': 'spec-kit tasks',
  kiro: 'Kiro spec',
  'cc-sdd': 'cc-sdd spec',
  'task-master': 'Task Master',
  'agent-plan': 'agent plan (Task/Step)',
  'backlog-md': 'Backlog.md task',
  checklist: 'checklist',
  'numbered-headings': 'numbered headings',
  'plain-list': 'plain list',
  document: 'one-task document',
};
