/**
 * One entry for every tasks-file format: detect the format, hand the text to its reader, and say which
 * format it was read as. Each reader lives in its own module of this folder.
 */
import type { TasksFormat } from '../model/plan';
import { detectFormat } from './detect';
import { parseMarkdownTasks, type ParsedTasksFile } from './markdownTasks';
import { parseSpecKit } from './specKit';
import { parseAgentPlan } from './agentPlan';
import { parseBacklogMd } from './backlogMd';
import { parseTaskMaster } from './taskMaster';

export interface ReadTasksOptions {
  /** How the file is named in tasks' `source.file` and in problems. */
  readonly file: string;
  /** Names of the files beside it (format detection looks for cc-sdd's `spec.json`). */
  readonly siblings?: readonly string[];
  /** Read as this format, whatever detection says. */
  readonly format?: TasksFormat;
  /** Task Master: the tag chosen (`--tag`) and the current one of `.taskmaster/state.json`. */
  readonly taskMaster?: { readonly tag?: string; readonly currentTag?: string };
}

export function readTasksText(text: string, options: ReadTasksOptions): ParsedTasksFile {
  const detected = options.format ?? detectFormat({ file: options.file, text, ...(options.siblings ? { siblings: options.siblings } : {}) });
  if (detected === 'json' || detected === 'task-master') return parseTaskMaster(text, { file: options.file, ...options.taskMaster });
  if (detected === 'spec-kit') return parseSpecKit(text, { file: options.file });
  if (detected === 'agent-plan') return parseAgentPlan(text, { file: options.file });
  if (detected === 'backlog-md') return parseBacklogMd(text, { file: options.file });
  const parsed = parseMarkdownTasks(text, { file: options.file });
  // Kiro and cc-sdd specs are checklists with fields: the markdown reader reads them, under their own name.
  // For any other file it names the layout it found (checklist, numbered headings, plain list, document).
  return detected === 'markdown' ? parsed : { ...parsed, format: detected };
}
