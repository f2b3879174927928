/**
 * Runs inside the extension host as its "tests" (extensionTestsPath), for bench/activation.bench.ts: activates
 * ACA once, cold, and prints what it took — the host's own `extension.activate()` promise, which spans loading
 * dist/extension.js and running activate(), as VS Code's activation times do — and whether the runtime bundle
 * was loaded by it (it must not be).
 */
import { performance } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { AcaApi } from '../src/extension/api';

const EXTENSION_ID = 'aca-dev.automatic-coding-agent';
const SETTLE_MS = 3000;

export async function run(): Promise<void> {
  const extension = vscode.extensions.getExtension<AcaApi>(EXTENSION_ID);
  if (!extension) {
    throw new Error(`${EXTENSION_ID} is not in this extension host`);
  }
  // Let the host finish starting up (the built-in extensions activate now too), so the figure is ACA's.
  await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
  const wasActive = extension.isActive;
  const started = performance.now();
  const api = await extension.activate();
  const activateMs = performance.now() - started;
  // The extension logs how long its own activate() took (without loading its bundle).
  const own = api
    .recentLogLines()
    .map((line) => /activate\(\) took (\d+(?:\.\d+)?) ms/.exec(line)?.[1])
    .find((ms) => ms !== undefined);
  const loaded = Object.keys(require.cache);
  const report = {
    wasActive,
    activateMs,
    ownActivateMs: own === undefined ? undefined : Number(own),
    extensionLoaded: loaded.some((file) => file.endsWith('/dist/extension.js')),
    runtimeLoaded: loaded.some((file) => file.endsWith('/dist/runtime.js')),
  };
  console.log(`ACA_BENCH ${JSON.stringify(report)}`);
}
