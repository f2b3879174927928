/**
 * What every `aca` command shares: its input and output (a port, so tests run the program in-process),
 * the exit codes, the configuration it loads, the places of its sessions and the providers' environment.
 */
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { SessionPlaces } from '../core/app/sessionPlaces';
import { loadConfig, type AcaConfig, type LoadedConfig } from '../core/config/config';
import { gitRootFrom } from '../core/plan/findTasksFile';
import type { ProviderEnvironment } from '../core/providers/factory';
import { workspaceSessionsRoot } from '../core/session/sessions';

/** Exit codes: 0 ok, 1 a failure that is not the input's fault, 2 bad input (file, line or field named). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;
export const EXIT_INTERRUPTED = 130;

export interface CliIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly home: string;
  readonly ask?: (question: string) => Promise<string>;
  readonly live?: boolean;
  /** Lines for `aca interactive` (default: standard input). */
  readonly input?: NodeJS.ReadableStream;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  cwd: process.cwd(),
  env: process.env,
  home: os.homedir(),
  live: Boolean(process.stderr.isTTY),
  // Only a person at a terminal is asked; scripts and CI are not (and --yes skips it).
  ...(process.stdin.isTTY && process.stderr.isTTY
    ? {
        ask: async (question: string) => {
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          try {
            return await rl.question(question);
          } finally {
            rl.close();
          }
        },
      }
    : {}),
};

/** Thrown inside actions to end with a message and an exit code. */
export class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** What the settings that need trust do, for messages. */
export const WHY_TRUST = 'they choose the programs ACA runs, where API keys are sent, extra CLI configuration and what agents may do without asking';

/** A path as one shell word, for a command to copy. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The configuration of a command. When settings of an untrusted folder were left out, says so once on
 * stderr (`warn`: commands that use none of them stay quiet).
 */
export async function loadCliConfig(io: CliIo, options: { config?: string; trustWorkspace?: boolean }, warn = true, workspace = io.cwd): Promise<AcaConfig> {
  // -c is relative to the current folder; the search starts in the workspace.
  const explicit = options.config !== undefined ? path.resolve(io.cwd, options.config) : undefined;
  const loaded = await loadConfig(workspace, explicit, io.home, { trustWorkspace: Boolean(options.trustWorkspace) });
  if (warn && loaded.untrustedFolder) {
    io.err(`${ignoredWarning(loaded)}\n`);
  }
  return loaded.config;
}

function ignoredWarning(loaded: LoadedConfig): string {
  const folder = loaded.untrustedFolder ?? '';
  return `warning: ${loaded.file}: ignored ${loaded.ignored.join(', ')}, because ${folder} is not a trusted folder (${WHY_TRUST}). To use them: aca trust ${shellWord(folder)}, or --trust-workspace for one run.`;
}

export interface SessionFlags {
  workspace?: string;
  sessionDir?: string;
}

/**
 * The workspace of the session commands: `-w`, else the git root of the current folder (where `aca run`
 * from any of its subfolders keeps its sessions), else the current folder. `interactive` passes
 * `project: false`: its agent works in the current folder, as the user started it there.
 */
export async function sessionPlacesOf(
  options: SessionFlags,
  io: CliIo,
  { project = true } = {},
): Promise<{ workspace: string; root: string; places: SessionPlaces }> {
  const cwd = path.resolve(io.cwd);
  const workspace = options.workspace !== undefined ? path.resolve(cwd, options.workspace) : project ? ((await gitRootFrom(cwd)) ?? cwd) : cwd;
  return { workspace, ...cliSessionPlaces(workspace, options.sessionDir, io) };
}

/** `--session-dir` is relative to the current folder; without it, `<workspace>/.aca/sessions`. */
export function cliSessionPlaces(workspace: string, sessionDir: string | undefined, io: CliIo): { root: string; places: SessionPlaces } {
  const root = path.resolve(io.cwd, sessionDir ?? workspaceSessionsRoot(workspace));
  return { root, places: { workspace, sessionDir: root } };
}

/** The agents' environment: executables from ACA_CLAUDE_PATH / ACA_CODEX_PATH, keys and base URLs from the environment. */
export function cliEnvironment(io: Pick<CliIo, 'env'>, { withEnv = true } = {}): ProviderEnvironment {
  return {
    ...(io.env['ACA_CLAUDE_PATH'] ? { claudePath: io.env['ACA_CLAUDE_PATH'] } : {}),
    ...(io.env['ACA_CODEX_PATH'] ? { codexPath: io.env['ACA_CODEX_PATH'] } : {}),
    ...(withEnv ? { env: Object.fromEntries(Object.entries(io.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) } : {}),
  };
}
