/**
 * Every git command ACA runs goes through `runGit`: a repository's own config (a downloaded `.git/`, or one an
 * agent wrote) must not make ACA run its programs. Command-line `-c` settings override every config file, so
 * each command switches off what git would otherwise execute: the fsmonitor hook, hooks (`reference-transaction`
 * runs on update-ref, `post-index-change` on add), commit signing, ssh and every other transport, the external
 * diff, and the clean/smudge/process filter drivers. Filters have no global switch (attributes name them,
 * config defines them), so each driver the config defines is emptied by name before every command.
 */
import { execFile } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';

export interface GitOptions {
  readonly cwd: string;
  /** Added to the inherited environment (GIT_DIR, GIT_INDEX_FILE, …). */
  readonly env?: Readonly<Record<string, string>>;
  readonly input?: string;
  /** false: a non-zero exit is returned, not thrown. */
  readonly reject?: boolean;
  readonly stripFinalNewline?: boolean;
  readonly maxBuffer?: number;
}

export interface GitResult {
  /** undefined when git did not start, was killed, or wrote more than `maxBuffer`. */
  readonly exitCode: number | undefined;
  /** UTF-8, decoded once the whole output is in (a character split across chunks stays whole). */
  readonly stdout: string;
  readonly stderr: string;
}

/** A hooks folder that cannot exist (a path below the null device), so no hook is ever found. */
const NO_HOOKS = path.join(os.devNull, 'aca-no-hooks');

const NEUTRAL_CONFIG: readonly string[] = [
  'core.fsmonitor=false',
  `core.hooksPath=${NO_HOOKS}`,
  'commit.gpgSign=false',
  'tag.gpgSign=false',
  'core.sshCommand=false',
  'protocol.allow=never',
  'diff.external=',
  'core.pager=cat',
  'gc.auto=0',
  'maintenance.auto=false',
  'core.quotePath=false',
];

/**
 * Commands that neither read the work tree's files nor write an index, so no filter can run: they skip the extra
 * config read. (Any index write may re-check a racily clean entry's content, and run the clean filter for it.)
 */
const FILTER_FREE = new Set(['cat-file', 'check-ignore', 'commit-tree', 'config', 'diff-tree', 'init', 'rev-parse', 'update-ref']);

export class GitConfigError extends Error {
  readonly reason = 'git-config' as const;

  constructor(message: string) {
    super(message);
    this.name = 'GitConfigError';
  }

  static is(error: unknown): error is GitConfigError {
    return error instanceof Error && (error as Partial<GitConfigError>).reason === 'git-config';
  }
}

/** Runs `git <args>` (never through a shell) with every repository-configured program switched off. */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const neutral = NEUTRAL_CONFIG.flatMap((setting) => ['-c', setting]);
  // Reading the config runs nothing; it is read before each command that may filter, as an agent may have added a filter since.
  const defined = FILTER_FREE.has(args[0] ?? '')
    ? undefined
    : await execGit(['--no-pager', ...neutral, 'config', '-z', '--name-only', '--get-regexp', '^filter\\.'], {
        cwd: options.cwd,
        env: options.env,
        reject: false,
        maxBuffer: options.maxBuffer,
      });
  const filtersOff = filterDrivers(defined?.stdout ?? '').flatMap((name) => {
    if (name.includes('=')) {
      // `-c` splits at the first '=': such a driver cannot be named there, so it cannot be switched off.
      throw new GitConfigError(`the git config defines a filter driver ACA cannot switch off ("${name}"); file snapshots are off`);
    }
    return ['clean=', 'smudge=', 'process=', 'required=false'].flatMap((setting) => ['-c', `filter.${name}.${setting}`]);
  });
  return execGit(['--no-pager', ...neutral, ...filtersOff, ...args], options, args);
}

/**
 * One `git` process through node:child_process: the inherited environment plus `options.env` (never a prompt
 * for credentials), `input` on stdin (else stdin is closed at once), output as UTF-8 with the final newline
 * stripped unless asked not to. A non-zero exit, a signal, a failed start or output over `maxBuffer` (256 MiB
 * unless given; git is then killed) throws, or with `reject: false` is returned with `exitCode` not 0.
 * `shown` is what an error message names: the caller's arguments, not the neutralizing `-c` settings.
 */
function execGit(argv: readonly string[], options: GitOptions, shown: readonly string[] = argv): Promise<GitResult> {
  const env = { ...process.env, ...options.env, GIT_TERMINAL_PROMPT: '0' };
  const maxBuffer = options.maxBuffer ?? 256 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const child = execFile('git', argv, { cwd: options.cwd, env, maxBuffer, encoding: 'buffer', windowsHide: true }, (error, stdout, stderr) => {
      const strip = (text: string): string =>
        options.stripFinalNewline === false || !text.endsWith('\n') ? text : text.slice(0, text.endsWith('\r\n') ? -2 : -1);
      const result = {
        exitCode: error ? (typeof error.code === 'number' ? error.code : undefined) : 0,
        stdout: strip(stdout.toString('utf8')),
        stderr: strip(stderr.toString('utf8')),
      };
      if (!error || options.reject === false) {
        resolve(result);
        return;
      }
      const cause = typeof error.code === 'number' ? `exit code ${error.code}` : error.signal ? `signal ${error.signal}` : error.message;
      reject(new Error(`Command failed with ${cause}: git ${shown.join(' ')}${result.stderr ? `\n${result.stderr}` : ''}`, { cause: error }));
    });
    // A git that exits before reading all its input says so by its exit code, reported above: EPIPE adds nothing.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input);
  });
}

/** The driver names in `filter.<name>.<key>` config names (NUL-separated, as `git config -z --name-only` prints them). */
function filterDrivers(names: string): string[] {
  const drivers = new Set<string>();
  for (const name of names.split('\0')) {
    const last = name.lastIndexOf('.');
    if (name.startsWith('filter.') && last > 'filter.'.length) {
      drivers.add(name.slice('filter.'.length, last));
    }
  }
  return [...drivers];
}
