/**
 * Loads dist/runtime.js (the engine, the providers and the AI SDK; entry lazyRuntime.ts) the first time
 * a run or an analysis needs it. esbuild does not split CommonJS bundles, so the runtime is a bundle of its
 * own, built by esbuild.mjs next to dist/extension.js, and required here by a path esbuild leaves alone.
 * Everything else in the extension imports only types from the heavy modules (test/unit/bundles.test.ts).
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../core/common/logger';
import type * as Runtime from './lazyRuntime';

export type AcaRuntime = typeof Runtime;

/** The second bundle's file name, beside dist/extension.js (esbuild.mjs builds it under this name). */
export const RUNTIME_BUNDLE = 'runtime.js';

let runtime: AcaRuntime | undefined;

/** The runtime, loaded once (about 100 ms the first time, nothing after). */
export function loadRuntime(logger?: Logger): AcaRuntime {
  if (!runtime) {
    const started = performance.now();
    // A computed path: esbuild leaves this require alone, so the runtime stays out of the activation bundle.
    const file = path.join(__dirname, RUNTIME_BUNDLE);
    runtime = require(file) as AcaRuntime; // eslint-disable-line @typescript-eslint/no-require-imports -- loaded on demand by design
    logger?.info(`loaded the agent runtime (${RUNTIME_BUNDLE}) in ${Math.round(performance.now() - started)} ms`);
  }
  return runtime;
}

/** Whether the runtime has been loaded in this extension host (for tests and the activation bench). */
export function isRuntimeLoaded(): boolean {
  return runtime !== undefined;
}
