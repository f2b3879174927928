/**
 * What the model of an API provider works with: its system prompt and the AI SDK tools over the workspace
 * (read, list, search, write, edit, run a command, say the task is done).
 */
import { tool } from 'ai';
import * as z from 'zod';
import { PROTECTED_FILES, PROTECTED_FOLDERS, PROTECTED_SUFFIXES } from '../agent/protectedPaths';
import { ToolRefusal, type WorkspaceTools } from '../agent/workspaceTools';

export function systemPrompt(root: string): string {
  return [
    'You are a coding agent working on one task in a software project.',
    `The project folder is ${root}; every path you use is relative to it, and nothing outside it can be read or written.`,
    `Configuration that git, ACA, editors and agents act on cannot be written: ${[...PROTECTED_FOLDERS.map((folder) => `${folder}/`), ...PROTECTED_FILES, ...PROTECTED_SUFFIXES.map((end) => `*${end}`)].join(', ')}.`,
    "Use the tools: read_file, list_directory, search_text, write_file, edit_file (replace one exact, unique snippet), run_command (no shell: one program and its arguments; code given inline, like node -e, needs the user's permission).",
    'Work step by step; check your work when you can. When the task is done, call task_complete with a short summary of what you changed.',
  ].join('\n');
}

/** The tools the model is given (their types, for the stream's parts). */
export type AgentTools = ReturnType<typeof agentTools>;

/** The AI SDK tools over the workspace; a refusal or error goes back to the model as the tool's answer. */
export function agentTools(workspace: WorkspaceTools) {
  const guarded =
    <I>(run: (input: I) => Promise<string> | string) =>
    async (input: I): Promise<string> => {
      try {
        return await run(input);
      } catch (error) {
        return `Error: ${error instanceof ToolRefusal || error instanceof Error ? error.message : String(error)}`;
      }
    };
  return {
    read_file: tool({
      description: 'Read a text file.',
      inputSchema: z.object({ path: z.string() }),
      execute: guarded(({ path }) => workspace.readFile(path)),
    }),
    list_directory: tool({
      description: 'List a directory (default: the project folder).',
      inputSchema: z.object({ path: z.string().optional() }),
      execute: guarded(({ path }) => workspace.listDirectory(path ?? '.')),
    }),
    search_text: tool({
      description: 'Find lines containing a text, literally.',
      inputSchema: z.object({ text: z.string(), path: z.string().optional() }),
      execute: guarded(({ text, path }) => workspace.searchText(text, path ?? '.')),
    }),
    write_file: tool({
      description: 'Create or overwrite a file with the given content.',
      inputSchema: z.object({ path: z.string(), content: z.string() }),
      execute: guarded(({ path, content }) => workspace.writeFile(path, content)),
    }),
    edit_file: tool({
      description: 'Replace one exact, unique occurrence of old_text in a file with new_text.',
      inputSchema: z.object({ path: z.string(), old_text: z.string(), new_text: z.string() }),
      execute: guarded(({ path, old_text, new_text }) => workspace.editFile(path, old_text, new_text)),
    }),
    run_command: tool({
      description: 'Run one command (a program and its arguments, no shell) in the project folder.',
      inputSchema: z.object({ command: z.string() }),
      execute: guarded(({ command }) => workspace.runCommand(command)),
    }),
    task_complete: tool({
      description: 'Say that the task is done, with a summary of the changes.',
      inputSchema: z.object({ summary: z.string() }),
      execute: guarded(({ summary }) => workspace.complete(summary)),
    }),
  };
}

/** A tool call's main argument (its path, command, text or summary), for the transcript. */
export function summarize(input: unknown): string {
  if (input && typeof input === 'object') {
    const record = input as Record<string, unknown>;
    const main = record['path'] ?? record['command'] ?? record['text'] ?? record['summary'];
    if (typeof main === 'string') {
      return main.length > 200 ? `${main.slice(0, 200)}…` : main;
    }
  }
  return '';
}
