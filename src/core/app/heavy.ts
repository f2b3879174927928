/**
 * The heavy use cases, as ONE module: the engine, the providers and the AI SDK load with it. The extension
 * loads it lazily (a second bundle, on the first run or analysis); the CLI imports what it needs directly.
 */
export { prepareRun, type RunContext } from './run';
export { analysisReferenceContext, analyzeTasks } from './analysis';
