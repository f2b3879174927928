/**
 * Every git command ACA runs goes through `runGit`: a repository's own config (a downloaded `.git/`, or one an
 * agent wrote) must not make ACA run its programs. Command-line `-c` settings override every config file, so
 * each command switches off what git would otherwise execute: the fsmonitor hook, hooks (`reference-transaction`
 * runs on update-ref, `post-index-change` on add), commit signing, ssh and every other transport, the external
 * diff, and the clean/smudge/process filter drivers. Filters have no global switch (attributes name them,
 * config defines them), so each driver the config defines is emptied by name before every command.
 */
import { execa, type Result } from 'execa';
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

export type GitResult = Result<{ reject: false }>;

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
  const base = { cwd: options.cwd, env: { ...options.env, GIT_TERMINAL_PROMPT: '0' }, maxBuffer: options.maxBuffer ?? 256 * 1024 * 1024 };
  const neutral = NEUTRAL_CONFIG.flatMap((setting) => ['-c', setting]);
  // Reading the config runs nothing; it is read before each command that may filter, as an agent may have added a filter since.
  const defined = FILTER_FREE.has(args[0] ?? '') ? undefined : await execa('git', ['--no-pager', ...neutral, 'config', '-z', '--name-only', '--get-regexp', '^filter\\.'], { ...base, reject: false, stdin: 'ignore' });
  const filtersOff = filterDrivers(String(defined?.stdout ?? '')).flatMap((name) => {
    if (name.includes('=')) {
      // `-c` splits at the first '=': such a driver cannot be named there, so it cannot be switched off.
      throw new GitConfigError(`the git config defines a filter driver ACA cannot switch off ("${name}"); file snapshots are off`);
    }
    return ['clean=', 'smudge=', 'process=', 'required=false'].flatMap((setting) => ['-c', `filter.${name}.${setting}`]);
  });
  return execa('git', ['--no-pager', ...neutral, ...filtersOff, ...args], {
    ...base,
    reject: options.reject ?? true,
    stripFinalNewline: options.stripFinalNewline ?? true,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  }) as Promise<GitResult>;
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
