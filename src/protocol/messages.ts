import * as z from 'zod';

/**
 * Messages between the extension host and the plan webview: discriminated unions with a literal
 * `type`. The host validates everything that arrives from the webview with these schemas (it is
 * untrusted input); an unknown `type` is rejected and logged.
 */

const taskId = z.string().min(1).max(200);
// The value lists of the plan model (core/model/plan.ts); the extension's compiler checks that a parsed
// edit fits the core's PlanEdit type, so a list that drifts from the model fails the type check.
const priority = z.enum(['critical', 'high', 'normal', 'low', 'background']);
const complexity = z.enum(['trivial', 'simple', 'moderate', 'complex', 'epic']);

/** A plan edit from the panel: strict objects, so an unknown field is refused too. */
export const planEditSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('setPriority'), taskId, priority }).strict(),
  z.object({ type: z.literal('setComplexity'), taskId, complexity: complexity.nullable() }).strict(),
  z.object({ type: z.literal('setVerify'), taskId, verify: z.array(z.string().trim().min(1).max(2000)).max(20) }).strict(),
  z.object({ type: z.literal('setTitle'), taskId, title: z.string().trim().min(1).max(500) }).strict(),
  z.object({ type: z.literal('setOptional'), taskId, optional: z.boolean() }).strict(),
  z.object({ type: z.literal('setSkipped'), taskId, skipped: z.boolean() }).strict(),
  z.object({ type: z.literal('addDependency'), taskId, dependsOn: taskId }).strict(),
  z.object({ type: z.literal('removeDependency'), taskId, dependsOn: taskId }).strict(),
  z.object({ type: z.literal('moveTask'), taskId, direction: z.enum(['up', 'down']) }).strict(),
  z.object({ type: z.literal('removeTask'), taskId }).strict(),
  z.object({ type: z.literal('addTask'), title: z.string().trim().min(1).max(500), parent: taskId.nullable() }).strict(),
  z
    .object({ type: z.literal('setStrategy'), mode: z.enum(['sequential', 'parallel', 'intelligent']), maxConcurrent: z.number().int().min(1).max(64) })
    .strict(),
]);
export type PlanEditMessage = z.infer<typeof planEditSchema>;

export const webviewToHostMessage = z.discriminatedUnion('type', [
  /** The webview has loaded its script and can receive state (sent again after every reload). */
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('edit'), edit: planEditSchema }).strict(),
  z.object({ type: z.literal('undo') }).strict(),
  z.object({ type: z.literal('redo') }).strict(),
  z.object({ type: z.literal('approveAndRun') }).strict(),
  /** Accept or reject an analysis's proposed changes: these tasks (or STRATEGY_PROPOSAL), or all when null. */
  z.object({ type: z.literal('decideProposal'), accept: z.boolean(), taskIds: z.array(taskId).max(10_000).nullable() }).strict(),
  /** Show this task's transcript under the plan (null: close it). */
  z.object({ type: z.literal('showTranscript'), taskId: taskId.nullable() }).strict(),
]);
export type WebviewToHostMessage = z.infer<typeof webviewToHostMessage>;

/** What the panel shows: the plan, its problems, the forecast, the run's task states when one runs. */
export interface PanelState {
  readonly type: 'state';
  readonly plan: {
    readonly name: string;
    /** The tasks file and the name of the format it was read as ("spec-kit tasks"), when the plan came from one. */
    readonly source?: { readonly path: string; readonly format?: string };
    readonly strategy: { readonly mode: string; readonly maxConcurrent: number };
    readonly tasks: ReadonlyArray<{
      readonly id: string;
      readonly title: string;
      readonly parent: string | null;
      readonly dependsOn: readonly string[];
      readonly priority: string;
      readonly complexity: string | null;
      readonly status: string;
      readonly optional: boolean;
      readonly verify: readonly string[];
      readonly references: ReadonlyArray<{ readonly path: string; readonly found: boolean }>;
    }>;
  };
  readonly provider: string;
  readonly forecast: { readonly tasks: number; readonly tokens: number; readonly costUsd?: number; readonly minutes: number };
  /** Ids on the longest chain of work: the panel highlights them. */
  readonly criticalPath: readonly string[];
  /** A session runs in this window: Approve and Run waits for it to end. */
  readonly running: boolean;
  /** Restricted Mode: the plan can be edited, not run. */
  readonly trusted: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly runStates?: Readonly<Record<string, string>>;
  /** Per task while or after it ran: attempts, tokens and cost, e.g. "attempt 2 · 12k tokens · $0.03". */
  readonly runNotes?: Readonly<Record<string, string>>;
  /** What an analysis proposes, waiting for the user's decision per task. */
  readonly proposal?: { readonly items: ReadonlyArray<{ readonly taskId: string; readonly title: string; readonly changes: readonly string[] }> };
  /** The transcript the user opened: one line per entry, newest last. */
  readonly transcript?: { readonly taskId: string; readonly title: string; readonly lines: readonly string[]; readonly truncated: boolean };
  readonly savedTo?: string;
  /** Why the edited plan is kept in the window only (Restricted Mode, or a write ACA refused). */
  readonly notSaved?: string;
}

export type HostToWebviewMessage = PanelState | { readonly type: 'error'; readonly message: string } | { readonly type: 'empty'; readonly message: string };
