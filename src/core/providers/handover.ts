/**
 * What a provider did on a task so far, as the dispatcher saw it (files changed, commands run, its last
 * words), and the written summary the next provider of the chain gets with the task when the first one
 * falls out, so that it continues instead of starting over.
 */
import type { ProviderEvent, ProviderName } from './provider';

/** What a run did, for the summary handed to the next provider. */
export class TaskProgress {
  readonly files = new Map<string, string>();
  readonly commands: string[] = [];
  lastText: string | undefined;

  /** Notes what the event says the agent did. */
  observe(event: ProviderEvent): void {
    switch (event.type) {
      case 'file_change':
        this.files.set(event.path, event.kind);
        break;
      case 'command':
        this.commands.push(`${event.command} (exit ${event.exitCode ?? '?'})`);
        break;
      case 'text':
        this.lastText = event.text;
        break;
      default:
        break;
    }
  }

  /** The agent changed something (a file, or ran a command): its conversation is worth continuing. */
  get didSomething(): boolean {
    return this.files.size + this.commands.length > 0;
  }
}

/** The written summary a fallback provider gets with the task, so it continues instead of starting over. */
export function handoverText(from: ProviderName, reason: string, progress: TaskProgress): string {
  const lines = [`## Handed over from ${from}`, `${from} started this task and stopped before finishing it (${oneLine(reason)}).`];
  if (progress.files.size === 0 && progress.commands.length === 0 && !progress.lastText) {
    lines.push('It made no changes that ACA saw. Do the whole task.');
    return lines.join('\n');
  }
  lines.push('What it did so far, as ACA saw it:');
  for (const [file, kind] of progress.files) {
    lines.push(`- ${kind} ${file}`);
  }
  for (const command of progress.commands.slice(-10)) {
    lines.push(`- ran \`${command}\``);
  }
  if (progress.lastText) {
    lines.push(`- its last message: ${oneLine(progress.lastText)}`);
  }
  lines.push('These changes are already in the workspace. Check them, then finish the task; do not redo finished work.');
  return lines.join('\n');
}

/** The text ending with a full stop (or its own punctuation). */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 300 ? `${line.slice(0, 299)}…` : line;
}
