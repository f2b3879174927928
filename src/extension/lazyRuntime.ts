/**
 * The entry of the second bundle, dist/runtime.js: everything that runs agents — the engine, the providers,
 * the AI SDK — and the VS Code pieces only they use. The extension never imports this file's values: it
 * reaches them through `loadRuntime()` (lazyLoader.ts) on the first run or analysis, so that activation
 * loads only the views, the commands and the parser. Re-export here what the extension needs, nothing more.
 */
export { analyzeTasks, prepareRun } from '../core/app/heavy';
export { AnalysisError, FileAnalysisCache } from '../core/plan/analyze';
export { ClaudeCodeProvider } from '../core/providers/claudeCode';
export { createCompletionPort } from '../core/providers/completionFactory';
export { modelApiSettings, providerChain } from '../core/providers/factory';
export { ModelCompletion } from '../core/providers/modelCompletion';
export { formatRunCommands, previewRunCommands } from '../core/engine/runPreview';
export { VscodeModelSource } from './vscodeLanguageModel';
