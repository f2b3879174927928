/**
 * Starts code-server (a real VS Code: server, web workbench and Node extension host) on 127.0.0.1 with
 * private user-data, extensions and XDG folders, and stops it with every process it started.
 * The binary comes from $ACA_CODE_SERVER_BIN, which `npm test` / `npm start` install and set.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { runProgram } from './processes';

export interface CodeServerOptions {
  /** The folder the workbench opens. */
  readonly workspace: string;
  /** A .vsix to install into the private extensions folder before starting. */
  readonly installVsix?: string;
  /** Ask for workspace trust as VS Code normally does (default: trust is disabled, every folder trusted). */
  readonly workspaceTrust?: boolean;
  /** Keep the user-data folder here instead of a temporary one (npm start). */
  readonly stateDir?: string;
  /** A fixed port (npm start); default: a free one. */
  readonly port?: number;
  /** Extra environment for code-server and so its extension host (an agent CLI pointed at a scripted server). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra user settings for this VS Code. */
  readonly settings?: Readonly<Record<string, unknown>>;
  /** Where server output goes; default: kept in memory for error messages. */
  readonly onOutput?: (text: string) => void;
}

export interface RunningCodeServer {
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  readonly userDataDir: string;
  /** `vscode-remote://127.0.0.1:PORT<abs path>`: how the web workbench names a file on the server. */
  remoteUri(absolutePath: string): string;
  stop(): Promise<void>;
}

const STARTUP_TIMEOUT_MS = 60_000;

export function codeServerBinary(): string {
  const bin = process.env['ACA_CODE_SERVER_BIN'];
  if (!bin) {
    throw new Error('ACA_CODE_SERVER_BIN is not set: run this through `npm test` or `npm start`, which install code-server and set it');
  }
  return bin;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startCodeServer(options: CodeServerOptions): Promise<RunningCodeServer> {
  const bin = codeServerBinary();
  const root = await mkdtemp(path.join(os.tmpdir(), 'aca-code-server-'));
  const userDataDir = options.stateDir ?? path.join(root, 'user-data');
  const dirs = {
    extensions: path.join(root, 'extensions'),
    config: path.join(root, 'xdg-config'),
    data: path.join(root, 'xdg-data'),
    cache: path.join(root, 'xdg-cache'),
    tmp: path.join(root, 'tmp'),
  };
  await Promise.all([userDataDir, ...Object.values(dirs)].map((dir) => mkdir(dir, { recursive: true })));
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  // Quiet, deterministic workbench: no welcome page, no update or telemetry traffic.
  await writeFile(
    path.join(userDataDir, 'User', 'settings.json'),
    JSON.stringify(
      {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'workbench.enableExperiments': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'extensions.autoUpdate': false,
        'extensions.ignoreRecommendations': true,
        'update.mode': 'none',
        'chat.commandCenter.enabled': false,
        ...options.settings,
      },
      null,
      2,
    ),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...options.env,
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
  };
  const common = ['--config', '/dev/null', '--user-data-dir', userDataDir, '--extensions-dir', dirs.extensions];

  if (options.installVsix) {
    const installed = await runProgram(bin, [...common, '--install-extension', options.installVsix], { cwd: root, env, timeoutMs: 120_000 });
    if (installed.exitCode !== 0) {
      await rm(root, { recursive: true, force: true });
      throw new Error(`code-server --install-extension ${options.installVsix} failed (exit ${installed.exitCode}): ${installed.stdout}${installed.stderr}`);
    }
  }

  const port = options.port ?? (await freePort());
  const args = [
    ...common,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(options.workspaceTrust ? [] : ['--disable-workspace-trust']),
    options.workspace,
  ];
  // Its own process group, so stop() ends code-server and every process it spawned.
  const child = spawn(bin, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  const onData = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-20_000);
    options.onOutput?.(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exitGuard = (): void => killGroup(child, 'SIGKILL');
  process.once('exit', exitGuard);

  const url = `http://127.0.0.1:${port}`;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) {
      return;
    }
    stopped = true;
    process.off('exit', exitGuard);
    await terminate(child);
    await rm(root, { recursive: true, force: true }).catch(() => undefined);
  };

  try {
    await waitForHealth(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    url,
    port,
    pid: child.pid!,
    userDataDir,
    remoteUri: (absolutePath) => `vscode-remote://127.0.0.1:${port}${absolutePath}`,
    stop,
  };
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`code-server exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${STARTUP_TIMEOUT_MS / 1000} s:\n${output()}`);
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) {
    return;
  }
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** SIGTERM the process group, then SIGKILL it if it is still there after 5 s. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(child, 'SIGKILL'); // stray grandchildren
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(child, 'SIGTERM');
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
  killGroup(child, 'SIGKILL');
}
