import type { Task } from '../model/plan';
import { schedulingGraph } from './scheduler';

/**
 * The chain of tasks with the most work below its first: where a delay delays everything. It starts at the
 * task without dependencies that has the longest chain of dependents below it, and follows, at each step,
 * the dependent with the most work below it (the first such in the document on a tie). Empty for no tasks.
 */
export function criticalPath(tasks: readonly Pick<Task, 'id' | 'dependsOn' | 'complexity'>[]): string[] {
  const graph = schedulingGraph(tasks);
  const work = (id: string): number => graph.criticalPath.get(id) ?? 0;
  let best: string | undefined;
  for (const task of tasks) {
    if (task.dependsOn.length === 0 && (best === undefined || work(task.id) > work(best))) {
      best = task.id;
    }
  }
  const chain: string[] = [];
  const seen = new Set<string>();
  for (let id = best; id !== undefined && !seen.has(id);) {
    chain.push(id);
    seen.add(id);
    const next: string[] = [...(graph.dependents.get(id) ?? [])];
    id = next.sort((a, b) => work(b) - work(a)).at(0);
  }
  return chain;
}
