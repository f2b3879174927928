import type { Plan, Task } from '../core/model/plan';

const STATUS_MARK: Record<Task['status'], string> = { pending: '○', in_progress: '◐', done: '✓', skipped: '–' };

/** A readable tree of the plan: sections, tasks and subtasks with status, priority and source line. */
export function formatPlanSummary(plan: Plan, verbose = false): string {
  const done = plan.tasks.filter((t) => t.status === 'done').length;
  const lines = [
    `Plan "${plan.name}": ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} (${done} done), strategy ${plan.strategy.mode}` +
      (plan.source ? `, from ${plan.source.path}` : ''),
  ];
  const depth = new Map<string, number>();
  let section = '';
  for (const task of plan.tasks) {
    const level = task.parent !== null ? (depth.get(task.parent) ?? 0) + 1 : 0;
    depth.set(task.id, level);
    const taskSection = task.section.join(' › ');
    if (task.parent === null && taskSection !== section) {
      section = taskSection;
      if (section) {
        lines.push(`  ${section}`);
      }
    }
    const details = [
      task.priority !== 'normal' ? task.priority : '',
      task.complexity ?? '',
      task.optional ? 'optional' : '',
      task.checkpoint ? 'checkpoint' : '',
      task.dependsOn.length ? `after ${task.dependsOn.join(', ')}` : '',
      task.references.length ? `refs ${task.references.map((r) => (r.found ? r.path : `${r.path} (missing)`)).join(', ')}` : '',
    ].filter(Boolean);
    const where = task.source ? `  ${task.source.file}:${task.source.line}` : '';
    lines.push(`${'  '.repeat(level + 2)}${STATUS_MARK[task.status]} ${task.id}  ${task.title}${details.length ? `  [${details.join('; ')}]` : ''}${verbose ? where : ''}`);
    if (verbose && task.description) {
      for (const descriptionLine of task.description.split('\n')) {
        lines.push(`${'  '.repeat(level + 4)}${descriptionLine}`);
      }
    }
  }
  return lines.join('\n');
}
