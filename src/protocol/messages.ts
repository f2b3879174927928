import { z } from 'zod';
import { planEditSchema } from '../core/plan/planEdits';

/**
 * Messages between the extension host and the plan webview: discriminated unions with a literal
 * `type`. The host validates everything that arrives from the webview with these schemas (it is
 * untrusted input); an unknown `type` is rejected and logged.
 */

export const webviewToHostMessage = z.discriminatedUnion('type', [
  /** The webview has loaded its script and can receive state (sent again after every reload). */
  z.object({ type: z.literal('ready') }).strict(),
  z.object({ type: z.literal('edit'), edit: planEditSchema }).strict(),
  z.object({ type: z.literal('undo') }).strict(),
  z.object({ type: z.literal('redo') }).strict(),
  z.object({ type: z.literal('approveAndRun') }).strict(),
]);
export type WebviewToHostMessage = z.infer<typeof webviewToHostMessage>;

/** What the panel shows: the plan, its problems, the forecast, the run's task states when one runs. */
export interface PanelState {
  readonly type: 'state';
  readonly plan: {
    readonly name: string;
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
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly runStates?: Readonly<Record<string, string>>;
  readonly savedTo?: string;
}

export type HostToWebviewMessage = PanelState | { readonly type: 'error'; readonly message: string };
