/**
 * Runs the integration suite (out/test/integration/index.js, bundled by `esbuild.mjs --tests`) inside the
 * real extension host of code-server. code-server takes no --extensionTestsPath on its command line, so
 * the workbench gets it from the `payload` query parameter, and reports through two functions the page
 * exposes: `codeAutomationLog` (the host's console) and `codeAutomationExit` (the suite's exit code).
 * Two passes: a trusted folder (workspace trust off) runs the suite; an untrusted one (Restricted Mode)
 * runs `*.restricted.test.js`. `ACA_INTEGRATION_PASS=trusted|restricted` runs one of them,
 * `ACA_INTEGRATION_GREP` filters the tests by name.
 */
import { cp, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { format } from 'node:util';
import { launchChromium, resultsDir, screenshot } from '../support/browser';
import { startCodeServer } from '../support/codeServer';
import { REPO_ROOT, makeTempDir, repoBin, runProgram } from '../support/processes';

const SUITE_TIMEOUT_MS = 5 * 60_000;
const STATS_PREFIX = 'ACA_TEST_STATS ';
const verbose = process.env['ACA_TEST_VERBOSE'] === '1';
/** Workbench chatter that says nothing about ACA (offline marketplace look-ups, connection set-up). */
const WORKBENCH_NOISE = [
  /^(Resolving|Resolved) connection token/,
  /^Creating a socket/,
  /^Updating additional builtin extensions cache/,
  /^\[Service Worker\]/,
  /^ChatSessionStore:/,
  /ENOTFOUND|ERR_NAME_NOT_RESOLVED|open-vsx\.org|vsda/,
];

interface Stats {
  passes: number;
  failures: number;
  pending: number;
}

async function main(): Promise<number> {
  const only = process.env['ACA_INTEGRATION_PASS'];
  const hasRestricted = (await readdir(path.join(REPO_ROOT, 'out', 'test', 'integration'))).some((f) => f.endsWith('.restricted.test.js'));
  const passes = [...(only !== 'restricted' ? [false] : []), ...(only !== 'trusted' && hasRestricted ? [true] : [])];
  let code = 0;
  const total: Stats = { passes: 0, failures: 0, pending: 0 };
  for (const restricted of passes) {
    process.stdout.write(`[integration] ${restricted ? 'Restricted Mode (an untrusted folder)' : 'a trusted folder'}\n`);
    const pass = await runPass(restricted);
    code ||= pass.code;
    if (pass.stats) {
      total.passes += pass.stats.passes;
      total.failures += pass.stats.failures;
      total.pending += pass.stats.pending;
    }
  }
  const statsFile = process.env['ACA_TEST_STATS_FILE'];
  if (statsFile) {
    await writeFile(statsFile, JSON.stringify(total));
  }
  return code;
}

async function runPass(restricted: boolean): Promise<{ code: number; stats: Stats | undefined }> {
  const workspace = await makeTempDir('integration-ws');
  await cp(path.join(REPO_ROOT, 'test', 'fixtures', 'workspace'), workspace.dir, { recursive: true });
  // The workbench takes one development extension only, so the scripted chat model (for `vscode-lm`) is installed.
  const scriptedLm = path.join(workspace.dir, '..', `scripted-lm-${process.pid}.vsix`);
  const packaged = await runProgram(repoBin('vsce'), ['package', '--skip-license', '--allow-missing-repository', '--no-dependencies', '--out', scriptedLm], {
    cwd: path.join(REPO_ROOT, 'test', 'fixtures', 'scripted-lm'),
    env: process.env,
    timeoutMs: 60_000,
  });
  if (packaged.exitCode !== 0) {
    throw new Error(`packaging test/fixtures/scripted-lm failed: ${packaged.stdout}${packaged.stderr}`);
  }
  // Restricted Mode as VS Code gives it to a folder nobody trusted yet, without the startup question.
  const server = await startCodeServer({
    workspace: workspace.dir,
    installVsix: scriptedLm,
    ...(restricted
      ? { workspaceTrust: true, settings: { 'security.workspace.trust.startupPrompt': 'never', 'security.workspace.trust.banner': 'never' } }
      : {}),
  });
  await rm(scriptedLm, { force: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    let stats: Stats | undefined;
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (resolveExit = resolve));

    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      // The host forwards console calls unformatted: mocha's spec reporter passes printf-style args.
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (text.startsWith(STATS_PREFIX)) {
        stats = JSON.parse(text.slice(STATS_PREFIX.length)) as Stats;
      } else if (verbose || !WORKBENCH_NOISE.some((pattern) => pattern.test(text))) {
        (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
      }
    });
    await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));

    // `enableProposedApi` without an id allows proposed APIs to every extension: the scripted-lm one needs
    // VS Code 1.100's `chatProvider` (ACA itself declares none).
    const payload = [
      ['extensionDevelopmentPath', server.remoteUri(REPO_ROOT)],
      ['enableProposedApi', ''],
      ['extensionTestsPath', server.remoteUri(path.join(REPO_ROOT, 'out', 'test', 'integration', 'index.js'))],
    ];
    const url = `${server.url}/?folder=${encodeURIComponent(workspace.dir)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(url);

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        process.stderr.write(`[integration] the suite did not finish within ${SUITE_TIMEOUT_MS / 1000} s\n`);
        resolve(124);
      }, SUITE_TIMEOUT_MS);
    });
    const code = await Promise.race([exited, timeout]);
    clearTimeout(timer);
    if (code !== 0) {
      await screenshot(page, restricted ? 'integration-restricted-failure' : 'integration-failure').catch(() => undefined);
    }
    if (!stats) {
      process.stderr.write(`[integration] the suite reported no results (exit ${code}); screenshots in ${resultsDir()}\n`);
    }
    return { code, stats };
  } finally {
    await browser.close();
    await server.stop();
    await workspace.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[integration] could not run the suite:', error);
    process.exit(1);
  },
);
