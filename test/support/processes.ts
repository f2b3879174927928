import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The repository root: found upward from here, so it is right from sources and from bundles in out/. */
export const REPO_ROOT = findRepoRoot(__dirname);

function findRepoRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'automatic-coding-agent') {
      return dir;
    }
    if (path.dirname(dir) === dir) {
      throw new Error(`cannot find the repository root above ${from}`);
    }
  }
}

export function repoBin(name: string): string {
  return path.join(REPO_ROOT, 'node_modules', '.bin', name);
}

/** What the `aca` CLI needs to drive the real Claude Code CLI against a scripted model server. */
export function scriptedClaudeEnv(baseUrl: string): Record<string, string> {
  return {
    ACA_CLAUDE_PATH: repoBin('claude'),
    ANTHROPIC_BASE_URL: baseUrl,
    ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    API_TIMEOUT_MS: '20000',
  };
}

export interface RunResult {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface RunOptions {
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
}

/**
 * Runs a program with an argument vector (never a shell), stdin closed, and a hard time bound: on
 * timeout it is sent SIGTERM, then SIGKILL, and the result says so instead of hanging the suite.
 */
export function runProgram(file: string, args: readonly string[], options: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    }, options.timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut });
    });
  });
}

/** Parses JSON Lines, keeping only objects; a line that is not JSON is reported, not dropped silently. */
export function parseJsonLines(text: string): Array<Record<string, unknown>> {
  const objects: Array<Record<string, unknown>> = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') {
      continue;
    }
    try {
      const value = JSON.parse(line) as unknown;
      if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
        objects.push(value as Record<string, unknown>);
      }
    } catch {
      throw new Error(`line ${index + 1} of the output is not JSON: ${line.slice(0, 200)}`);
    }
  }
  return objects;
}

/** A temporary folder, removed by the returned cleanup. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `aca-${prefix}-`));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/**
 * Fresh temporary folders for each test of the calling suite, removed after it: `dirs.home` etc. are
 * paths, valid inside a test.
 */
export function useTempDirs<Name extends string>(...names: Name[]): Record<Name, string> {
  const dirs = {} as Record<Name, string>;
  const cleanups: Array<() => Promise<void>> = [];
  beforeEach(async () => {
    for (const name of names) {
      const temp = await makeTempDir(name);
      dirs[name] = temp.dir;
      cleanups.push(temp.cleanup);
    }
  });
  afterEach(async () => {
    await Promise.all(cleanups.splice(0).map((cleanup) => cleanup()));
  });
  return dirs;
}

/** A minimal environment: no inherited API keys or agent settings from the developer's shell. */
export function isolatedEnv(extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return {
    PATH: process.env['PATH'],
    LANG: 'C.UTF-8',
    TMPDIR: process.env['TMPDIR'] ?? os.tmpdir(),
    ...extra,
  };
}

/**
 * The built `aca` command (`dist/cli.js`) run in `workspace` with HOME in `home` and an isolated environment.
 * stdin is closed: there is no terminal, so nothing is asked.
 */
export function runAca(
  args: readonly string[],
  options: { workspace: string; home: string; env?: Record<string, string>; timeoutMs?: number },
): Promise<RunResult> {
  return runProgram(process.execPath, [path.join(REPO_ROOT, 'dist', 'cli.js'), ...args], {
    cwd: options.workspace,
    timeoutMs: options.timeoutMs ?? 100_000,
    env: isolatedEnv({ HOME: options.home, ...options.env }),
  });
}

/** Runs `work` with `vars` set in this process's environment, then puts back what was there. */
export async function withEnv<T>(vars: Record<string, string>, work: () => Promise<T>): Promise<T> {
  const before = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  Object.assign(process.env, vars);
  try {
    return await work();
  } finally {
    for (const [name, value] of Object.entries(before)) {
      if (value === undefined) {
        delete process.env[name];
      } else {
        process.env[name] = value;
      }
    }
  }
}
