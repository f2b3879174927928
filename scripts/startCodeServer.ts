/**
 * The code-server half of `npm start`: serves a real VS Code on 127.0.0.1 with ACA loaded as a
 * development extension (through the workbench's `payload` parameter, as the integration tests do),
 * keeps esbuild watching, and on SIGINT/SIGTERM stops both and leaves no process behind.
 */
import { spawn } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { startCodeServer } from '../test/support/codeServer';
import { REPO_ROOT } from '../test/support/processes';

async function main(): Promise<void> {
  const workspace = process.argv[2] ?? path.join(REPO_ROOT, 'examples', 'sample-workspace');
  // Settings and UI state survive restarts, so the person's layout is kept; ignored by git.
  const stateDir = path.join(REPO_ROOT, '.vscode-test', 'code-server-user-data');
  await mkdir(stateDir, { recursive: true });
  const port = process.env['ACA_PORT'] ? Number(process.env['ACA_PORT']) : undefined;
  const server = await startCodeServer({ workspace, stateDir, ...(port ? { port } : {}) });
  const watcher = spawn(process.execPath, ['esbuild.mjs', '--watch'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] });

  const payload = [['extensionDevelopmentPath', server.remoteUri(REPO_ROOT)]];
  const url = `${server.url}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
  console.log(`\nACA is running in VS Code (code-server ${server.url}, pid ${server.pid}). Open:\n\n  ${url}\n`);
  console.log('Edits to src/ rebuild automatically; run "Developer: Reload Window" to load them. Ctrl-C stops everything.');

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) {
      return;
    }
    stopping = true;
    console.log('\nStopping VS Code…');
    watcher.kill('SIGTERM');
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error('[start] could not start VS Code:', error);
  process.exit(1);
});
