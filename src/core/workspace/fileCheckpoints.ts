/**
 * File checkpoints of the user's workspace, with git (the CLI, through node:child_process, never a shell): restore the
 * files to the state before any task, including what shell commands changed.
 *
 * In a git repository the working tree (tracked and untracked, honouring .gitignore) is written as a commit
 * built with a private index file and kept under `refs/aca/<session>/<checkpoint>`. The user's index, HEAD,
 * branches and stash are never touched. Elsewhere a shadow repository in the session folder does the same.
 * Git runs through `runGit`, which switches off every program the repository's config could make it run.
 *
 * A checkpoint records in its commit message what it did not cover (ignored files and folders, files over the
 * size limit, the paths left out): restoring never deletes those, since it cannot know they existed then.
 */
import { lstat, mkdir, unlink } from 'node:fs/promises';
import path from 'node:path';
import { isInside } from '../common/paths';
import { writeFileSafely } from '../common/safeWrite';
import { runGit, type GitOptions } from './git';

export type FileChangeKind = 'modify' | 'create' | 'delete';

export interface FileChange {
  /** Relative to the workspace, with `/`. */
  readonly path: string;
  /** What restoring does to the file now in the workspace. */
  readonly kind: FileChangeKind;
}

/** What restoring a checkpoint would do. */
export interface RestorePlan {
  readonly changes: FileChange[];
  /**
   * Files restoring leaves as they are although the checkpoint does not have them: it did not cover them
   * (ignored then, over the size limit, left out, a nested repository), so they may have existed before.
   */
  readonly notCovered: string[];
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
/** The commit-message line listing what a checkpoint did not cover (work-tree paths; a trailing `/` is a folder). */
const NOT_COVERED_LINE = 'ACA-Not-Covered: ';
const GITLINK_MODE = '160000';
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
    const inRepo = await runGit(['rev-parse', '--show-toplevel', '--absolute-git-dir'], { cwd: workspace, reject: false });
    if (inRepo.exitCode === 0) {
      const [top, gitDir] = inRepo.stdout.split('\n') as [string, string];
      const scope = path.relative(top, workspace) || '.';
      return new FileCheckpoints(workspace, top, gitDir, scope, options, 'repository');
    }
    const shadow = path.join(options.sessionDir, 'shadow.git');
    // No template: nothing (hooks included) is copied from a template folder. Only once: two `git init`s of one
    // repository at the same time fail on its config lock (both sides of a Show Changes diff open it).
    // No HEAD (the error says it is not there): the shadow repository is created.
    if (!(await lstat(path.join(shadow, 'HEAD')).catch(() => undefined))) {
      await runGit(['init', '--quiet', '--bare', '--template=', shadow], { cwd: options.sessionDir });
    }
    return new FileCheckpoints(workspace, workspace, shadow, '.', options, 'shadow');
  }

  /** Snapshots the workspace as it is now. */
  async create(checkpointId: string, message: string): Promise<FileCheckpoint> {
    const { tree, skipped, notCovered } = await this._writeTree('checkpoint.index', true);
    // Through stdin: the list can be longer than one argument may be.
    const commit = (await this._git(['commit-tree', tree, '-F', '-'], undefined, `${message}\n\n${NOT_COVERED_LINE}${JSON.stringify(notCovered)}\n`)).trim();
    const ref = `refs/aca/${this._options.sessionId}/${checkpointId}`;
    await this._git(['update-ref', ref, commit]);
    return { commit, ref, skipped };
  }

  /** What `restore(commit)` would change, without changing anything. */
  async preview(commit: string): Promise<FileChange[]> {
    return (await this.plan(commit)).changes;
  }

  /** What `restore(commit)` would change, and what it would leave because the checkpoint did not cover it. */
  async plan(commit: string): Promise<RestorePlan> {
    const { tree } = await this._writeTree('preview.index', false);
    const notCovered = await this._notCovered(commit);
    const changes: FileChange[] = [];
    const left: string[] = [];
    for (const entry of await this._rawDiff(tree, commit)) {
      const file = this._toWorkspacePath(entry.path);
      if (entry.status === 'D') {
        // Not in the checkpoint: deleted only when the checkpoint shows it did not exist then.
        const uncovered =
          notCovered === undefined ||
          entry.fromMode === GITLINK_MODE ||
          notCovered.some((p) => entry.path === p || entry.path.startsWith(p.endsWith('/') ? p : `${p}/`));
        if (uncovered) {
          left.push(file);
        } else {
          changes.push({ path: file, kind: 'delete' });
        }
      } else {
        changes.push({ path: file, kind: entry.status === 'A' ? 'create' : 'modify' });
      }
    }
    return { changes, notCovered: left };
  }

  /** The files that differ from one checkpoint to a later one: what happened between them. */
  async changesBetween(from: string, to: string): Promise<FileChange[]> {
    return this._diff(from, to);
  }

  /** A file's content in a checkpoint; undefined when the checkpoint does not have it. */
  async fileAt(commit: string, workspacePath: string): Promise<string | undefined> {
    const spec = `${commit}:${this._toWorkTreePath(workspacePath.split(path.sep).join('/'))}`;
    // Exact content (the final newline kept), as UTF-8 text; a missing path is a non-zero exit, not an error.
    const shown = await runGit(['cat-file', 'blob', spec], {
      cwd: this._workTree,
      env: { GIT_DIR: this._gitDir },
      reject: false,
      stripFinalNewline: false,
      maxBuffer: 64 * 1024 * 1024,
    });
    return shown.exitCode === 0 ? shown.stdout : undefined;
  }

  private async _diff(from: string, to: string): Promise<FileChange[]> {
    return (await this._rawDiff(from, to)).map((entry) => ({
      path: this._toWorkspacePath(entry.path),
      kind: entry.status === 'A' ? 'create' : entry.status === 'D' ? 'delete' : 'modify',
    }));
  }

  /** The files that differ between two trees, with the mode on the `from` side (work-tree paths). */
  private async _rawDiff(from: string, to: string): Promise<Array<{ path: string; status: string; fromMode: string }>> {
    const diff = await this._git(['diff-tree', '-r', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', '--raw', from, to, '--', this._scope]);
    // `:<from mode> <to mode> <from id> <to id> <status>` NUL `<path>` NUL, for each file.
    const fields = diff.split('\0').filter(Boolean);
    const entries: Array<{ path: string; status: string; fromMode: string }> = [];
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const header = fields[i] ?? '';
      const file = fields[i + 1] ?? '';
      const [fromMode = '', , , , status = ''] = header.slice(1).split(' ');
      entries.push({ path: file, status: status.charAt(0), fromMode });
    }
    return entries;
  }

  /** What a checkpoint did not cover, from its commit message; undefined when it does not say (an older checkpoint). */
  private async _notCovered(commit: string): Promise<string[] | undefined> {
    const body = await this._git(['cat-file', 'commit', commit]);
    // The last such line: ACA appends it after the message, which a task's title may have written into.
    const line = body
      .split('\n')
      .reverse()
      .find((l) => l.startsWith(NOT_COVERED_LINE));
    try {
      const list: unknown = line === undefined ? undefined : JSON.parse(line.slice(NOT_COVERED_LINE.length));
      return Array.isArray(list) && list.every((p) => typeof p === 'string') ? (list as string[]) : undefined;
    } catch {
      return undefined; // a line that is not JSON says nothing: treated like an older checkpoint
    }
  }

  /** Puts the workspace back to the checkpoint: returns what it changed (never deleting what it did not cover). */
  async restore(commit: string): Promise<FileChange[]> {
    const { changes } = await this.plan(commit);
    // Deletions first: a folder a task replaced by a symlink or a file must be gone before the folder comes back.
    for (const change of changes.filter((c) => c.kind === 'delete')) {
      await this._deleteFile(change.path);
    }
    const index = path.join(this._options.sessionDir, 'restore.index');
    await this._git(['read-tree', commit], index);
    const write = changes.filter((c) => c.kind !== 'delete').map((c) => this._toWorkTreePath(c.path));
    if (write.length > 0) {
      // git replaces a symlink found where a folder belongs; it never writes through one.
      await this._git(['checkout-index', '-f', '-z', '--stdin'], index, write.join('\0'));
    }
    return changes;
  }

  /** Deletes a file (or a symlink, not its target) of the workspace; never through a symlinked folder, never a folder. */
  private async _deleteFile(workspacePath: string): Promise<void> {
    const parts = workspacePath.split('/');
    let dir = this._workspace;
    for (const part of parts.slice(0, -1)) {
      dir = path.join(dir, part);
      const stats = await lstat(dir).catch(() => undefined); // absent: nothing to delete below it
      if (!stats?.isDirectory()) {
        return; // a symlink or a file where the folder was: the file is not there.
      }
    }
    const file = path.join(dir, parts.at(-1) ?? '');
    const stats = await lstat(file).catch(() => undefined); // absent: already deleted
    if (stats && !stats.isDirectory() && isInside(this._workspace, file)) {
      await unlink(file);
    }
  }

  /** Deletes the refs of checkpoints no longer kept (their objects go with git's own gc). */
  async drop(checkpointId: string): Promise<void> {
    await this._git(['update-ref', '-d', `refs/aca/${this._options.sessionId}/${checkpointId}`]);
  }

  private async _writeTree(indexName: string, listNotCovered: boolean): Promise<{ tree: string; skipped: string[]; notCovered: string[] }> {
    const index = path.join(this._options.sessionDir, indexName);
    const leftOut = (this._options.exclude ?? []).map((p) => this._toWorkTreePath(p));
    const excludes = leftOut.map((p) => `:(exclude)${p}`);
    // Large files (new or changed) stay out, so a checkpoint cannot fill the disk.
    const candidates = await this._git(['ls-files', '-z', '--others', '--modified', '--exclude-standard', '--', this._scope, ...excludes], index);
    const limit = this._options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
    const skipped: string[] = [];
    for (const file of candidates.split('\0').filter(Boolean)) {
      // lstat: git stores a symlink as its target's name, whatever the target's size.
      const size = await lstat(path.join(this._workTree, file)).then(
        (s) => (s.isFile() ? s.size : 0),
        () => 0,
      );
      if (size > limit) {
        skipped.push(this._toWorkspacePath(file));
        excludes.push(`:(exclude,literal)${file}`);
      }
    }
    // git refuses an exclude pathspec naming an ignored path (a .gitignore listing `.aca`); git leaves those out anyway.
    const ignored = await this._ignored(leftOut, index);
    const kept = excludes.filter((_, i) => {
      const leftOutFile = leftOut[i];
      return leftOutFile === undefined || !ignored.has(leftOutFile);
    });
    await this._git(['add', '--all', '--', this._scope, ...kept], index);
    const tree = (await this._git(['write-tree'], index)).trim();
    let notCovered: string[] = [];
    if (listNotCovered) {
      // Ignored files, and folders whose every file is ignored (listed once, with a trailing `/`).
      const ignoredNow = await this._git(['ls-files', '-z', '--others', '--ignored', '--exclude-standard', '--directory', '--', this._scope], index);
      notCovered = [...leftOut, ...skipped.map((p) => this._toWorkTreePath(p)), ...ignoredNow.split('\0').filter(Boolean)];
    }
    return { tree, skipped, notCovered };
  }

  /** Which of these work-tree paths the repository's ignore rules ignore. */
  private async _ignored(paths: string[], indexFile: string): Promise<Set<string>> {
    if (paths.length === 0) {
      return new Set();
    }
    // Exit 1 when none is ignored.
    const result = await runGit(['check-ignore', '-z', '--stdin'], { ...this._gitOptions(indexFile), input: paths.join('\0'), reject: false });
    if (result.exitCode !== 0 && result.exitCode !== 1) {
      throw new Error(`git check-ignore failed: ${result.stderr}`);
    }
    return new Set(result.stdout.split('\0').filter(Boolean));
  }

  /** Runs git on the checkpoint repository with a private index: the user's index is never used. */
  private async _git(args: string[], indexFile?: string, input?: string): Promise<string> {
    const result = await runGit(args, { ...this._gitOptions(indexFile), ...(input !== undefined ? { input } : {}) });
    return result.stdout;
  }

  private _gitOptions(indexFile?: string): GitOptions {
    return {
      cwd: this._workTree,
      env: {
        ...IDENTITY,
        GIT_DIR: this._gitDir,
        GIT_WORK_TREE: this._workTree,
        GIT_INDEX_FILE: indexFile ?? path.join(this._options.sessionDir, 'checkpoint.index'),
      },
    };
  }

  private _toWorkspacePath(workTreePath: string): string {
    return this._scope === '.' ? workTreePath : path.posix.relative(this._scope.split(path.sep).join('/'), workTreePath);
  }

  private _toWorkTreePath(workspacePath: string): string {
    return this._scope === '.' ? workspacePath : path.posix.join(this._scope.split(path.sep).join('/'), workspacePath);
  }
}

/**
 * The file checkpoints of a session, with the one exclude rule of every caller (session checkpoints, task
 * snapshots, Show Changes, restores): see sessionFilesExclude.
 */
export function sessionFileCheckpoints(workspace: string, sessionDir: string, sessionId: string): Promise<FileCheckpoints> {
  return FileCheckpoints.open(workspace, { sessionDir, sessionId, exclude: sessionFilesExclude(workspace, path.dirname(sessionDir)) });
}

/** Never checkpointed: ACA's own folder `.aca`, and the sessions folder when it is elsewhere inside the workspace. */
export function sessionFilesExclude(workspace: string, sessionsRoot: string): string[] {
  const inside = sessionsRoot !== workspace && isInside(workspace, sessionsRoot);
  const relative = path.relative(workspace, sessionsRoot).split(path.sep).join('/');
  return inside && relative !== '.aca' && !relative.startsWith('.aca/') ? ['.aca', relative] : ['.aca'];
}

/** The engine's per-task file snapshots for a session; undefined (with the reason) when git cannot be used. */
export async function taskFileSnapshots(
  workspace: string,
  sessionDir: string,
  sessionId: string,
): Promise<{ snapshots?: { take(label: string): Promise<string> }; problem?: string }> {
  try {
    const files = await sessionFileCheckpoints(workspace, sessionDir, sessionId);
    return { snapshots: { take: async (label) => (await files.create(label, `ACA: ${label}`)).commit } };
  } catch (error) {
    return { problem: `file snapshots are off (git is needed): ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
  }
}
