/** A command line split into argv as a shell would, refusing what only a shell could do (pipes, `&&`, redirects). */
import { parse } from 'shell-quote';

export function splitCommand(command: string, what = 'verify command'): string[] {
  // Variables are kept as written: no shell, so nothing expands.
  const parts = parse(command, (name) => `$${name}`);
  const argv: string[] = [];
  for (const part of parts) {
    if (typeof part !== 'string') {
      const op = 'op' in part ? part.op : 'comment' in part ? '#' : '?';
      throw new Error(`${what} "${command}": "${op}" needs a shell, and ACA runs commands without one; list each command on its own`);
    }
    argv.push(part);
  }
  if (argv.length === 0) {
    throw new Error(`an empty ${what}`);
  }
  return argv;
}
