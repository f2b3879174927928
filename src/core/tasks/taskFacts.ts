import type { Task } from '../model/plan';

/**
 * The short facts of a task that every view shows beside its title, in one order: parallel mark, story,
 * priority, complexity, optional, checkpoint, dependencies. The Tasks view and `aca run --dry-run` both use it.
 */
export function taskFacts(task: Task, parallelMark: string): string[] {
  return [
    task.parallel ? parallelMark : '',
    task.story ?? '',
    task.priority !== 'normal' ? task.priority : '',
    task.complexity ?? '',
    task.optional ? 'optional' : '',
    task.checkpoint ? 'checkpoint' : '',
    task.dependsOn.length ? `after ${task.dependsOn.join(', ')}` : '',
  ].filter(Boolean);
}
