/**
 * `npm run bench`: the extension's weight and its activation, measured as it ships.
 * (a) the code loaded at activation, dist/extension.js minified (target ≤ 400 KB);
 * (b) every bundle the extension may load: extension.js + parser.js + sessions.js + runtime.js + webview.js
 *     (target ≤ 1 MB);
 * (c) activation in a real extension host (code-server, the test rig's), median of 5 fresh hosts (target ≤
 *     50 ms), as VS Code defines it (its Running Extensions view): code loading — the host's `require()` of
 *     dist/extension.js — plus the activate call — ACA's activate(), which logs its time —, both read in the
 *     host by bench/activationProbe.ts. Beside it, the outer `extension.activate()` promise, which also waits
 *     for the host to create the extension's context (VS Code does that beside code loading). Figures with
 *     their targets; never an assertion.
 * Run with `node --import tsx bench/activation.bench.ts` (needs code-server and Chromium: $ACA_CODE_SERVER_BIN
 * and $ACA_CHROMIUM_BIN, else the test rig's; without them only (a) and (b) are printed).
 */
import * as esbuild from 'esbuild';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { launchChromium } from '../test/support/browser';
import { startCodeServer } from '../test/support/codeServer';
import { REPO_ROOT, runProgram } from '../test/support/processes';
import type { ProbeReport } from './activationProbe';
import { buildBundles, contributors, heavyInputsOf, type BuiltBundle } from './bundles';

const HOSTS = 5;
const KB = 1024;
const HOST_TIMEOUT_MS = 90_000;
const VSCODE_TYPES = path.join(REPO_ROOT, 'node_modules', '@types', 'vscode', 'index.d.ts');

const kb = (bytes: number): string => `${(bytes / KB).toFixed(1)} KB`;
const ms = (value: number): string => `${value.toFixed(1)} ms`;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

function reportSizes(bundles: readonly BuiltBundle[]): void {
  const size = (name: BuiltBundle['name']): number => bundles.find((b) => b.name === name)?.bytes ?? 0;
  const extension = bundles.find((b) => b.name === 'extension');
  console.log(`(a) code loaded at activation, dist/extension.js minified: ${kb(size('extension'))} (target ≤ 400 KB)`);
  if (extension) {
    console.log(
      `    biggest parts: ${contributors(extension, 6)
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(', ')}`,
    );
    const heavy = heavyInputsOf(extension);
    console.log(`    heavy modules in it: ${heavy.length ? heavy.join(', ') : 'none'}`);
  }
  const total = size('extension') + size('parser') + size('sessions') + size('runtime') + size('webview');
  console.log(
    `(b) every bundle the extension may load: ${kb(total)} = extension ${kb(size('extension'))} + parser ${kb(size('parser'))} + sessions ${kb(size('sessions'))} + runtime ${kb(size('runtime'))} + webview ${kb(size('webview'))} (target ≤ 1 MB = 1024 KB)`,
  );
}

/** The extension as the VSIX lays it out (manifest, media, minified bundles), in a folder of its own. */
async function stageExtension(root: string): Promise<BuiltBundle[]> {
  const dir = path.join(root, 'extension');
  await mkdir(dir, { recursive: true });
  await cp(path.join(REPO_ROOT, 'package.json'), path.join(dir, 'package.json'));
  await cp(path.join(REPO_ROOT, 'media'), path.join(dir, 'media'), { recursive: true });
  const bundles = await buildBundles(REPO_ROOT, path.join(dir, 'dist'));
  await esbuild.build({
    absWorkingDir: REPO_ROOT,
    entryPoints: ['bench/activationProbe.ts'],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    outfile: path.join(root, 'probe', 'index.js'),
    logLevel: 'warning',
  });
  return bundles;
}

async function measureActivation(root: string): Promise<ProbeReport[]> {
  const workspace = path.join(root, 'workspace');
  await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
  const server = await startCodeServer({ workspace });
  const browser = await launchChromium().catch(async (error: unknown) => {
    await server.stop();
    throw error;
  });
  const reports: ProbeReport[] = [];
  try {
    const payload = [
      ['extensionDevelopmentPath', server.remoteUri(path.join(root, 'extension'))],
      ['extensionTestsPath', server.remoteUri(path.join(root, 'probe', 'index.js'))],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    // One fresh extension host per page: each load starts a new one, which ends when the probe returns.
    for (let host = 0; host < HOSTS; host++) {
      const page = await browser.newPage();
      let report: ProbeReport | undefined;
      let finish: () => void = () => undefined;
      const finished = new Promise<void>((resolve) => (finish = resolve));
      await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown) => {
        const text = format(...(Array.isArray(args) ? args : [args]));
        if (text.startsWith('ACA_BENCH ')) {
          report = JSON.parse(text.slice('ACA_BENCH '.length)) as ProbeReport;
        }
      });
      await page.exposeFunction('codeAutomationExit', () => finish());
      await page.goto(url);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([finished, new Promise<void>((resolve) => (timer = setTimeout(resolve, HOST_TIMEOUT_MS)))]);
      clearTimeout(timer);
      await page.close();
      if (!report) {
        throw new Error(`extension host ${host + 1} reported no activation within ${HOST_TIMEOUT_MS / 1000} s`);
      }
      reports.push(report);
    }
  } finally {
    await browser.close();
    await server.stop();
  }
  return reports;
}

function reportActivation(reports: readonly ProbeReport[]): void {
  const each = (values: readonly number[]): string => `median ${ms(median(values))}; each: ${values.map(ms).join(', ')}`;
  const defined = reports.map((r) => (r.loadMs ?? Number.NaN) + (r.ownActivateMs ?? Number.NaN));
  console.log(
    `(c) activation in the extension host as VS Code defines it (code loading + activate call), median of ${reports.length}: ${ms(median(defined))} (target ≤ 50 ms); each: ${defined.map(ms).join(', ')}`,
  );
  console.log(`    code loading, require() of dist/extension.js: ${each(reports.map((r) => r.loadMs ?? Number.NaN))}`);
  const host = reports.flatMap((r) => (r.hostLoadMs === undefined ? [] : [r.hostLoadMs]));
  if (host.length) {
    console.log(`    code loading by the host's own performance marks (will/didLoadExtensionCode): ${each(host)}`);
  }
  console.log(`    ACA's activate() (its log line): ${each(reports.map((r) => r.ownActivateMs ?? Number.NaN))}`);
  console.log(
    `    outer extension.activate() promise, including the host's context creation (not ACA's code): ${each(reports.map((r) => r.activateMs))} (same 50 ms target)`,
  );
  if (reports.some((r) => r.wasActive)) {
    console.log('    note: the extension was already active in some hosts; their figures measure nothing');
  }
  const loadedBy = (flag: 'parserLoaded' | 'runtimeLoaded' | 'sessionsLoadedInActivate'): string =>
    reports.some((r) => r[flag]) ? 'YES (it should not be)' : 'no';
  const sessionsLoads = reports.flatMap((r) => (r.sessionsLoadMs === undefined ? [] : [r.sessionsLoadMs]));
  console.log(
    `    loaded by activation: parser bundle ${loadedBy('parserLoaded')}; runtime bundle ${loadedBy('runtimeLoaded')}; session store ${loadedBy('sessionsLoadedInActivate')}`,
  );
  console.log(
    `    the session store (dist/sessions.js), loaded just after activation for the Sessions view (not part of activation): ${sessionsLoads.length ? each(sessionsLoads) : "not loaded within the probe's wait"}`,
  );
}

/**
 * Loading the activation bundle alone, in a fresh Node per sample, with a stand-in for `vscode` (every name
 * @types/vscode exports, each a do-nothing object): the part of activation that the bundle's size decides.
 */
async function reportCodeLoading(bundle: string): Promise<void> {
  const script = `const Module = require('node:module'); const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) { return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest); };
const stub = new Proxy(function () {}, { get: (t, k) => (k === 'prototype' ? t.prototype : stub), construct: () => ({}), apply: () => stub });
const names = require('node:fs').readFileSync(${JSON.stringify(VSCODE_TYPES)}, 'utf8').matchAll(/export (?:class|namespace|enum|function|const|let) (\\w+)/g);
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: Object.fromEntries([...names].map((m) => [m[1], stub])) };
const { performance } = require('node:perf_hooks'); const started = performance.now(); require(${JSON.stringify(bundle)});
console.log(performance.now() - started);`;
  const times: number[] = [];
  for (let sample = 0; sample < HOSTS; sample++) {
    const result = await runProgram(process.execPath, ['-e', script], { cwd: REPO_ROOT, env: process.env, timeoutMs: 30_000 });
    const elapsed = Number.parseFloat(result.stdout.trim());
    if (result.exitCode !== 0 || !Number.isFinite(elapsed)) {
      throw new Error(`loading ${bundle} failed: ${result.stderr.slice(-400)}`);
    }
    times.push(elapsed);
  }
  console.log(`    loading dist/extension.js alone (fresh Node, require()), median of ${HOSTS}: ${ms(median(times))}; each: ${times.map(ms).join(', ')}`);
}

async function main(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'aca-activation-bench-'));
  try {
    const bundles = await stageExtension(root);
    reportSizes(bundles);
    if (!process.env['ACA_CODE_SERVER_BIN'] || !process.env['ACA_CHROMIUM_BIN']) {
      // The test rig (scripts/lib/rig.mjs) finds or installs them, as `npm test` does.
      type Piece = { ok: boolean; path?: string; detail: string };
      const rig = (await import(pathToFileURL(path.join(REPO_ROOT, 'scripts', 'lib', 'rig.mjs')).href)) as {
        ensureCodeServer: () => Piece;
        ensureChromium: () => Piece;
      };
      const [codeServer, chromium] = [rig.ensureCodeServer(), rig.ensureChromium()];
      if (!codeServer.ok || !chromium.ok || !codeServer.path || !chromium.path) {
        console.log(
          `(c) activation: not measured (${[codeServer, chromium]
            .filter((p) => !p.ok)
            .map((p) => p.detail)
            .join('; ')})`,
        );
        return;
      }
      process.env['ACA_CODE_SERVER_BIN'] ??= codeServer.path;
      process.env['ACA_CHROMIUM_BIN'] ??= chromium.path;
    }
    await reportCodeLoading(path.join(root, 'extension', 'dist', 'extension.js'));
    reportActivation(await measureActivation(root));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error('[bench] activation:', error);
  process.exit(1);
});
