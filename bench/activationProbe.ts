/**
 * Runs inside the extension host as its "tests" (extensionTestsPath), for bench/activation.bench.ts: activates
 * ACA once, cold, and reports what it took, split as VS Code splits it (its Running Extensions view shows
 * activation as code loading + the activate call):
 * - `loadMs`: the host's `require()` of dist/extension.js (timed here by wrapping Node's module loader);
 *   `hostLoadMs`: the same span from the host's own performance marks (will/didLoadExtensionCode), if any;
 * - `ownActivateMs`: ACA's activate() (its log line "activate() took N ms");
 * - `activateMs`: the outer `extension.activate()` promise, which also waits for the host to create the
 *   extension's context (storage, secrets, …) — work VS Code does beside code loading, not ACA's.
 * And which of ACA's bundles activation loaded (only dist/extension.js should be): the session store
 * (dist/sessions.js) loads just after activate() returns, for the Sessions view's first refresh, which
 * the log's order tells (its "loaded the session store" line comes after the "activated" line).
 * `sessionsLoadMs` is how long that load took (its log line), once it happened within SETTLE_MS.
 */
import Module from 'node:module';
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AcaApi } from '../src/extension/api';

const EXTENSION_ID = 'aca-dev.automatic-coding-agent';
const SETTLE_MS = 3000;

export interface ProbeReport {
  wasActive: boolean;
  activateMs: number;
  loadMs?: number;
  hostLoadMs?: number;
  ownActivateMs?: number;
  extensionLoaded: boolean;
  parserLoaded: boolean;
  runtimeLoaded: boolean;
  /** The session store was loaded before activate() had logged its end. */
  sessionsLoadedInActivate: boolean;
  sessionsLoadMs?: number;
}

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

/** Times the first `require()` of a file ending in `suffix` while `during` runs. */
async function timeRequire<T>(suffix: string, during: () => Promise<T>): Promise<{ result: T; ms?: number }> {
  // Module._load is Node's internal loader entry: not in the public types, but what every require() calls.
  const loader = Module as unknown as { _load: Load };
  const original = loader._load;
  let ms: number | undefined;
  loader._load = function (this: unknown, request, parent, isMain) {
    if (ms !== undefined || !request.endsWith(suffix)) {
      return original.call(this, request, parent, isMain);
    }
    const started = performance.now();
    try {
      return original.call(this, request, parent, isMain);
    } finally {
      ms = performance.now() - started;
    }
  };
  try {
    return { result: await during(), ms };
  } finally {
    loader._load = original;
  }
}

/** The host's own code-loading span for ACA, from VS Code's performance marks (internal; absent → undefined). */
function hostCodeLoadingMs(): number | undefined {
  const marks = (
    globalThis as { MonacoPerformanceMarks?: { getMarks?: () => Array<{ name: string; startTime: number }> } }
  ).MonacoPerformanceMarks?.getMarks?.();
  const at = (name: string): number | undefined => marks?.find((mark) => mark.name === `code/extHost/${name}/${EXTENSION_ID}`)?.startTime;
  const [will, did] = [at('willLoadExtensionCode'), at('didLoadExtensionCode')];
  return will !== undefined && did !== undefined ? did - will : undefined;
}

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<AcaApi>(EXTENSION_ID);
  if (!extension) {
    throw new Error(`${EXTENSION_ID} is not in this extension host`);
  }
  // Let the host finish starting up (the built-in extensions activate now too), so the figure is ACA's.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const wasActive = extension.isActive;
  const started = performance.now();
  const { result: api, ms: loadMs } = await timeRequire('/dist/extension.js', async () => extension.activate());
  const activateMs = performance.now() - started;
  // The extension logs how long its own activate() took (without loading its bundle).
  const own = api
    .recentLogLines()
    .map((line) => /activate\(\) took (\d+(?:\.\d+)?) ms/.exec(line)?.[1])
    .find((ms) => ms !== undefined);
  const loaded = Object.keys(require.cache);
  const hostLoadMs = hostCodeLoadingMs();
  // The session store loads once activate() has returned: wait for it, then read the order of the log.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const lines = api.recentLogLines();
  const activatedAt = lines.findIndex((line) => /activate\(\) took/.test(line));
  const sessionsAt = lines.findIndex((line) => /loaded the session store/.test(line));
  const sessionsLoadMs = sessionsAt >= 0 ? /in (\d+) ms/.exec(lines[sessionsAt] ?? '')?.[1] : undefined;
  const report: ProbeReport = {
    wasActive,
    activateMs,
    ...(loadMs !== undefined ? { loadMs } : {}),
    ...(hostLoadMs !== undefined ? { hostLoadMs } : {}),
    ...(own !== undefined ? { ownActivateMs: Number(own) } : {}),
    extensionLoaded: loaded.some((file) => file.endsWith('/dist/extension.js')),
    parserLoaded: loaded.some((file) => file.endsWith('/dist/parser.js')),
    runtimeLoaded: loaded.some((file) => file.endsWith('/dist/runtime.js')),
    sessionsLoadedInActivate: sessionsAt >= 0 && sessionsAt < activatedAt,
    ...(sessionsLoadMs !== undefined ? { sessionsLoadMs: Number(sessionsLoadMs) } : {}),
  };
  console.log(`ACA_BENCH ${JSON.stringify(report)}`);
}
