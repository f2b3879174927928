/**
 * Loads the extension's on-demand bundles, each built by esbuild.mjs beside dist/extension.js and required
 * here by a computed path that esbuild leaves alone (esbuild does not split CommonJS bundles):
 * - dist/parser.js (entry lazyParser.ts): the tasks-file parsers, plan files and plan edits, the first time a
 *   tasks file is parsed, a plan file is read or the plan panel edits a plan;
 * - dist/runtime.js (entry lazyRuntime.ts): the engine, the providers and the AI SDK, on the first run or
 *   analysis;
 * - dist/sessions.js (entry lazySessions.ts): the session store (with zod and the session schemas), the
 *   session use cases, transcripts and file checkpoints, on the Sessions view's first refresh — just after
 *   activation, never inside activate() — or the first session command.
 * Everything else in the extension imports only types from the modules they hold (test/unit/bundles.test.ts).
 * Each bundle has its own copy of the core modules it uses: an error thrown by one is not `instanceof` the
 * other's class, so the extension tells errors apart with the classes' static `is()` (a `reason` field).
 * Module-level state is per bundle too: what must be shared (the secret registry) lives on `globalThis`.
 */
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from '../core/common/logger';
import type * as Parser from './lazyParser';
import type * as Runtime from './lazyRuntime';
import type * as Sessions from './lazySessions';

export type AcaRuntime = typeof Runtime;
export type AcaParser = typeof Parser;
export type AcaSessions = typeof Sessions;

/** The bundles' file names, beside dist/extension.js (esbuild.mjs builds them under these names). */
export const RUNTIME_BUNDLE = 'runtime.js';
export const PARSER_BUNDLE = 'parser.js';
export const SESSIONS_BUNDLE = 'sessions.js';

const loaded = new Map<string, unknown>();

function loadBundle(file: string, what: string, logger: Logger | undefined): unknown {
  let bundle = loaded.get(file);
  if (bundle === undefined) {
    const started = performance.now();
    // A computed path: esbuild leaves this require alone, so the bundle stays out of the activation bundle.
    bundle = require(path.join(__dirname, file)) as unknown; // eslint-disable-line @typescript-eslint/no-require-imports -- loaded on demand by design
    loaded.set(file, bundle);
    logger?.info(`loaded the ${what} (${file}) in ${Math.round(performance.now() - started)} ms`);
  }
  return bundle;
}

/** The runtime, loaded once (about 100 ms the first time, nothing after). */
export function loadRuntime(logger?: Logger): AcaRuntime {
  return loadBundle(RUNTIME_BUNDLE, 'agent runtime', logger) as AcaRuntime;
}

/** The parser, loaded once (about 20 ms the first time, nothing after). */
export function loadParser(logger?: Logger): AcaParser {
  return loadBundle(PARSER_BUNDLE, 'parser', logger) as AcaParser;
}

/** The session store, loaded once (30–50 ms the first time in an extension host — zod and the session schemas —, nothing after). */
export function loadSessions(logger?: Logger): AcaSessions {
  return loadBundle(SESSIONS_BUNDLE, 'session store', logger) as AcaSessions;
}

/** Whether the runtime has been loaded in this extension host (for tests and the activation bench). */
export function isRuntimeLoaded(): boolean {
  return loaded.has(RUNTIME_BUNDLE);
}

/** Whether the parser has been loaded in this extension host (for tests and the activation bench). */
export function isParserLoaded(): boolean {
  return loaded.has(PARSER_BUNDLE);
}

/** Whether the session store has been loaded in this extension host (for tests and the activation bench). */
export function isSessionsLoaded(): boolean {
  return loaded.has(SESSIONS_BUNDLE);
}
