/**
 * The entry of the third bundle, dist/parser.js: the tasks-file parsers (markdown-it and its entities,
 * Task Master, spec-kit, Kiro, …), plan files (JSON, JSONC, TOML), the plan panel's edits and proposals and
 * the schema of the messages the panel posts.
 * The extension never imports this file's values: it reaches them through `loadParser()` (lazyLoader.ts) the
 * first time a tasks file is parsed, a plan file is read or the panel posts a message, so that activation
 * does not compile the parsers. Re-export here what the extension needs, nothing more.
 */
export { planFromTasksFile } from '../core/plan/buildPlan';
export { findTasksFile } from '../core/plan/findTasksFile';
export { applyPlanEdit } from '../core/plan/planEdits';
export { readPlanFile, serializePlan } from '../core/plan/planFile';
export { acceptProposedChanges, proposedChanges } from '../core/plan/proposal';
export { webviewToHostMessage } from '../protocol/messages';
