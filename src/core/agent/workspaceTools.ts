/**
 * The tools a model gets when ACA itself runs the agent loop (the API and local-model providers): read,
 * list, search, write and edit files, run a command, and say the task is complete. Every path is resolved
 * inside the task's folder — `..`, absolute paths elsewhere and symlinks that lead out are refused, and the
 * refusal goes back to the model as the tool's error. Writes to the protected paths (`.git`, ACA's files,
 * editor and agent settings: protectedPaths.ts) are refused too. Commands run without a shell (an argument
 * vector; shell operators are refused), in the folder, with a timeout, an output cap and an environment
 * without secrets, and only when the policy allows them: a program on the allowlist, or one the user allows
 * when asked; inline code is always asked about (commandPolicy.ts). Every decision is an event.
 */
import { execa } from 'execa';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isInside, realpathOr } from '../common/paths';
import { splitCommand } from '../common/commandLine';
import { commandEnvironment, inlineCodeReason, isFileReadingProgram, pathArguments } from './commandPolicy';
import { protectedPathReason } from './protectedPaths';
import type { ProviderEvent } from '../model/provider';

/** A tool call the model got wrong or is not allowed: its message goes back to the model. */
export class ToolRefusal extends Error {
  override readonly name = 'ToolRefusal';
}

export type CommandDecision = 'allow' | 'allow-session' | 'deny';

export interface CommandPolicy {
  /** Programs that run without asking (`npm`, `node`, …); `*` allows every program. */
  readonly allow: readonly string[];
  /**
   * Asks the user about a command not on the allowlist, or one that runs inline code (`reason` says why it is
   * asked); without it such commands are denied.
   */
  readonly ask?: (command: string, reason?: string) => Promise<CommandDecision>;
}

export interface WorkspaceToolsOptions {
  readonly commands: CommandPolicy;
  readonly commandTimeoutMs?: number;
  /** Characters of a command's output (its end) and of a file read sent back to the model. */
  readonly outputCap?: number;
  readonly onEvent?: (event: ProviderEvent) => void;
  readonly signal?: AbortSignal;
}

const SKIPPED_DIRS = new Set(['.git', 'node_modules', '.aca']);
const MAX_SEARCH_RESULTS = 100;
const MAX_SEARCH_FILE_BYTES = 1024 * 1024;

export class WorkspaceTools {
  private _realRoot: string | undefined;
  private readonly _allowedThisSession = new Set<string>();
  /** Set by the `task_complete` tool: the model's summary of what it did. */
  completion: string | undefined;

  constructor(
    readonly root: string,
    private readonly _options: WorkspaceToolsOptions,
  ) {}

  /** The absolute path of `requested`, which must stay inside the folder, also through symlinks. */
  async resolveInside(requested: string): Promise<string> {
    if (typeof requested !== 'string' || requested.trim() === '' || requested.includes('\0')) {
      throw new ToolRefusal('a path is required');
    }
    const full = path.resolve(this.root, requested);
    if (!isInside(this.root, full)) {
      throw new ToolRefusal(`"${requested}" is outside the task's folder; use a path inside ${this.root}`);
    }
    this._realRoot ??= await realpathOr(this.root);
    // Where the path really leads: a symlink on the way (or a dangling one at the end) may point out.
    if (!isInside(this._realRoot, await realpathOr(full))) {
      throw new ToolRefusal(`"${requested}" leads outside the task's folder (through a symbolic link); it was refused`);
    }
    return full;
  }

  async readFile(file: string): Promise<string> {
    const full = await this.resolveInside(file);
    const info = await stat(full).catch(() => undefined); // absent or unreadable: refused below as no file
    if (!info?.isFile()) {
      throw new ToolRefusal(`"${file}" is not a file`);
    }
    const text = await readFile(full, 'utf8');
    const cap = this._cap();
    return text.length > cap ? `${text.slice(0, cap)}\n… (${text.length - cap} more characters; the file is longer)` : text;
  }

  async listDirectory(dir = '.'): Promise<string> {
    const full = await this.resolveInside(dir);
    const entries = await readdir(full, { withFileTypes: true }).catch(() => {
      throw new ToolRefusal(`"${dir}" is not a directory`);
    });
    return entries
      .map((e) => `${e.name}${e.isDirectory() ? '/' : ''}`)
      .sort()
      .join('\n');
  }

  /** Lines containing `text` (literally), as `file:line: content`. */
  async searchText(text: string, dir = '.'): Promise<string> {
    if (!text) {
      throw new ToolRefusal('the text to search for is empty');
    }
    const start = await this.resolveInside(dir);
    const hits: string[] = [];
    const walk = async (folder: string): Promise<void> => {
      // A folder that cannot be listed (gone, no permission) holds no hits: the search goes on without it.
      for (const entry of await readdir(folder, { withFileTypes: true }).catch(() => [])) {
        if (hits.length >= MAX_SEARCH_RESULTS) {
          return;
        }
        const full = path.join(folder, entry.name);
        if (entry.isDirectory() && !SKIPPED_DIRS.has(entry.name)) {
          await walk(full);
        } else if (entry.isFile() && (await stat(full)).size <= MAX_SEARCH_FILE_BYTES) {
          const lines = (await readFile(full, 'utf8')).split('\n');
          lines.forEach((line, i) => {
            if (line.includes(text) && hits.length < MAX_SEARCH_RESULTS) {
              hits.push(`${path.relative(this.root, full)}:${i + 1}: ${line.trim().slice(0, 200)}`);
            }
          });
        }
      }
    };
    await walk(start);
    return hits.length ? hits.join('\n') : `no line contains "${text}"`;
  }

  /** Where `requested` may be written: inside the folder, and not a protected path (as written, or where it really leads). */
  async resolveWritable(requested: string): Promise<string> {
    const full = await this.resolveInside(requested);
    const real = await realpathOr(full);
    const why = protectedPathReason(path.relative(this.root, full)) ?? protectedPathReason(path.relative(this._realRoot ?? this.root, real));
    if (why) {
      // Like a path outside the folder: the model's mistake to correct, not a permission the user could grant.
      throw new ToolRefusal(`"${requested}" may not be written: ${why}. Change other files.`);
    }
    return full;
  }

  async writeFile(file: string, content: string): Promise<string> {
    const full = await this.resolveWritable(file);
    const existed = await stat(full).then(
      () => true,
      () => false,
    );
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, content);
    this._options.onEvent?.({ type: 'file_change', path: path.relative(this.root, full), kind: existed ? 'update' : 'add' });
    return `${existed ? 'wrote' : 'created'} ${file} (${content.length} characters)`;
  }

  /** Replaces one exact, unique occurrence of `oldText`. */
  async editFile(file: string, oldText: string, newText: string): Promise<string> {
    const full = await this.resolveWritable(file);
    const text = await readFile(full, 'utf8').catch(() => {
      throw new ToolRefusal(`"${file}" does not exist; use write_file to create it`);
    });
    if (!oldText) {
      throw new ToolRefusal('old_text is empty; give the exact text to replace');
    }
    const first = text.indexOf(oldText);
    if (first < 0) {
      throw new ToolRefusal(`the text to replace is not in ${file}; read the file and copy the exact text`);
    }
    if (text.indexOf(oldText, first + 1) >= 0) {
      throw new ToolRefusal(`the text to replace occurs more than once in ${file}; include more lines so that it is unique`);
    }
    await writeFile(full, text.slice(0, first) + newText + text.slice(first + oldText.length));
    this._options.onEvent?.({ type: 'file_change', path: path.relative(this.root, full), kind: 'update' });
    return `edited ${file}`;
  }

  async runCommand(command: string): Promise<string> {
    let argv: string[];
    try {
      argv = splitCommand(command, 'command');
    } catch (error) {
      throw new ToolRefusal((error as Error).message);
    }
    const [program] = argv;
    if (program === undefined) {
      throw new ToolRefusal('the command is empty'); // splitCommand refuses an empty command first
    }
    const inline = await inlineCodeReason(argv, this.root);
    if (!(await this._allowed(program, command, inline))) {
      this._options.onEvent?.({ type: 'permission_denied', tool: 'run_command', summary: command });
      throw new ToolRefusal(
        inline
          ? `the command "${command}" was not allowed (${inline}, and the user did not allow it)`
          : `the command "${command}" was not allowed (${program} is not on the allowlist and the user did not allow it)`,
      );
    }
    if (isFileReadingProgram(program)) {
      await this._checkPathArguments(command, argv.slice(1));
    }
    const result = await execa(program, argv.slice(1), {
      cwd: this.root,
      // The agent's commands never see ACA's or the user's keys and tokens.
      env: commandEnvironment(),
      extendEnv: false,
      reject: false,
      all: true,
      stdin: 'ignore',
      timeout: this._options.commandTimeoutMs ?? 120_000,
      forceKillAfterDelay: 3000,
      maxBuffer: 16 * 1024 * 1024,
      ...(this._options.signal ? { cancelSignal: this._options.signal } : {}),
    });
    const exitCode = typeof result.exitCode === 'number' ? result.exitCode : null;
    this._options.onEvent?.({ type: 'command', command, exitCode });
    const output = String(result.all ?? '');
    const cap = this._cap();
    const tail = output.length > cap ? `… (${output.length - cap} earlier characters cut)\n${output.slice(-cap)}` : output;
    const status = result.timedOut ? 'timed out' : exitCode === null ? (result.shortMessage ?? 'failed to start') : `exit ${exitCode}`;
    return `${status}\n${tail}`.trimEnd();
  }

  complete(summary: string): string {
    this.completion = summary.trim() || 'Done.';
    return 'Recorded. Stop now.';
  }

  /** A file-reading program (`cat`, `ls`…) gets only paths inside the folder, also through symlinks. */
  private async _checkPathArguments(command: string, args: readonly string[]): Promise<void> {
    for (const arg of pathArguments(args)) {
      try {
        await this.resolveInside(arg);
      } catch (error) {
        this._options.onEvent?.({ type: 'decision', command, allowed: false, why: `"${arg}" is outside the task's folder` });
        throw new ToolRefusal(`the command "${command}" was refused: ${(error as Error).message}`);
      }
    }
  }

  /**
   * Decides whether a command may run, and reports the decision and who made it (the transcript keeps every
   * one). Inline code (`inline` says why) is asked about even when its program is on the allowlist.
   */
  private async _allowed(program: string, command: string, inline: string | undefined): Promise<boolean> {
    const decide = (allowed: boolean, why: string): boolean => {
      this._options.onEvent?.({ type: 'decision', command, allowed, why });
      return allowed;
    };
    const { allow, ask } = this._options.commands;
    // What "allow for this session" covers: the program, or the program's inline code.
    const sessionKey = inline ? `${program} (inline code)` : program;
    if (!inline && (allow.includes('*') || allow.includes(program))) {
      return decide(true, `${program} is on the allowlist`);
    }
    if (this._allowedThisSession.has(sessionKey)) {
      return decide(true, `the user allowed ${sessionKey} for this session`);
    }
    if (!ask) {
      return decide(
        false,
        inline ? `${inline}; that is always asked about, and nobody can be asked` : `${program} is not on the allowlist and nobody can be asked`,
      );
    }
    const decision = await ask(command, inline);
    if (decision === 'allow-session') {
      this._allowedThisSession.add(sessionKey);
      return decide(true, `the user allowed ${sessionKey} for this session`);
    }
    return decision === 'deny' ? decide(false, 'the user denied it') : decide(true, 'the user allowed it once');
  }

  private _cap(): number {
    return this._options.outputCap ?? 16_000;
  }
}
