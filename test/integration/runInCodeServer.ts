/**
 * Runs the integration suite (out/test/integration/index.js, bundled by `esbuild.mjs --tests`) inside the
 * real extension host of code-server. code-server takes no --extensionTestsPath on its command line, so
 * the workbench gets it from the `payload` query parameter, and reports through two functions the page
 * exposes: `codeAutomationLog` (the host's console) and `codeAutomationExit` (the suite's exit code).
 */
import { cp, rm, writeFile } from 'node:fs/promises';
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

async function main(): Promise<number> {
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
  const server = await startCodeServer({ workspace: workspace.dir, installVsix: scriptedLm });
  await rm(scriptedLm, { force: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    let stats: unknown;
    let resolveExit: (code: number) => void = () => undefined;
    const exited = new Promise<number>((resolve) => (resolveExit = resolve));

    await page.exposeFunction('codeAutomationLog', (type: string, args: unknown) => {
      // The host forwards console calls unformatted: mocha's spec reporter passes printf-style args.
      const text = format(...(Array.isArray(args) ? args : [args]));
      if (text.startsWith(STATS_PREFIX)) {
        stats = JSON.parse(text.slice(STATS_PREFIX.length));
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
      await screenshot(page, 'integration-failure').catch(() => undefined);
    }
    const statsFile = process.env['ACA_TEST_STATS_FILE'];
    if (statsFile && stats) {
      await writeFile(statsFile, JSON.stringify(stats));
    }
    if (!stats) {
      process.stderr.write(`[integration] the suite reported no results (exit ${code}); screenshots in ${resultsDir()}\n`);
    }
    return code;
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
