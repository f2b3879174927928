/**
 * File checkpoints of the user's workspace, with git (the CLI, through execa, never a shell): restore the
 * files to the state before any task, including what shell commands changed.
 *
 * In a git repository the working tree (tracked and untracked, honouring .gitignore) is written as a commit
 * built with a private index file and kept under `refs/aca/<session>/<checkpoint>`. The user's index, HEAD,
 * branches and stash are never touched. Elsewhere a shadow repository in the session folder does the same.
 */
import { execa } from 'execa';
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../common/paths';
import { writeFileSafely } from '../common/safeWrite';

export type FileChangeKind = 'modify' | 'create' | 'delete';

export interface FileChange {
  /** Relative to the workspace, with `/`. */
  readonly path: string;
  /** What restoring does to the file now in the workspace. */
  readonly kind: FileChangeKind;
}

export interface FileCheckpoint {
  readonly commit: string;
  readonly ref: string;
  /** Files larger than the limit were left out. */
  readonly skipped: readonly string[];
}

export interface FileCheckpointOptions {
  /** The folder of the session: the private index (and the shadow repository) live here. */
  readonly sessionDir: string;
  readonly sessionId: string;
  /** Files over this size are not copied into checkpoints (bounded disk use). */
  readonly maxFileBytes?: number;
  /** Paths (relative to the workspace) never checkpointed, e.g. the session store itself. */
  readonly exclude?: readonly string[];
}

const DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024;
const IDENTITY = { GIT_AUTHOR_NAME: 'ACA', GIT_AUTHOR_EMAIL: 'aca@localhost', GIT_COMMITTER_NAME: 'ACA', GIT_COMMITTER_EMAIL: 'aca@localhost' };

export class FileCheckpoints {
  private constructor(
    private readonly _workspace: string,
    /** The git work tree: the repository's top level, or the workspace itself for a shadow repository. */
    private readonly _workTree: string,
    private readonly _gitDir: string,
    /** The workspace relative to the work tree ('.' when they are the same). */
    private readonly _scope: string,
    private readonly _options: FileCheckpointOptions,
    readonly mode: 'repository' | 'shadow',
  ) {}

  static async open(workspace: string, options: FileCheckpointOptions): Promise<FileCheckpoints> {
    await mkdir(options.sessionDir, { recursive: true });
    // ACA's own files never show in the user's `git status`, wherever the session folder is.
    await writeFileSafely(path.join(options.sessionDir, '.gitignore'), '*\n');
    const inRepo = await execa('git', ['rev-parse', '--show-toplevel', '--absolute-git-dir'], { cwd: workspace, reject: false });
    if (inRepo.exitCode === 0) {
      const [top, gitDir] = inRepo.stdout.split('\n') as [string, string];
      const scope = path.relative(top, workspace) || '.';
      return new FileCheckpoints(workspace, top, gitDir, scope, options, 'repository');
    }
    const shadow = path.join(options.sessionDir, 'shadow.git');
    await execa('git', ['init', '--quiet', '--bare', shadow]);
    return new FileCheckpoints(workspace, workspace, shadow, '.', options, 'shadow');
  }

  /** Snapshots the workspace as it is now. */
  async create(checkpointId: string, message: string): Promise<FileCheckpoint> {
    const { tree, skipped } = await this._writeTree('checkpoint.index');
    const commit = (await this._git(['commit-tree', tree, '-m', message])).trim();
    const ref = `refs/aca/${this._options.sessionId}/${checkpointId}`;
    await this._git(['update-ref', ref, commit]);
    return { commit, ref, skipped };
  }

  /** What `restore(commit)` would change, without changing anything. */
  async preview(commit: string): Promise<FileChange[]> {
    const { tree } = await this._writeTree('preview.index');
    return this._diff(tree, commit);
  }

  /** The files that differ from one checkpoint to a later one: what happened between them. */
  async changesBetween(from: string, to: string): Promise<FileChange[]> {
    return this._diff(from, to);
  }

  /** A file's content in a checkpoint; undefined when the checkpoint does not have it. */
  async fileAt(commit: string, workspacePath: string): Promise<string | undefined> {
    const spec = `${commit}:${this._toWorkTreePath(workspacePath.split(path.sep).join('/'))}`;
    // Exact bytes (execa would strip the final newline); a missing path is a non-zero exit, not an error.
    const shown = await execa('git', ['cat-file', 'blob', spec], { cwd: this._workTree, env: { GIT_DIR: this._gitDir }, reject: false, stdin: 'ignore', stripFinalNewline: false, maxBuffer: 64 * 1024 * 1024 });
    return shown.exitCode === 0 ? String(shown.stdout) : undefined;
  }

  private async _diff(from: string, to: string): Promise<FileChange[]> {
    const diff = await this._git(['diff-tree', '-r', '-z', '--no-renames', '--name-status', from, to, '--', this._scope]);
    const fields = diff.split('\0').filter(Boolean);
    const changes: FileChange[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const status = fields[i]!;
      const file = this._toWorkspacePath(fields[i + 1]!);
      changes.push({ path: file, kind: status === 'A' ? 'create' : status === 'D' ? 'delete' : 'modify' });
    }
    return changes;
  }

  /** Puts the workspace back to the checkpoint: returns what it changed. */
  async restore(commit: string): Promise<FileChange[]> {
    const changes = await this.preview(commit);
    const index = path.join(this._options.sessionDir, 'restore.index');
    await this._git(['read-tree', commit], index);
    const write = changes.filter((c) => c.kind !== 'delete').map((c) => this._toWorkTreePath(c.path));
    if (write.length > 0) {
      await this._git(['checkout-index', '-f', '-z', '--stdin'], index, write.join('\0'));
    }
    for (const change of changes.filter((c) => c.kind === 'delete')) {
      await rm(path.join(this._workspace, change.path), { force: true });
    }
    return changes;
  }

  /** Deletes the refs of checkpoints no longer kept (their objects go with git's own gc). */
  async drop(checkpointId: string): Promise<void> {
    await this._git(['update-ref', '-d', `refs/aca/${this._options.sessionId}/${checkpointId}`]);
  }

  private async _writeTree(indexName: string): Promise<{ tree: string; skipped: string[] }> {
    const index = path.join(this._options.sessionDir, indexName);
    const excludes = (this._options.exclude ?? []).map((p) => `:(exclude)${this._toWorkTreePath(p)}`);
    // Large files (new or changed) stay out, so a checkpoint cannot fill the disk.
    const candidates = await this._git(['ls-files', '-z', '--others', '--modified', '--exclude-standard', '--', this._scope, ...excludes], index);
    const limit = this._options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const skipped: string[] = [];
    for (const file of candidates.split('\0').filter(Boolean)) {
      const size = await stat(path.join(this._workTree, file)).then((s) => (s.isFile() ? s.size : 0), () => 0);
      if (size > limit) {
        skipped.push(this._toWorkspacePath(file));
        excludes.push(`:(exclude,literal)${file}`);
      }
    }
    await this._git(['add', '--all', '--', this._scope, ...excludes], index);
    const tree = (await this._git(['write-tree'], index)).trim();
    return { tree, skipped };
  }

  /** Runs git on the checkpoint repository with a private index: the user's index is never used. */
  private async _git(args: string[], indexFile?: string, input?: string): Promise<string> {
    const result = await execa('git', ['-c', 'core.quotePath=false', ...args], {
      cwd: this._workTree,
      env: { ...IDENTITY, GIT_DIR: this._gitDir, GIT_WORK_TREE: this._workTree, GIT_INDEX_FILE: indexFile ?? path.join(this._options.sessionDir, 'checkpoint.index') },
      ...(input !== undefined ? { input } : { stdin: 'ignore' as const }),
      maxBuffer: 256 * 1024 * 1024,
    });
    return String(result.stdout);
  }

  private _toWorkspacePath(workTreePath: string): string {
    return this._scope === '.' ? workTreePath : path.posix.relative(this._scope.split(path.sep).join('/'), workTreePath);
  }

  private _toWorkTreePath(workspacePath: string): string {
    return this._scope === '.' ? workspacePath : path.posix.join(this._scope.split(path.sep).join('/'), workspacePath);
  }
}

/** The file checkpoints of a session, leaving out the sessions folder when it is inside the workspace. */
export function sessionFileCheckpoints(workspace: string, sessionDir: string, sessionId: string): Promise<FileCheckpoints> {
  const sessionsRoot = path.dirname(sessionDir);
  const inside = sessionsRoot !== workspace && isInside(workspace, sessionsRoot);
  return FileCheckpoints.open(workspace, { sessionDir, sessionId, exclude: inside ? [path.relative(workspace, sessionsRoot)] : [] });
}

/** The engine's per-task file snapshots for a session; undefined (with the reason) when git cannot be used. */
export async function taskFileSnapshots(workspace: string, sessionDir: string, sessionId: string): Promise<{ snapshots?: { take(label: string): Promise<string> }; problem?: string }> {
  try {
    const files = await sessionFileCheckpoints(workspace, sessionDir, sessionId);
    return { snapshots: { take: async (label) => (await files.create(label, `ACA: ${label}`)).commit } };
  } catch (error) {
    return { problem: `file snapshots are off (git is needed): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
