// Installs what the tests and `npm start` need, idempotently, using only Node built-ins (this runs
// before node_modules exists). Each piece reports {ok, detail}; a piece that cannot be installed says
// which and why, so the caller can skip only the suites that need it (or fail, under CI=true).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** code-server 4.100.3 bundles VS Code 1.100.3 and runs on Node 20, the Node this project targets. */
export const CODE_SERVER_VERSION = '4.100.3';
/** The ripgrep build that code-server 4.100.3's @vscode/ripgrep 1.15.11 downloads (from GitHub: unreachable here). */
const RIPGREP_CACHE = { dir: 'vscode-ripgrep-cache-1.15.11', file: 'ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz' };

const MINUTE = 60_000;

export function log(message) {
  process.stderr.write(`[rig] ${message}\n`);
}

/** Where code-server is installed: outside the clone, so fresh clones on one machine share it. */
export function rigDir() {
  return process.env.ACA_RIG_DIR ?? path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'aca-test-rig');
}

export function codeServerBin() {
  return path.join(rigDir(), `code-server-${CODE_SERVER_VERSION}`, 'node_modules', '.bin', 'code-server');
}

function run(command, args, options = {}) {
  const result = spawnSync(command, args, {
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env ?? process.env,
    stdio: options.quiet ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'],
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 10 * MINUTE,
    killSignal: 'SIGKILL',
  });
  if (result.error?.code === 'ETIMEDOUT') {
    return { ok: false, output: `timed out after ${Math.round((options.timeoutMs ?? 10 * MINUTE) / 1000)} s` };
  }
  if (result.error) {
    return { ok: false, output: result.error.message };
  }
  return { ok: result.status === 0, output: `${result.stdout ?? ''}${result.stderr ?? ''}`, status: result.status };
}

function lockHash() {
  return createHash('sha256')
    .update(readFileSync(path.join(REPO_ROOT, 'package-lock.json')))
    .digest('hex');
}

/** `npm ci` when node_modules is missing or was installed from another package-lock.json. */
export function ensureNodeModules() {
  const stamp = path.join(REPO_ROOT, 'node_modules', '.aca-lock-sha256');
  const wanted = lockHash();
  if (existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
    return { ok: true, detail: 'node_modules up to date' };
  }
  log('installing npm dependencies (npm ci)…');
  const result = run('npm', ['ci', '--no-audit', '--no-fund'], { timeoutMs: 15 * MINUTE });
  if (!result.ok) {
    return { ok: false, detail: `npm ci failed: ${result.output}` };
  }
  writeFileSync(stamp, wanted);
  return { ok: true, detail: 'installed with npm ci' };
}

function debPackageInstalled(name) {
  const result = run('dpkg-query', ['-W', '-f=${Status}', name], { quiet: true, timeoutMs: MINUTE });
  return result.ok && result.output.includes('install ok installed');
}

let aptUpdated = false;

/** Installs Debian packages that are missing; needs root (or password-less sudo) and the Debian mirror. */
export function ensureDebPackages(names, why) {
  if (!existsSync('/usr/bin/dpkg-query')) {
    return { ok: false, detail: `cannot install ${names.join(', ')} (${why}): not a Debian-based system; install them yourself` };
  }
  const missing = names.filter((name) => !debPackageInstalled(name));
  if (missing.length === 0) {
    return { ok: true, detail: `${names.join(', ')} present` };
  }
  const asRoot = process.getuid?.() === 0;
  const sudo = !asRoot && run('sudo', ['-n', 'true'], { quiet: true, timeoutMs: 10_000 }).ok;
  if (!asRoot && !sudo) {
    return { ok: false, detail: `missing Debian packages ${missing.join(', ')} (${why}), and no root or password-less sudo to install them` };
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const exec = (args, timeoutMs) => {
    const [command, ...rest] = asRoot ? args : ['sudo', '-n', ...args];
    return run(command, rest, { env, quiet: true, timeoutMs });
  };
  if (!aptUpdated) {
    log('apt-get update…');
    const update = exec(['apt-get', 'update', '-qq'], 5 * MINUTE);
    if (!update.ok) {
      return { ok: false, detail: `apt-get update failed (${why}): ${update.output.slice(-800)}` };
    }
    aptUpdated = true;
  }
  log(`apt-get install ${missing.join(' ')} (${why})…`);
  const install = exec(['apt-get', 'install', '-y', '-qq', ...missing], 10 * MINUTE);
  if (!install.ok) {
    return { ok: false, detail: `apt-get install ${missing.join(' ')} failed (${why}): ${install.output.slice(-800)}` };
  }
  return { ok: true, detail: `installed ${missing.join(', ')}` };
}

export function ensureChromium() {
  const result = ensureDebPackages(['chromium'], 'the browser that drives VS Code in integration and E2E tests');
  if (result.ok && !existsSync('/usr/bin/chromium')) {
    return { ok: false, detail: 'the chromium package is installed but /usr/bin/chromium is missing' };
  }
  return { ...result, path: '/usr/bin/chromium' };
}

/**
 * code-server from npm, as root, offline, needs: unsafe-perm (its postinstall refuses root), kerberos
 * headers (a native module builds from source), `yes` (node-pty's postinstall runs `npx node-gyp`),
 * and a seeded ripgrep download cache holding Debian's rg (the download goes to GitHub).
 */
export function ensureCodeServer() {
  const bin = codeServerBin();
  const installDir = path.dirname(path.dirname(path.dirname(bin)));
  const marker = path.join(installDir, '.aca-installed');
  if (existsSync(bin) && existsSync(marker)) {
    return { ok: true, detail: `code-server ${CODE_SERVER_VERSION} present`, path: bin };
  }
  const deps = ensureDebPackages(['libkrb5-dev', 'pkg-config', 'ripgrep'], 'needed to build code-server');
  if (!deps.ok) {
    return deps;
  }
  const partial = `${installDir}.partial-${process.pid}`;
  rmSync(partial, { recursive: true, force: true });
  const tmp = path.join(partial, '.tmp');
  mkdirSync(path.join(tmp, RIPGREP_CACHE.dir), { recursive: true });
  const rgTar = run('tar', ['-czf', path.join(tmp, RIPGREP_CACHE.dir, RIPGREP_CACHE.file), '-C', '/usr/bin', 'rg'], { quiet: true });
  if (!rgTar.ok) {
    return { ok: false, detail: `could not seed the ripgrep cache from /usr/bin/rg: ${rgTar.output}` };
  }
  // allowScripts: newer npm runs a dependency's install scripts only when the project approves them.
  const manifest = { name: 'aca-test-rig', private: true, allowScripts: { 'code-server': true, argon2: true } };
  writeFileSync(path.join(partial, 'package.json'), JSON.stringify(manifest));
  log(`installing code-server ${CODE_SERVER_VERSION} into ${installDir} (about a minute)…`);
  const env = { ...process.env, TMPDIR: tmp, npm_config_unsafe_perm: 'true', npm_config_yes: 'true' };
  const result = run('npm', ['install', '--no-audit', '--no-fund', '--no-save', `code-server@${CODE_SERVER_VERSION}`], {
    cwd: partial,
    env,
    quiet: true,
    timeoutMs: 15 * MINUTE,
  });
  if (!result.ok) {
    rmSync(partial, { recursive: true, force: true });
    return { ok: false, detail: `npm install code-server@${CODE_SERVER_VERSION} failed: ${result.output.slice(-1500)}` };
  }
  rmSync(tmp, { recursive: true, force: true });
  writeFileSync(path.join(partial, '.aca-installed'), CODE_SERVER_VERSION);
  rmSync(installDir, { recursive: true, force: true });
  mkdirSync(path.dirname(installDir), { recursive: true });
  renameSync(partial, installDir);
  return { ok: true, detail: `installed code-server ${CODE_SERVER_VERSION}`, path: bin };
}
