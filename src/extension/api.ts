import type { Event } from '../core/common/lifecycle';
import type { RunSummary } from '../core/engine/engine';
import type { Plan } from '../core/model/plan';
import type { SessionState } from '../core/session/events';
import type { HostToWebviewMessage } from '../protocol/messages';
import type { SessionRow } from './sessionsView';
import type { TaskTreeSnapshot } from './tasksView';

/**
 * What `activate()` returns: the surface other extensions and ACA's own integration tests use.
 * Tests drive ACA through this and `executeCommand`, never through a mock of `vscode`.
 */
export interface AcaApi {
  /** The extension's version, from its manifest. */
  readonly version: string;
  /** Whether the workspace is trusted; ACA runs no agent or command in a restricted workspace. */
  isWorkspaceTrusted(): boolean;
  /** Labels of the Tasks view's top-level rows (empty until a plan is loaded). */
  taskViewRootLabels(): readonly string[];
  /** The Tasks view's rows as plain data: label, description, contextValue, children. */
  taskTree(): readonly TaskTreeSnapshot[];
  /** The plan shown in the Tasks view. */
  currentPlan(): Plan | undefined;
  /** Resolves after the next plan change (a parse, a re-parse on file change, an analysis). */
  nextPlanChange(): Promise<Plan | undefined>;
  /** The last lines written to the ACA log (already redacted), oldest first. */
  recentLogLines(): readonly string[];
  /** The Sessions view's rows (sessions newest first, each with its checkpoints). */
  sessionRows(): Promise<readonly SessionRow[]>;
  /** The running session's state after each journaled event (the same events `aca run --json` prints). */
  readonly onDidChangeSessionState: Event<SessionState>;
  /** The commands, as functions: the plan in the Tasks view becomes a session and runs. */
  runPlan(): Thenable<unknown>;
  /** Resumes a session (by id or prefix), or asks which; resolves when its run ends. */
  resumeSession(sessionId?: string): Promise<RunSummary | undefined>;
  pauseRun(): void;
  cancelRun(): void;
  /** The plan panel: post a message as the webview would (it is validated the same way), read what it was sent. */
  readonly planPanel: { isOpen(): boolean; receive(message: unknown): Promise<void>; posted(): readonly HostToWebviewMessage[] };
  /** The status bar item's text and whether it shows the warning colour. */
  runStatus(): { text: string; warning: boolean; visible: boolean };
  /** Whether an API key for `service` ("anthropic", "openai") is in SecretStorage (its value is never handed out). */
  hasApiKey(service: string): Promise<boolean>;
}
