/**
 * "Analyze with AI" for both faces: the reference context of each task (the files its text names, bounded,
 * with truncated ones marked) and the analysis call. Heavy only through the completion port the face passes.
 */
import type { Plan } from '../model/plan';
import { analyzePlan, type AnalysisResult, type AnalyzeOptions } from '../plan/analyze';
import { loadReferenceContext } from '../parse/references';

/** By task id: the files each task references, each headed `--- path` (with ` (truncated)` when cut). */
export async function analysisReferenceContext(plan: Plan, tasksFile: string, workspace: string): Promise<Map<string, string>> {
  const context = new Map<string, string>();
  for (const task of plan.tasks) {
    const references = await loadReferenceContext(task, tasksFile, workspace);
    if (references.length > 0) {
      context.set(task.id, references.map((r) => `--- ${r.path}${r.truncated ? ' (truncated)' : ''}\n${r.content}`).join('\n'));
    }
  }
  return context;
}

/** Analyses the plan of `tasksFile` with the references its tasks name. */
export async function analyzeTasks(
  plan: Plan,
  tasksFile: string,
  workspace: string,
  options: Omit<AnalyzeOptions, 'referenceContext'>,
): Promise<AnalysisResult> {
  const referenceContext = await analysisReferenceContext(plan, tasksFile, workspace);
  return analyzePlan(plan, { ...options, referenceContext });
}
