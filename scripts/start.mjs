// `npm start`: a real VS Code with ACA loaded on examples/sample-workspace, rebuilt as you edit.
// Desktop VS Code (`code` on PATH) gets --extensionDevelopmentPath; otherwise code-server on 127.0.0.1.
// Only Node built-ins are imported here: this must work on a fresh clone before `npm ci`.
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, ensureCodeServer, ensureNodeModules, log } from './lib/rig.mjs';

const workspace = path.join(REPO_ROOT, 'examples', 'sample-workspace');

const modules = ensureNodeModules();
if (!modules.ok) {
  log(modules.detail);
  process.exit(1);
}
const build = spawnSync(process.execPath, ['esbuild.mjs'], { cwd: REPO_ROOT, stdio: 'inherit' });
if (build.status !== 0) {
  process.exit(1);
}

const desktop = process.env.ACA_START_WEB !== '1' && spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (desktop) {
  log('opening desktop VS Code with ACA in development mode');
  spawnSync('code', ['--new-window', `--extensionDevelopmentPath=${REPO_ROOT}`, workspace], { stdio: 'inherit' });
  log('rebuilding on change; reload the VS Code window to pick changes up. Ctrl-C to stop watching.');
  const watcher = spawn(process.execPath, ['esbuild.mjs', '--watch'], { cwd: REPO_ROOT, stdio: 'inherit' });
  const stop = () => watcher.kill('SIGTERM');
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  watcher.on('close', () => process.exit(0));
} else {
  const codeServer = ensureCodeServer();
  if (!codeServer.ok) {
    log(`cannot start VS Code: no desktop \`code\` on PATH, and code-server is unavailable: ${codeServer.detail}`);
    process.exit(1);
  }
  // The launcher owns code-server and the watcher, and stops both on Ctrl-C (SIGINT reaches it too).
  const launcher = spawn(process.execPath, ['--import', 'tsx', path.join('scripts', 'startCodeServer.ts'), workspace], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: { ...process.env, ACA_CODE_SERVER_BIN: codeServer.path },
  });
  const forward = (signal) => launcher.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  launcher.on('close', (code) => process.exit(code ?? 0));
}
