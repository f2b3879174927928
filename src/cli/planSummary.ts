import { TASKS_FORMAT_LABELS, type Plan, type Task, type TasksFormat } from '../core/model/plan';
import { taskFacts } from '../core/tasks/taskFacts';

const STATUS_MARK: Record<Task['status'], string> = { pending: '○', in_progress: '◐', done: '✓', skipped: '–' };

/** A readable tree of the plan: sections, tasks and subtasks with status, priority and source line. */
export function formatPlanSummary(plan: Plan, verbose = false): string {
  const done = plan.tasks.filter((t) => t.status === 'done').length;
  const lines = [
    `Plan "${plan.name}": ${plan.tasks.length} task${plan.tasks.length === 1 ? '' : 's'} (${done} done), strategy ${plan.strategy.mode}` +
      (plan.source ? `, from ${plan.source.path}` : ''),
  ];
  const format = plan.source?.format;
  if (format) {
    lines.push(readAs(plan, format));
  }
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
      ...taskFacts(task, 'P'),
      ...(task.references.length ? [`refs ${task.references.map((r) => (r.found ? r.path : `${r.path} (missing)`)).join(', ')}`] : []),
    ];
    const where = task.source ? `  ${task.source.file}:${task.source.line}` : '';
    lines.push(
      `${'  '.repeat(level + 2)}${STATUS_MARK[task.status]} ${task.id}  ${task.title}${details.length ? `  [${details.join('; ')}]` : ''}${verbose ? where : ''}`,
    );
    if (verbose && task.description) {
      for (const descriptionLine of task.description.split('\n')) {
        lines.push(`${'  '.repeat(level + 4)}${descriptionLine}`);
      }
    }
  }
  return lines.join('\n');
}

/** "Read as spec-kit tasks: 12 tasks in 3 phases, 4 with dependencies, 5 parallel-safe [P]": what the reader made of the file. */
function readAs(plan: Plan, format: TasksFormat): string {
  const parents = new Set(plan.tasks.map((t) => t.parent).filter((id): id is string => id !== null));
  const runnable = plan.tasks.length - parents.size;
  const withDependencies = plan.tasks.filter((t) => t.dependsOn.length > 0).length;
  const parallel = plan.tasks.filter((t) => t.parallel).length;
  const groupWord = plan.source?.format === 'spec-kit' ? 'phase' : 'group';
  const parts = [
    `${runnable} task${runnable === 1 ? '' : 's'}${parents.size ? ` in ${parents.size} ${groupWord}${parents.size === 1 ? '' : 's'}` : ''}`,
    withDependencies ? `${withDependencies} with dependencies` : '',
    parallel ? `${parallel} parallel-safe [P]` : '',
  ].filter(Boolean);
  return `Read as ${TASKS_FORMAT_LABELS[format]}: ${parts.join(', ')}`;
}
