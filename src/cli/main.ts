import { Command, CommanderError, Option } from 'commander';
import os from 'node:os';
import { createInterface } from 'node:readline/promises';
import path from 'node:path';
import packageJson from '../../package.json';
import { UnsafeWriteError, writeFileSafely } from '../core/common/safeWrite';
import { loadConfig, type AcaConfig, type LoadedConfig } from '../core/config/config';
import { readTrustedFolders, trustFolder, TrustError, trustStorePath, untrustFolder } from '../core/config/trust';
import type { Plan } from '../core/model/plan';
import { AnalysisError, analyzePlan, FileAnalysisCache } from '../core/plan/analyze';
import { loadReferenceContext } from '../core/parse/references';
import { isTasksJson, planFromTasksFile } from '../core/plan/buildPlan';
import { findTasksFile, gitRootFrom, gitRootOf } from '../core/plan/findTasksFile';
import { planFormatOf, readPlanFile, serializePlan } from '../core/plan/planFile';
import { formatProblem, PlanError, type Problem } from '../core/model/problems';
import { ANALYSIS_PROVIDERS, createCompletionPort } from '../core/providers/completionFactory';
import { ProviderError } from '../core/providers/errors';
import { createProvider, isProviderName } from '../core/providers/factory';
import { PROVIDER_NAMES, type Detection } from '../core/providers/provider';
import { FUZZY_LIMIT, findDuplicatesReport, mergeDuplicates } from '../core/tasks/dedupe';
import { sessionOwner } from '../core/session/owner';
import { createCheckpoint, DEFAULT_RETENTION, describeSessionRun, listSessions, readCheckpoints, workspaceSessionsRoot, type RetentionPolicy } from '../core/session/sessions';
import { breakLock, loadSession, SessionError, SessionWriter } from '../core/session/sessionStore';
import { FileCheckpoints } from '../core/workspace/fileCheckpoints';
import { interactive } from './interactive';
import { executeSession, ExecuteOptionError, type ExecuteOptions } from './execute';
import { formatPlanSummary } from './planSummary';

/** Exit codes: 0 ok, 1 a failure that is not the input's fault, 2 bad input (file, line or field named). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_BAD_INPUT = 2;

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

const processIo: CliIo = {
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

interface RunOptions extends ExecuteOptions {
  workspace?: string;
  config?: string;
  verbose?: boolean;
  dryRun?: boolean;
  useIntelligentParser?: boolean;
  forceNaiveParser?: boolean;
  context: string[];
  dumpPlan?: string;
  mergeDuplicates?: boolean;
  sessionDir?: string;
  provider?: string;
  model?: string;
  trustWorkspace?: boolean;
  tag?: string;
}

/** Thrown inside actions to end with a message and an exit code. */
class CliExit extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** How tasks run: shared by `aca run` and `aca resume`. */
function executionOptions(command: Command): Command {
  return command
    .option('--concurrency <N>', 'tasks at once (default: the plan\'s strategy)')
    .option('--max-attempts <N>', 'attempts per task, verification failures included (default 3)')
    .option('--failure-policy <POLICY>', 'when a task fails: skip-dependents (default), stop, continue')
    .option('--include-optional', 'run optional tasks ([ ]*) too')
    .option('--write-back', 'write task states back to the tasks file as tasks run and finish (checkboxes, spec-kit [X], Task Master status)')
    .option('--verify <COMMAND>', 'a command that must succeed after each task without verify commands of its own (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--max-cost <USD>', 'pause the run when it has cost this much')
    .option('--max-tokens <N>', 'pause the run when it has used this many tokens')
    .option('--max-minutes <N>', 'pause the run after this long')
    .option('--task-max-cost <USD>', 'fail a task whose attempt costs more than this')
    .option('--task-max-tokens <N>', 'fail a task whose attempt uses more tokens than this')
    .option('--task-max-minutes <N>', 'fail a task whose attempt takes longer than this')
    .option('--json', 'write the session\'s events as JSON lines on stdout (the human output goes to stderr)')
    .option('-y, --yes', 'do not ask for confirmation (only asked in a terminal)');
}

/** Builds the `aca` program; exported so tests can run it in-process. */
export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('aca')
    .description('Automatic Coding Agent: turn a tasks file into a plan and run it with coding agents, headless.\nThe same core as the VS Code extension.')
    .version(packageJson.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'show this help')
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(run "aca --help" for usage)')
    // Before the subcommands are added, so that they inherit it: commander never calls process.exit.
    .exitOverride();
  // Global options: accepted before or after the subcommand.
  const globalOptions = (): Option[] => [
    new Option('--provider <name>', 'the coding agent: claude-code, openai-codex, or a model API run by ACA\'s own agent loop: anthropic, openai, local-model (vscode-lm, the models of VS Code, only in the extension)'),
    new Option('--model <name>', 'model for the provider'),
    trustWorkspaceOption(),
  ];
  for (const option of globalOptions()) {
    program.addOption(option);
  }

  const run = program
    .command('run')
    .description('Parse a tasks file (markdown, text) or load a plan (.json, .toml, or the original aca format), validate it, and run its tasks with a coding agent in a new session.\nExit codes: 0 all done, 1 some failed/blocked/cancelled, 2 bad input, 130 interrupted by Ctrl-C (aca resume --latest continues).')
    .argument('<FILE>', 'a tasks file (markdown, spec-kit, Kiro, cc-sdd, Task Master tasks.json, …), a folder holding one, or a plan file')
    .option('-w, --workspace <DIR>', 'workspace folder: references may not leave it (default: the git root of FILE, else the current folder when FILE is in it, else the folder of FILE)')
    .option('-c, --config <CONFIG>', 'configuration file (default: ./aca.toml, ./.aca/config.toml, ~/.aca/config.toml; a folder\'s own config needs "aca trust" for programs, base URLs and allowed commands)')
    .option('-v, --verbose', 'show descriptions, source lines and warnings in full')
    .option('-n, --dry-run', 'parse and validate only; agents never run and never write files')
    .option('--use-intelligent-parser', `refine the parsed plan with a model (hierarchy, dependencies, priority, complexity); --provider ${ANALYSIS_PROVIDERS.join(', ')}`)
    .option('--force-naive-parser', 'use the deterministic markdown parser only (the default; kept for compatibility)')
    .option('--context <HINT>', 'a hint for the analysis (repeatable)', (value: string, all: string[]) => [...all, value], [] as string[])
    .option('--dump-plan <FILE>', 'write the plan to FILE (.json or .toml, by extension)')
    .option('--merge-duplicates', 'merge near-identical tasks (they are always reported)')
    .option('--tag <name>', 'Task Master: read this tag of tasks.json (default: the current tag of .taskmaster/state.json, else "master")')
    .option('--session-dir <DIR>', 'where sessions are kept (default: <workspace>/.aca/sessions)');
  executionOptions(run);
  for (const option of globalOptions()) {
    run.addOption(option);
  }
  run.action(async (file: string, _options: RunOptions, command: Command) => {
    await runCommand(file, command.optsWithGlobals<RunOptions>(), io);
  });

  const checkpoint = program.command('checkpoint').description('checkpoints of the sessions in a workspace: state and files');
  const sessionOptions = (command: Command): Command =>
    command
      .option('-w, --workspace <DIR>', 'workspace folder (default: the git root of the current folder, else the current folder)')
      .option('--session-dir <DIR>', 'where sessions are kept (default: <workspace>/.aca/sessions)');
  sessionOptions(checkpoint.command('list').description('list the checkpoints of the newest session (or of all)'))
    .option('--all-sessions', 'list every session of the workspace, newest first')
    .action(async (options: SessionOptions) => checkpointList(options, io));
  sessionOptions(checkpoint.command('create').description('checkpoint the newest unfinished session: its state and the workspace files'))
    .argument('<DESC>', 'what the checkpoint is for')
    .action(async (description: string, options: SessionOptions) => checkpointCreate(description, options, io));

  sessionOptions(checkpoint.command('resume').description('put a session back to a checkpoint: its task states and the workspace files (shows the changes; applies them with --yes)'))
    .argument('[ID]', 'the checkpoint (default with --latest: the newest of any session)')
    .option('--latest', 'the newest checkpoint of any session in the workspace')
    .option('-y, --yes', 'apply the changes shown')
    .action(async (id: string | undefined, options: SessionOptions & { latest?: boolean; yes?: boolean }) => checkpointResume(id, options, io));

  const resume = executionOptions(
    sessionOptions(program.command('resume').description('find a session (by id, or the newest unfinished one), repair what is safe, and run its remaining tasks; interrupted tasks continue their agent conversation'))
      .argument('[SESSION_ID]', 'the session (a prefix is enough)')
      .option('--latest', 'the newest unfinished session of the workspace (the default)')
      .option('--retry-failed', 'run failed, blocked and cancelled tasks again')
      .option('--resume-foreign', 'resume a session not created by you in this folder (another machine or user, or one that came with the repository) without asking: it runs that session\'s tasks and verify commands')
      .option('--force-unlock', 'take the session\'s lock even if another process seems to hold it (if that process still runs, both write the session and damage it)')
      .option('-c, --config <CONFIG>', 'configuration file (default: ./aca.toml, ./.aca/config.toml, ~/.aca/config.toml; a folder\'s own config needs "aca trust" for programs, base URLs and allowed commands)'),
  );
  for (const option of globalOptions()) {
    resume.addOption(option);
  }
  resume.action(async (id: string | undefined, _options: unknown, command: Command) => resumeSession(id, command.optsWithGlobals<ResumeOptions>(), io));

  const interactiveCommand = program
    .command('interactive')
    .description('a prompt loop: each line you type is a task the agent does at once, in a new session (status, help, quit)')
    .option('-w, --workspace <DIR>', 'workspace folder (default: the current folder)')
    .option('-c, --config <CONFIG>', 'configuration file (default: ./aca.toml, ./.aca/config.toml, ~/.aca/config.toml; a folder\'s own config needs "aca trust" for programs, base URLs and allowed commands)')
    .option('--session-dir <DIR>', 'where sessions are kept (default: <workspace>/.aca/sessions)');
  for (const option of globalOptions()) {
    interactiveCommand.addOption(option);
  }
  interactiveCommand.action(async (_options: unknown, command: Command) => {
    const options = command.optsWithGlobals<SessionOptions & { config?: string; provider?: string; model?: string; trustWorkspace?: boolean }>();
    const { workspace, root } = await sessionsRoot(options, io, { project: false });
    const config = await loadCliConfig(io, options);
    const code = await interactive(root, workspace, config, options, { err: io.err, env: io.env, input: io.input ?? process.stdin });
    if (code !== EXIT_OK) {
      throw new CliExit(code, 'aca interactive: ended');
    }
  });

  program
    .command('show-config')
    .description('show where configuration is looked for, which file is used, its values (those of an untrusted folder that need trust are shown as ignored), and which providers can run tasks (and why not the others)')
    .option('-c, --config <CONFIG>', 'a configuration file to use instead of the search')
    .addOption(trustWorkspaceOption())
    .action(async (_options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ config?: string; trustWorkspace?: boolean }>();
      const loaded = await loadConfig(io.cwd, options.config, io.home, { trustWorkspace: Boolean(options.trustWorkspace) });
      io.out('Configuration files, in the order they are looked for:\n');
      for (const candidate of loaded.candidates) {
        const used = candidate.path === loaded.file;
        io.out(`  ${used ? '*' : candidate.exists ? '+' : '-'} ${candidate.path}${used ? '  (used)' : candidate.exists ? '' : '  (not found)'}\n`);
      }
      io.out(loaded.file ? `Using ${loaded.file}:\n${JSON.stringify(loaded.config, null, 2)}\n` : 'No configuration file found; using defaults.\n');
      if (loaded.untrustedFolder) {
        io.out(`Ignored, because ${loaded.untrustedFolder} is not a trusted folder: ${loaded.ignored.join(', ')}\n  ${WHY_TRUST}; to use them: aca trust ${shellWord(loaded.untrustedFolder)} (or --trust-workspace for one run)\n`);
      }
      io.out('Providers:\n');
      const environment = { ...(io.env['ACA_CLAUDE_PATH'] ? { claudePath: io.env['ACA_CLAUDE_PATH'] } : {}), ...(io.env['ACA_CODEX_PATH'] ? { codexPath: io.env['ACA_CODEX_PATH'] } : {}) };
      const detections = await Promise.all(
        PROVIDER_NAMES.map(async (name) => {
          const detection = await Promise.race([
            createProvider(name, loaded.config, environment).detect(),
            new Promise<Detection>((resolve) => setTimeout(() => resolve({ installed: false, fix: 'no answer within 15 s' }), 15_000).unref()),
          ]).catch((error: unknown): Detection => ({ installed: false, fix: String(error) }));
          return { name, detection };
        }),
      );
      for (const { name, detection } of detections) {
        const usable = detection.installed && detection.authenticated !== false && !detection.fix;
        const how = usable ? `available${detection.version ? ` (${detection.version})` : ''}` : `not available: ${detection.fix ?? (detection.installed ? 'not logged in' : 'not installed')}`;
        io.out(`  ${usable ? '✔' : '✘'} ${name.padEnd(13)} ${how}\n`);
      }
    });

  program
    .command('trust')
    .description('trust a folder: its aca.toml (or .aca/config.toml) may then choose the programs ACA runs, where API keys go, extra CLI configuration and what agents do unasked. Kept in ~/.aca/trusted-folders.json; ~/.aca/config.toml is always trusted')
    .argument('[DIR]', 'the folder (default: the current folder)')
    .option('--list', 'list the trusted folders')
    .option('--remove', 'stop trusting the folder')
    .action(async (dir: string | undefined, options: { list?: boolean; remove?: boolean }) => trustCommand(dir, options, io));
  return program;
}

/** What the settings that need trust do, for messages. */
const WHY_TRUST = 'they choose the programs ACA runs, where API keys are sent, extra CLI configuration and what agents may do without asking';

function trustWorkspaceOption(): Option {
  return new Option('--trust-workspace', 'for this run, use the settings of the workspace\'s aca.toml that need trust (programs to run, base URLs, allowed commands…) as if the folder were trusted (see aca trust)');
}

/** A path as one shell word, for a command to copy. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * The configuration of a command. When settings of an untrusted folder were left out, says so once on
 * stderr (`warn`: commands that use none of them stay quiet).
 */
async function loadCliConfig(io: CliIo, options: { config?: string; trustWorkspace?: boolean }, warn = true, workspace = io.cwd): Promise<AcaConfig> {
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

async function trustCommand(dir: string | undefined, options: { list?: boolean; remove?: boolean }, io: CliIo): Promise<void> {
  if (options.list) {
    const folders = await readTrustedFolders(io.home);
    io.out(folders.length ? folders.map((f) => `${f}\n`).join('') : `No trusted folders (${trustStorePath(io.home)}).\n`);
    return;
  }
  const folder = path.resolve(io.cwd, dir ?? '.');
  if (options.remove) {
    const removed = await untrustFolder(folder, io.home);
    io.out(removed ? `No longer trusted: ${folder}\n` : `${folder} was not trusted.\n`);
    return;
  }
  const real = await trustFolder(folder, io.home).catch((error: unknown) => {
    throw TrustError.is(error) ? new CliExit(EXIT_BAD_INPUT, `aca trust: ${error.message}`) : error;
  });
  io.out(`Trusted ${real}: its aca.toml and .aca/config.toml are used in full (${WHY_TRUST}).\n`);
}

/**
 * `-w`, else the project of the tasks file: its git root, else the current folder when the file is in it
 * (as before), else the file's folder. So `aca run other/project/tasks.md` reads the file's neighbours.
 */
async function workspaceOf(tasksFile: string, options: RunOptions, io: CliIo): Promise<{ workspace: string; chosenBecause: string }> {
  if (options.workspace !== undefined) {
    return { workspace: path.resolve(io.cwd, options.workspace), chosenBecause: 'given with -w' };
  }
  const gitRoot = await gitRootOf(tasksFile);
  if (gitRoot) {
    return { workspace: gitRoot, chosenBecause: 'the git root of the tasks file' };
  }
  const cwd = path.resolve(io.cwd);
  const inCwd = path.relative(cwd, tasksFile);
  return inCwd && !inCwd.startsWith('..') && !path.isAbsolute(inCwd) ? { workspace: cwd, chosenBecause: 'the current folder' } : { workspace: path.dirname(tasksFile), chosenBecause: "the tasks file's folder" };
}

/** A path as the user would type it from the current folder. */
function displayFrom(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}

async function runCommand(fileOrFolder: string, options: RunOptions, io: CliIo): Promise<void> {
  if (options.useIntelligentParser && options.forceNaiveParser) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca run: --use-intelligent-parser and --force-naive-parser exclude each other');
  }
  const found = await findTasksFile(path.resolve(io.cwd, fileOrFolder));
  const target = found.file;
  if (found.folder) {
    io.err(`Found ${displayFrom(io.cwd, target)} in ${fileOrFolder}\n`);
  }
  const file = found.folder ? displayFrom(io.cwd, target) : fileOrFolder;
  const { workspace, chosenBecause } = await workspaceOf(target, options, io);
  const how = chosenBecause === 'given with -w' ? chosenBecause : `${chosenBecause}; -w chooses another`;
  if (chosenBecause !== 'given with -w' && workspace !== path.resolve(io.cwd)) {
    io.err(`Workspace: ${workspace} (${how})\n`);
  }
  // The workspace's own config (trusted or not, as for any folder: see loadConfig), not the current folder's.
  const config = await loadCliConfig(io, options, true, workspace);
  if (options.dumpPlan && !planFormatOf(options.dumpPlan)) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: --dump-plan ${options.dumpPlan}: use a .json or .toml file name`);
  }

  let plan: Plan;
  // A .json that is not an ACA plan (Task Master's tasks.json, or unknown) goes to the tasks readers, which name its format.
  const planFormat = planFormatOf(target) === 'json' && (await isTasksJson(target)) ? undefined : planFormatOf(target);
  if (planFormat && options.tag !== undefined) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: --tag is for a Task Master tasks.json; ${file} is a plan file`);
  }
  // Both readers refuse anything but a regular file under their limit, before reading it.
  const unreadable = (error: NodeJS.ErrnoException): never => {
    throw PlanError.is(error) ? error : new CliExit(EXIT_BAD_INPUT, `aca run: cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  };
  const problems: Problem[] = [];
  if (planFormat) {
    plan = await readPlanFile(target, planFormat, file).catch(unreadable);
  } else {
    const built = await planFromTasksFile(target, { workspaceRoot: workspace, ...(options.tag !== undefined ? { tag: options.tag } : {}) }).catch(unreadable);
    plan = built.plan;
    // A loop: a spread of over about 100 000 problems (one per missing reference) overflows the stack.
    for (const problem of built.problems) {
      problems.push(problem);
    }
  }

  const { pairs: duplicates, fuzzy } = findDuplicatesReport(plan.tasks);
  if (!fuzzy) {
    io.err(`note: over ${FUZZY_LIMIT} tasks: only identical titles were checked for duplicates\n`);
  }
  for (const pair of duplicates) {
    const task = plan.tasks.find((t) => t.id === pair.drop);
    problems.push({
      severity: 'warning',
      code: 'duplicate-task',
      message: `task ${pair.drop} looks like task ${pair.keep} (similarity ${pair.similarity})${options.mergeDuplicates ? '; merged into it' : '; --merge-duplicates merges them'}`,
      file: task?.source?.file ?? file,
      ...(task?.source ? { line: task.source.line } : {}),
    });
  }
  if (options.mergeDuplicates && duplicates.length > 0) {
    plan = mergeDuplicates(plan, duplicates);
  }

  const errors = problems.filter((p) => p.severity === 'error');
  for (const problem of problems) {
    io.err(`${formatProblem(problem)}\n`);
  }
  if (problems.some((p) => p.code === 'reference-outside-workspace')) {
    io.err(`  the workspace is ${workspace} (${how})\n`);
  }
  if (errors.length > 0) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: ${errors.length} error${errors.length === 1 ? '' : 's'} in ${file}; nothing was run`);
  }

  if (options.useIntelligentParser) {
    plan = await analyze(plan, target, workspace, options, config, io);
  }

  // With --json, stdout carries only the events.
  (options.json && !options.dryRun ? io.err : io.out)(`${formatPlanSummary(plan, options.verbose)}\n`);
  if (options.dumpPlan) {
    const dumpPath = path.resolve(io.cwd, options.dumpPlan);
    await writeFileSafely(dumpPath, serializePlan(plan, planFormatOf(dumpPath)!));
    io.out(`Plan written to ${options.dumpPlan}\n`);
  }
  if (!options.dryRun) {
    const root = path.resolve(io.cwd, options.sessionDir ?? workspaceSessionsRoot(workspace));
    const writer = await SessionWriter.create(root, plan, { ...writerOptions(config), owner: await sessionOwner(io.home) });
    try {
      const files = await FileCheckpoints.open(workspace, { sessionDir: writer.dir, sessionId: writer.state.sessionId, exclude: [path.relative(workspace, root) || '.aca'] });
      await createCheckpoint(writer, 'session start', 'manual', files, retentionOf(config));
    } finally {
      await writer.close();
    }
    io.err(`Session ${writer.state.sessionId} created in ${writer.dir}, with a checkpoint of the workspace ${workspace}.\n`);
    await runSessionDir(writer.dir, workspace, config, options, io);
  }
}

/** Runs (or goes on with) a session and ends with the engine's exit code. */
async function runSessionDir(dir: string, workspace: string, config: AcaConfig, options: ExecuteOptions, io: CliIo): Promise<void> {
  const { writer, loaded } = await SessionWriter.resume(dir, writerOptions(config));
  let code: number;
  try {
    if (loaded.interrupted.length > 0) {
      io.err(`Interrupted tasks continue where they were: ${loaded.interrupted.join(', ')}\n`);
    }
    code = (await executeSession(writer, workspace, config, options, io).catch((error: unknown) => {
      throw error instanceof ExecuteOptionError ? new CliExit(EXIT_BAD_INPUT, `aca: ${error.message}`) : error;
    })).code;
  } finally {
    await writer.close();
  }
  if (code !== EXIT_OK) {
    throw new CliExit(code, code === 130 ? 'aca: interrupted; the session is paused' : 'aca: not every task is done');
  }
}

/** `[checkpoints] keep, max_age_days` and `[sessions] sync_every` in aca.toml. */
function retentionOf(config: AcaConfig): RetentionPolicy {
  return { maxCount: config.checkpoints?.keep ?? DEFAULT_RETENTION.maxCount, maxAgeDays: config.checkpoints?.max_age_days ?? DEFAULT_RETENTION.maxAgeDays };
}

function writerOptions(config: AcaConfig): { syncEvery?: number } {
  return config.sessions?.sync_every ? { syncEvery: config.sessions.sync_every } : {};
}

interface SessionOptions {
  workspace?: string;
  sessionDir?: string;
  allSessions?: boolean;
}

/**
 * The workspace of the session commands: `-w`, else the git root of the current folder (where `aca run`
 * from any of its subfolders keeps its sessions), else the current folder. `interactive` passes
 * `project: false`: its agent works in the current folder, as the user started it there.
 */
async function sessionsRoot(options: SessionOptions, io: CliIo, { project = true } = {}): Promise<{ workspace: string; root: string }> {
  const cwd = path.resolve(io.cwd);
  const workspace = options.workspace !== undefined ? path.resolve(cwd, options.workspace) : project ? ((await gitRootFrom(cwd)) ?? cwd) : cwd;
  return { workspace, root: path.resolve(io.cwd, options.sessionDir ?? workspaceSessionsRoot(workspace)) };
}

async function checkpointList(options: SessionOptions, io: CliIo): Promise<void> {
  const { root } = await sessionsRoot(options, io);
  const sessions = await listSessions(root);
  if (sessions.length === 0) {
    io.out(`No sessions in ${root}.\n`);
    return;
  }
  for (const session of options.allSessions ? sessions : sessions.slice(0, 1)) {
    const cost = session.costUsd > 0 ? `, $${session.costUsd.toFixed(2)}` : '';
    io.out(`Session ${session.id}  "${session.name}"  ${session.done}/${session.total} done${cost}, updated ${session.updated.toISOString()}${session.problem ? `  (unreadable: ${session.problem})` : ''}\n`);
    for (const checkpoint of await readCheckpoints(session.dir)) {
      io.out(`  ${checkpoint.id}  ${checkpoint.created}  ${checkpoint.trigger.padEnd(14)} ${checkpoint.fileCommit ? 'state+files' : 'state      '}  ${checkpoint.description}\n`);
    }
  }
}

async function checkpointResume(id: string | undefined, options: SessionOptions & { latest?: boolean; yes?: boolean }, io: CliIo): Promise<void> {
  if (!id && !options.latest) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca checkpoint resume: name a checkpoint ID or use --latest');
  }
  const { workspace, root } = await sessionsRoot(options, io);
  // Every session of the workspace is searched: the newest checkpoint, or the one with this id. Not the
  // sessions of others (one that came with the repository): their checkpoints are theirs to restore.
  let found: { sessionDir: string; checkpoint: Awaited<ReturnType<typeof readCheckpoints>>[number] } | undefined;
  for (const session of (await listSessions(root, { owner: await sessionOwner(io.home) })).filter((s) => !s.foreign)) {
    for (const checkpoint of await readCheckpoints(session.dir)) {
      if (id ? checkpoint.id === id || checkpoint.id.startsWith(id) : !found || checkpoint.created > found.checkpoint.created) {
        found = { sessionDir: session.dir, checkpoint };
      }
    }
  }
  if (!found) {
    throw new CliExit(EXIT_BAD_INPUT, id ? `aca checkpoint resume: no checkpoint ${id} in ${root}` : `aca checkpoint resume: no checkpoint in ${root}`);
  }
  const { checkpoint, sessionDir } = found;
  const files = checkpoint.fileCommit
    ? await FileCheckpoints.open(workspace, { sessionDir, sessionId: checkpoint.state.sessionId, exclude: [path.relative(workspace, root) || '.aca'] })
    : undefined;
  const { changes, notCovered } = files && checkpoint.fileCommit ? await files.plan(checkpoint.fileCommit) : { changes: [], notCovered: [] };
  io.out(`Checkpoint ${checkpoint.id} (${checkpoint.created}, ${checkpoint.description}) of session ${checkpoint.state.sessionId}:\n`);
  io.out(`  task states: ${Object.values(checkpoint.state.tasks).filter((run) => run.state === 'done').length} done at that point\n`);
  io.out(changes.length ? changes.map((c) => `  ${c.kind === 'create' ? '+' : c.kind === 'delete' ? '-' : '~'} ${c.path}\n`).join('') : '  files: no change\n');
  if (notCovered.length > 0) {
    // Never deleted: the checkpoint did not cover them, so they may have existed then.
    io.out(`  not covered by the checkpoint (ignored or too large then), left as they are:\n${notCovered.map((p) => `  ${p}\n`).join('')}`);
  }
  if (!options.yes) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca checkpoint resume: nothing was changed; run again with --yes to apply');
  }
  const { writer } = await SessionWriter.resume(sessionDir);
  try {
    // Journaled once the files are back: a restore that fails half-way leaves the task states as they were.
    if (files && checkpoint.fileCommit) {
      await files.restore(checkpoint.fileCommit);
    }
    await writer.append({ type: 'checkpoint_restored', checkpointId: checkpoint.id, tasks: checkpoint.state.tasks });
  } finally {
    await writer.close();
  }
  io.out(`Restored. Run the remaining tasks with: aca resume ${checkpoint.state.sessionId}\n`);
}

type ResumeOptions = SessionOptions & ExecuteOptions & { config?: string; trustWorkspace?: boolean; resumeForeign?: boolean; forceUnlock?: boolean };

async function resumeSession(id: string | undefined, options: ResumeOptions, io: CliIo): Promise<void> {
  const { workspace, root } = await sessionsRoot(options, io);
  const owner = await sessionOwner(io.home);
  const sessions = await listSessions(root, { owner });
  let session = id ? sessions.find((s) => s.id === id || s.id.startsWith(id)) : undefined;
  if (!id) {
    // A session that is not the user's (a repository can bring one) is never picked without being named.
    const unfinished = sessions.filter((s) => !s.finished && !s.problem);
    const skipped = unfinished.filter((s) => s.foreign);
    session = unfinished.find((s) => !s.foreign);
    if (skipped.length > 0) {
      io.err(
        `aca resume: skipped ${skipped.length} unfinished session${skipped.length === 1 ? '' : 's'} from another machine or user (or that came with the repository): ${skipped.map((s) => s.id).join(', ')}; "aca resume <id>" shows what one would run\n`,
      );
    }
    if (!session) {
      throw new CliExit(EXIT_BAD_INPUT, `aca resume: no unfinished session${skipped.length ? ' of yours' : ''} in ${root}`);
    }
  }
  if (!session) {
    throw new CliExit(EXIT_BAD_INPUT, `aca resume: no session ${id} in ${root}`);
  }
  io.err(`Session ${session.id} "${session.name}": ${session.done}/${session.total} done\n`);
  // Asked first: a session the user declines keeps its lock.
  if (session.foreign) {
    await confirmForeignSession(session.dir, session.id, options, io);
  }
  if (options.forceUnlock) {
    const holder = await breakLock(session.dir);
    if (holder) {
      io.err(`warning: took the lock of ${holder}; if that process still runs, both write the session and damage it\n`);
    }
  }
  const config = await loadCliConfig(io, options, true, workspace);
  const { loaded } = await SessionWriter.resume(session.dir).then(async ({ writer, loaded }) => {
    try {
      if (session.foreign) {
        await writer.adopt(owner); // chosen once, it is the user's from now on
      }
    } finally {
      await writer.close();
    }
    return { loaded };
  });
  for (const repair of loaded.repairs) {
    io.err(`  repaired: ${repair.what}${repair.keptAt ? ` (kept at ${repair.keptAt})` : ''}\n`);
  }
  await runSessionDir(session.dir, workspace, config, options, io);
}

/** Shows what a session that is not the user's would run; goes on only when the user says so. */
async function confirmForeignSession(dir: string, id: string, options: ResumeOptions, io: CliIo): Promise<void> {
  const { state } = await loadSession(dir);
  io.err(
    `Session ${id} was not created by you on this machine (another machine or user, an older ACA, or it came with the repository). Resuming it runs:\n${describeSessionRun(state).join('\n')}\n`,
  );
  if (options.resumeForeign) {
    return;
  }
  // --yes does not answer this: it is for the usual confirmations of one's own runs.
  if (!io.ask) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca resume: nothing was run; answer on a terminal, or pass --resume-foreign to resume this session');
  }
  const answer = (await io.ask('Resume this session and run what is listed above? [y/N] ')).trim().toLowerCase();
  if (answer !== 'y' && answer !== 'yes') {
    throw new CliExit(EXIT_BAD_INPUT, 'aca resume: not confirmed; nothing was run');
  }
}

async function checkpointCreate(description: string, options: SessionOptions, io: CliIo): Promise<void> {
  const { workspace, root } = await sessionsRoot(options, io);
  const session = (await listSessions(root, { owner: await sessionOwner(io.home) })).find((s) => !s.finished && !s.problem && !s.foreign);
  if (!session) {
    throw new CliExit(EXIT_BAD_INPUT, `aca checkpoint create: no unfinished session in ${root}; start one with "aca run <FILE>"`);
  }
  // Only retention and syncing are read here: nothing that needs trust, so no warning.
  const config = await loadCliConfig(io, {}, false);
  const { writer } = await SessionWriter.resume(session.dir, writerOptions(config));
  try {
    const files = await FileCheckpoints.open(workspace, { sessionDir: writer.dir, sessionId: writer.state.sessionId, exclude: [path.relative(workspace, root) || '.aca'] });
    const checkpoint = await createCheckpoint(writer, description, 'manual', files, retentionOf(config));
    io.out(`Checkpoint ${checkpoint.id} of session ${writer.state.sessionId}: ${description}\n`);
  } finally {
    await writer.close();
  }
}

async function analyze(plan: Plan, tasksFile: string, workspace: string, options: RunOptions, config: AcaConfig, io: CliIo): Promise<Plan> {
  const provider = options.provider ?? config.provider ?? 'claude-code';
  if (!isProviderName(provider) || !ANALYSIS_PROVIDERS.includes(provider)) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: --provider ${provider}: analysis supports ${ANALYSIS_PROVIDERS.join(', ')}`);
  }
  const model = options.model ?? config.model;
  const port = createCompletionPort(provider, config, {
    cwd: workspace,
    ...(model ? { model } : {}),
    // Keys and base URLs of the model APIs are read from this environment, as for runs.
    environment: { env: Object.fromEntries(Object.entries(io.env).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) },
    ...(io.env['ACA_CLAUDE_PATH'] ? { claudePath: io.env['ACA_CLAUDE_PATH'] } : {}),
  });
  const referenceContext = new Map<string, string>();
  for (const task of plan.tasks) {
    const references = await loadReferenceContext(task, tasksFile, workspace);
    if (references.length > 0) {
      referenceContext.set(task.id, references.map((r) => `--- ${r.path}${r.truncated ? ' (truncated)' : ''}\n${r.content}`).join('\n'));
    }
  }
  io.err(`Analysing ${plan.tasks.length} tasks with ${port.id}…\n`);
  const result = await analyzePlan(plan, {
    port,
    hints: options.context,
    referenceContext,
    cache: new FileAnalysisCache(path.join(workspace, '.aca', 'cache', 'analysis'), workspace),
    answerName: `the answer of ${port.id}`,
  });
  io.err(result.cached ? 'Analysis taken from the cache (same plan, hints and model).\n' : `Analysis done in ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}.\n`);
  return result.plan;
}

export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version "errors" are commander's way to stop early; they are successes.
      return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_INPUT;
    }
    if (error instanceof CliExit) {
      io.err(`${error.message}\n`);
      return error.code;
    }
    if (PlanError.is(error)) {
      io.err(`${error.message}\naca: the input is invalid; nothing was run\n`);
      return EXIT_BAD_INPUT;
    }
    if (AnalysisError.is(error)) {
      io.err(`${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (SessionError.is(error)) {
      io.err(`aca: ${error.message}\n`);
      return error.failure === 'locked' || error.failure === 'future-version' ? EXIT_FAILURE : EXIT_BAD_INPUT;
    }
    if (ProviderError.is(error)) {
      io.err(`aca: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (UnsafeWriteError.is(error)) {
      io.err(`aca: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`aca: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exitCode = EXIT_FAILURE;
    },
  );
}
