/** `aca run FILE`: parse a tasks file (or load a plan), validate it, optionally analyse it, and run it in a new session. */
import path from 'node:path';
import type { Command } from 'commander';
import { analyzeTasks } from '../../core/app/analysis';
import { isProviderName } from '../../core/app/providers';
import { createSession } from '../../core/app/sessions';
import { writeFileSafely } from '../../core/common/safeWrite';
import type { AcaConfig } from '../../core/config/config';
import type { Plan } from '../../core/model/plan';
import { formatProblem, PlanError, type Problem } from '../../core/model/problems';
import { isTasksJson, planFromTasksFile } from '../../core/plan/buildPlan';
import { findTasksFile, gitRootOf } from '../../core/plan/findTasksFile';
import { FileAnalysisCache } from '../../core/plan/analyze';
import { planFormatOf, readPlanFile, serializePlan } from '../../core/plan/planFile';
import { ANALYSIS_PROVIDERS, createCompletionPort } from '../../core/providers/completionFactory';
import { sessionOwner } from '../../core/session/owner';
import { FUZZY_LIMIT, findDuplicatesReport, mergeDuplicates } from '../../core/tasks/dedupe';
import { cliEnvironment, cliSessionPlaces, CliExit, EXIT_BAD_INPUT, loadCliConfig, type CliIo } from '../cliIo';
import type { ExecuteOptions } from '../execute';
import { addGlobalOptions, collect, CONFIG_HELP, executionOptions, SESSION_DIR_HELP } from '../options';
import { formatPlanSummary } from '../planSummary';
import { runSessionDir, sessionOptionsOf } from '../runSession';

interface RunOptions extends ExecuteOptions {
  workspace?: string;
  config?: string;
  dryRun?: boolean;
  useIntelligentParser?: boolean;
  forceNaiveParser?: boolean;
  context: string[];
  dumpPlan?: string;
  mergeDuplicates?: boolean;
  sessionDir?: string;
  trustWorkspace?: boolean;
  tag?: string;
}

export function registerRun(program: Command, io: CliIo): void {
  const run = program
    .command('run')
    .description(
      'Parse a tasks file (markdown, text) or load a plan (.json, .toml, or the original aca format), validate it, and run its tasks with a coding agent in a new session.\nExit codes: 0 all done, 1 some failed/blocked/cancelled, 2 bad input, 130 interrupted by Ctrl-C (aca resume --latest continues).',
    )
    .argument('<FILE>', 'a tasks file (markdown, spec-kit, Kiro, cc-sdd, Task Master tasks.json, …), a folder holding one, or a plan file')
    .option(
      '-w, --workspace <DIR>',
      'workspace folder: references may not leave it (default: the git root of FILE, else the current folder when FILE is in it, else the folder of FILE)',
    )
    .option('-c, --config <CONFIG>', CONFIG_HELP)
    .option('-v, --verbose', 'show descriptions, source lines and warnings in full')
    .option('-n, --dry-run', 'parse and validate only; agents never run and never write files')
    .option(
      '--use-intelligent-parser',
      `refine the parsed plan with a model (hierarchy, dependencies, priority, complexity); --provider ${ANALYSIS_PROVIDERS.join(', ')}`,
    )
    .option('--force-naive-parser', 'use the deterministic markdown parser only (the default; kept for compatibility)')
    .option('--context <HINT>', 'a hint for the analysis (repeatable)', collect, [] as string[])
    .option('--dump-plan <FILE>', 'write the plan to FILE (.json or .toml, by extension)')
    .option('--merge-duplicates', 'merge near-identical tasks (they are always reported)')
    .option('--tag <name>', 'Task Master: read this tag of tasks.json (default: the current tag of .taskmaster/state.json, else "master")')
    .option('--session-dir <DIR>', SESSION_DIR_HELP);
  addGlobalOptions(executionOptions(run));
  run.action(async (file: string, _options: RunOptions, command: Command) => runCommand(file, command.optsWithGlobals<RunOptions>(), io));
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
  return inCwd && !inCwd.startsWith('..') && !path.isAbsolute(inCwd)
    ? { workspace: cwd, chosenBecause: 'the current folder' }
    : { workspace: path.dirname(tasksFile), chosenBecause: "the tasks file's folder" };
}

/** A path as the user would type it from the current folder. */
function displayFrom(cwd: string, file: string): string {
  const relative = path.relative(cwd, file);
  return relative && !path.isAbsolute(relative) ? relative.split(path.sep).join('/') : file;
}

interface Input {
  /** The file read, and how the user named it. */
  readonly target: string;
  readonly file: string;
  readonly workspace: string;
  /** Why this workspace, for messages. */
  readonly how: string;
}

async function runCommand(fileOrFolder: string, options: RunOptions, io: CliIo): Promise<void> {
  if (options.useIntelligentParser && options.forceNaiveParser) {
    throw new CliExit(EXIT_BAD_INPUT, 'aca run: --use-intelligent-parser and --force-naive-parser exclude each other');
  }
  const input = await inputOf(fileOrFolder, options, io);
  const { target, workspace } = input;
  // The workspace's own config (trusted or not, as for any folder: see loadConfig), not the current folder's.
  const config = await loadCliConfig(io, options, true, workspace);
  if (options.dumpPlan && !planFormatOf(options.dumpPlan)) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: --dump-plan ${options.dumpPlan}: use a .json or .toml file name`);
  }
  let plan = await checkedPlan(input, options, io);
  if (options.useIntelligentParser) {
    plan = await analyze(plan, target, workspace, options, config, io);
  }
  // With --json, stdout carries only the events.
  (options.json && !options.dryRun ? io.err : io.out)(`${formatPlanSummary(plan, options.verbose)}\n`);
  const dumpFormat = options.dumpPlan ? planFormatOf(options.dumpPlan) : undefined;
  if (options.dumpPlan && dumpFormat) {
    await writeFileSafely(path.resolve(io.cwd, options.dumpPlan), serializePlan(plan, dumpFormat));
    io.out(`Plan written to ${options.dumpPlan}\n`);
  }
  if (!options.dryRun) {
    const { places } = cliSessionPlaces(workspace, options.sessionDir, io);
    const { sessionId, dir } = await createSession(places, plan, {
      ...sessionOptionsOf(config),
      owner: await sessionOwner(io.home),
      description: 'session start',
    });
    io.err(`Session ${sessionId} created in ${dir}, with a checkpoint of the workspace ${workspace}.\n`);
    await runSessionDir(dir, workspace, config, options, io);
  }
}

/** The tasks file (found in a folder, when a folder is named) and its workspace; says which when not obvious. */
async function inputOf(fileOrFolder: string, options: RunOptions, io: CliIo): Promise<Input> {
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
  return { target, file, workspace, how };
}

/** The plan of the input, with its problems (and duplicate tasks) reported; exit 2 on errors. */
async function checkedPlan(input: Input, options: RunOptions, io: CliIo): Promise<Plan> {
  const { plan: read, problems } = await readPlan(input, options);
  let plan = read;
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
      file: task?.source?.file ?? input.file,
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
    io.err(`  the workspace is ${input.workspace} (${input.how})\n`);
  }
  if (errors.length > 0) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: ${errors.length} error${errors.length === 1 ? '' : 's'} in ${input.file}; nothing was run`);
  }
  return plan;
}

/** A plan file as it is, or a tasks file through the readers (with the problems they found). */
async function readPlan({ target, file, workspace }: Input, options: RunOptions): Promise<{ plan: Plan; problems: Problem[] }> {
  // A .json that is not an ACA plan (Task Master's tasks.json, or unknown) goes to the tasks readers, which name its format.
  const planFormat = planFormatOf(target) === 'json' && (await isTasksJson(target)) ? undefined : planFormatOf(target);
  if (planFormat && options.tag !== undefined) {
    throw new CliExit(EXIT_BAD_INPUT, `aca run: --tag is for a Task Master tasks.json; ${file} is a plan file`);
  }
  // Both readers refuse anything but a regular file under their limit, before reading it.
  const unreadable = (error: NodeJS.ErrnoException): never => {
    throw PlanError.is(error)
      ? error
      : new CliExit(EXIT_BAD_INPUT, `aca run: cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  };
  if (planFormat) {
    return { plan: await readPlanFile(target, planFormat, file).catch(unreadable), problems: [] };
  }
  const built = await planFromTasksFile(target, { workspaceRoot: workspace, ...(options.tag !== undefined ? { tag: options.tag } : {}) }).catch(unreadable);
  const problems: Problem[] = [];
  // A loop: a spread of over about 100 000 problems (one per missing reference) overflows the stack.
  for (const problem of built.problems) {
    problems.push(problem);
  }
  return { plan: built.plan, problems };
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
    environment: cliEnvironment(io),
  });
  io.err(`Analysing ${plan.tasks.length} tasks with ${port.id}…\n`);
  const result = await analyzeTasks(plan, tasksFile, workspace, {
    port,
    hints: options.context,
    cache: new FileAnalysisCache(path.join(workspace, '.aca', 'cache', 'analysis'), workspace),
    answerName: `the answer of ${port.id}`,
  });
  io.err(
    result.cached
      ? 'Analysis taken from the cache (same plan, hints and model).\n'
      : `Analysis done in ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}.\n`,
  );
  return result.plan;
}
