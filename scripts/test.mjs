// `npm test`: installs what the suites need, builds, runs every level, and ends with one line
// `N passed, N failed` for the whole run. `npm test -- unit` (or agents, integration, e2e) runs one level.
// Only Node built-ins are imported here: this must work on a fresh clone before `npm ci`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, ensureChromium, ensureCodeServer, ensureNodeModules, log } from './lib/rig.mjs';

const SUITES = {
  unit: { needs: [], what: 'core logic on plain Node' },
  agents: { needs: [], what: 'the real claude and codex CLIs against the scripted model server' },
  integration: { needs: ['codeServer', 'chromium'], what: 'inside a real VS Code extension host' },
  e2e: { needs: ['codeServer', 'chromium', 'vsix'], what: 'a real browser on the real VS Code UI' },
};

const MINUTE = 60_000;
/** Upper bounds per suite: a hung suite is killed and counted as failed, never left to block CI. */
const SUITE_TIMEOUT_MS = { unit: 5 * MINUTE, agents: 8 * MINUTE, integration: 8 * MINUTE, e2e: 10 * MINUTE };

const ci = process.env.CI === 'true' || process.env.CI === '1';
const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
for (const name of requested) {
  if (!(name in SUITES)) {
    console.error(`Unknown suite "${name}". Suites: ${Object.keys(SUITES).join(', ')}`);
    process.exit(2);
  }
}
const selected = requested.length > 0 ? requested : Object.keys(SUITES);
const resultsDir = path.join(REPO_ROOT, 'test-results');
const started = Date.now();

function runStep(label, command, args, { timeoutMs = 10 * MINUTE, env = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env }, detached: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log(`${label} ran past ${Math.round(timeoutMs / 1000)} s: stopping it`);
      killGroup(child.pid, 'SIGTERM');
      setTimeout(() => killGroup(child.pid, 'SIGKILL'), 5000).unref();
    }, timeoutMs);
    const forward = (signal) => killGroup(child.pid, signal);
    process.once('SIGINT', forward);
    process.once('SIGTERM', forward);
    child.on('close', (code) => {
      clearTimeout(timer);
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve({ ok: code === 0 && !timedOut, code, timedOut });
    });
  });
}

function killGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

function fatal(message) {
  console.error(`\n[test] ${message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// 1. Dependencies and rig pieces.
const modules = ensureNodeModules();
if (!modules.ok) {
  fatal(modules.detail);
}

const needs = new Set(selected.flatMap((name) => SUITES[name].needs));
const pieces = {};
if (needs.has('chromium')) {
  pieces.chromium = ensureChromium();
}
if (needs.has('codeServer')) {
  pieces.codeServer = ensureCodeServer();
}
const unavailable = Object.entries(pieces).filter(([, piece]) => !piece.ok);
for (const [name, piece] of unavailable) {
  log(`${name} unavailable: ${piece.detail}`);
}
if (ci && unavailable.length > 0) {
  fatal(`CI=true and a piece of the test rig is missing (${unavailable.map(([name]) => name).join(', ')}): failing instead of skipping.`);
}

// 2. Type check and build (the integration suites are bundled for the extension host).
rmSync(resultsDir, { recursive: true, force: true });
mkdirSync(resultsDir, { recursive: true });
const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
for (const [label, args] of [
  ['type check', [tsc, '--noEmit', '-p', '.']],
  ['type check (webview)', [tsc, '--noEmit', '-p', 'src/webview']],
  ['lint', [path.join(REPO_ROOT, 'node_modules', 'eslint', 'bin', 'eslint.js'), '.']],
  ['format check (prettier)', [path.join(REPO_ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--check', '--log-level', 'warn', '.']],
  ['build', ['esbuild.mjs', '--tests']],
]) {
  log(`${label}…`);
  if (!(await runStep(label, process.execPath, args)).ok) {
    fatal(`${label} failed (see above).`);
  }
}
if (needs.has('vsix') && !unavailable.length) {
  log('packaging the VSIX (production build)…');
  if (!(await runStep('package', 'npm', ['run', '--silent', 'package'])).ok) {
    fatal('npm run package failed (see above).');
  }
  // The E2E suite installs this VSIX; rebuild the development bundles the other suites load.
  if (!(await runStep('build', process.execPath, ['esbuild.mjs', '--tests'])).ok) {
    fatal('build failed (see above).');
  }
}

// 3. The suites.
const mocha = path.join(REPO_ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const reporter = path.join(REPO_ROOT, 'test', 'support', 'statsReporter.cjs');
const commands = {
  unit: [mocha, '--enable-source-maps', '--reporter', reporter, 'out/test/unit/**/*.test.js'],
  agents: [mocha, '--enable-source-maps', '--reporter', reporter, 'out/test/agents/**/*.test.js'],
  integration: ['--import=tsx', 'test/integration/runInCodeServer.ts'],
  e2e: [mocha, '--enable-source-maps', '--reporter', reporter, 'out/test/e2e/**/*.test.js'],
};
const env = {
  ACA_CODE_SERVER_BIN: pieces.codeServer?.path ?? '',
  ACA_CHROMIUM_BIN: pieces.chromium?.path ?? '',
  ACA_TEST_RESULTS: resultsDir,
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};

const rows = [];
for (const name of selected) {
  const missing = SUITES[name].needs.filter((piece) => piece !== 'vsix' && !pieces[piece]?.ok);
  if (missing.length > 0) {
    rows.push({ name, skipped: `needs ${missing.join(', ')}: ${missing.map((m) => pieces[m].detail).join('; ')}` });
    continue;
  }
  console.log(`\n=== ${name}: ${SUITES[name].what}`);
  const statsFile = path.join(resultsDir, `${name}.stats.json`);
  const result = await runStep(name, process.execPath, commands[name], {
    timeoutMs: SUITE_TIMEOUT_MS[name],
    env: { ...env, ACA_TEST_STATS_FILE: statsFile },
  });
  const stats = existsSync(statsFile) ? JSON.parse(readFileSync(statsFile, 'utf8')) : undefined;
  if (!stats) {
    rows.push({ name, passes: 0, failures: 1, pending: 0, note: result.timedOut ? 'timed out' : `exited ${result.code} without results` });
  } else {
    // A suite that exits non-zero with no failing test (a crash in a hook's cleanup, say) still fails.
    const failuresCounted = stats.failures === 0 && !result.ok ? 1 : stats.failures;
    rows.push({ name, ...stats, failures: failuresCounted, note: failuresCounted !== stats.failures ? `exited ${result.code}` : '' });
  }
}

// 4. The summary: one row per suite, then the closing line for the whole run.
const total = { passes: 0, failures: 0, pending: 0 };
console.log(`\n=== summary (${Math.round((Date.now() - started) / 1000)} s)`);
for (const row of rows) {
  if (row.skipped) {
    console.log(`  ${row.name.padEnd(12)} SKIPPED — ${row.skipped}`);
    continue;
  }
  total.passes += row.passes;
  total.failures += row.failures;
  total.pending += row.pending;
  console.log(
    `  ${row.name.padEnd(12)} ${row.passes} passed, ${row.failures} failed${row.pending ? `, ${row.pending} skipped` : ''}${row.note ? ` (${row.note})` : ''}`,
  );
}
const skippedSuites = rows.filter((row) => row.skipped).length;
console.log(`${total.passes} passed, ${total.failures} failed${total.pending ? `, ${total.pending} skipped` : ''}`);
if (skippedSuites > 0) {
  console.log(`(${skippedSuites} suite(s) skipped because a piece of the rig is missing; see above)`);
}
process.exit(total.failures > 0 ? 1 : 0);
