import * as vscode from 'vscode';
import type { Logger } from '../core/common/logger';
import type { CompletionPort } from '../core/plan/analyze';
import type { Plan } from '../core/model/plan';
import { PlanError } from '../core/model/problems';
import { ProviderError } from '../core/providers/errors';
import { findDuplicates, mergeDuplicates } from '../core/tasks/dedupe';
import { loadParser, loadRuntime } from './lazyLoader';
import type { PlanController } from './planController';
import { providerSetup } from './providerSettings';
import { readSettings } from './settings';

/** Glob of the files ACA offers to parse (the same names the explorer menu shows the command for). */
const TASKS_FILE_GLOB = '{**/tasks.md,**/*.tasks.md,**/TODO.md,**/tasks/tasks.json}';

/** `propose`: shows an analysis's changes for the user to accept or reject per task; returns how many. */
export function registerCommands(
  context: vscode.ExtensionContext,
  plans: PlanController,
  logger: Logger,
  showLog: () => void,
  propose: (plan: Plan) => number,
): void {
  const register = (id: string, run: (...args: never[]) => unknown): void => {
    context.subscriptions.push(vscode.commands.registerCommand(id, run));
  };

  register('aca.showLog', showLog);

  register('aca.parseTasksFile', (uri?: vscode.Uri) => parseTasksFile(plans, logger, uri));

  register('aca.goToSource', async (taskId?: string) => {
    const loaded = plans.current;
    const task = loaded?.plan.tasks.find((t) => t.id === taskId);
    if (!loaded || !task?.source) {
      return;
    }
    const line = task.source.line - 1;
    await vscode.window.showTextDocument(loaded.uri, { selection: new vscode.Range(line, 0, line, 0), preserveFocus: false });
  });

  register('aca.analyzeTasks', () => analyzeTasks(context, plans, logger, propose));

  register('aca.mergeDuplicateTasks', () => mergeDuplicateTasks(plans));
}

/** Parse Tasks File: a file, or the one tasks file of a folder, into the Tasks view (and the plan panel). */
async function parseTasksFile(plans: PlanController, logger: Logger, uri?: vscode.Uri): Promise<Plan | undefined> {
  const chosen = uri instanceof vscode.Uri ? uri : await pickTasksFile();
  if (!chosen) {
    return undefined;
  }
  let target = chosen;
  try {
    // A folder (a Kiro or spec-kit feature folder, .taskmaster/, a project): the one tasks file in it.
    const found = chosen.scheme === 'file' ? await loadParser(logger).findTasksFile(chosen.fsPath) : undefined;
    if (found?.folder) {
      target = vscode.Uri.file(found.file);
      logger.info(`found ${found.file} in ${found.folder}`);
      void vscode.window.showInformationMessage(
        vscode.l10n.t('ACA reads {0}, the tasks file in {1}.', vscode.workspace.asRelativePath(target), vscode.workspace.asRelativePath(chosen)),
      );
    }
    const loaded = await plans.parse(target);
    await vscode.commands.executeCommand('aca.tasks.focus');
    if (readSettings().openPanelAfterParse) {
      await vscode.commands.executeCommand('aca.openPlan');
    }
    const errors = loaded.problems.filter((p) => p.severity === 'error').length;
    const warnings = loaded.problems.length - errors;
    if (errors || warnings) {
      void vscode.window
        .showWarningMessage(
          vscode.l10n.t(
            '{0}: {1} tasks, {2} errors, {3} warnings. See the Problems panel.',
            loaded.plan.source?.path ?? target.fsPath,
            loaded.plan.tasks.length,
            errors,
            warnings,
          ),
          vscode.l10n.t('Show Problems'),
        )
        .then((choice) => (choice ? vscode.commands.executeCommand('workbench.actions.view.problems') : undefined));
    }
    return loaded.plan;
  } catch (error) {
    logger.error(`cannot parse ${target.fsPath}`, error);
    // A PlanError's message already names the file or folder.
    const message = PlanError.is(error) ? error.problems.map((p) => p.message).join('; ') : error instanceof Error ? error.message : String(error);
    void vscode.window.showErrorMessage(vscode.l10n.t('ACA cannot read {0}: {1}', target.fsPath, message));
    return undefined;
  }
}

/** Analyze Tasks with AI: the chosen provider refines the plan; its changes are proposed in the panel. */
async function analyzeTasks(
  context: vscode.ExtensionContext,
  plans: PlanController,
  logger: Logger,
  propose: (plan: Plan) => number,
): Promise<Plan | undefined> {
  const loaded = plans.current;
  if (!loaded) {
    void vscode.window.showInformationMessage(vscode.l10n.t('Parse a tasks file first: right-click it and choose "Parse Tasks File".'));
    return undefined;
  }
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(vscode.l10n.t('ACA runs no agent in a restricted workspace. Trust this workspace to analyze tasks with AI.'));
    return undefined;
  }
  const chosen = await analysisPort(context.secrets, loaded.workspaceRoot, logger);
  if (!chosen) {
    return undefined;
  }
  const { port, label: providerLabel } = chosen;
  const runtime = loadRuntime(logger); // loaded by analysisPort already
  const cacheDir = context.storageUri ? vscode.Uri.joinPath(context.storageUri, 'analysis-cache').fsPath : undefined;
  return vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: vscode.l10n.t('ACA: analyzing {0} tasks with {1}', loaded.plan.tasks.length, providerLabel),
      cancellable: true,
    },
    async (_progress, token) => {
      const abort = new AbortController();
      const subscription = token.onCancellationRequested(() => abort.abort());
      try {
        // The reference context (the files each task names, truncated ones marked) is the app's, as in `aca analyze`.
        const result = await runtime.analyzeTasks(loaded.plan, loaded.uri.fsPath, loaded.workspaceRoot, {
          port,
          signal: abort.signal,
          ...(cacheDir ? { cache: new runtime.FileAnalysisCache(cacheDir) } : {}),
        });
        const proposed = propose(result.plan);
        logger.info(`analysis of ${loaded.plan.name}: ${result.cached ? 'from cache' : `${result.attempts} attempt(s)`}; ${proposed} change(s) proposed`);
        if (proposed === 0) {
          void vscode.window.showInformationMessage(vscode.l10n.t('The analysis proposes no change to the plan.'));
        }
        return result.plan;
      } catch (error) {
        if (ProviderError.is(error) && error.failure === 'cancelled') {
          logger.info('analysis cancelled');
          return undefined;
        }
        logger.error('analysis failed', error);
        const message = runtime.AnalysisError.is(error) || ProviderError.is(error) ? error.message : String(error);
        void vscode.window.showErrorMessage(vscode.l10n.t('ACA analysis failed: {0}', message.split('\n').slice(0, 3).join(' ')));
        return undefined;
      } finally {
        subscription.dispose();
      }
    },
  );
}

/** Merge Duplicate Tasks: near-identical tasks go into the earlier ones, after the user agrees. */
async function mergeDuplicateTasks(plans: PlanController): Promise<number> {
  const loaded = plans.current;
  if (!loaded) {
    return 0;
  }
  const pairs = findDuplicates(loaded.plan.tasks);
  if (pairs.length === 0) {
    void vscode.window.showInformationMessage(vscode.l10n.t('No near-identical tasks in {0}.', loaded.plan.name));
    return 0;
  }
  const describe = pairs.map((p) => `${p.drop} → ${p.keep}`).join(', ');
  const merge = vscode.l10n.t('Merge');
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Merge {0} near-identical task(s) into the earlier ones ({1})? Dependencies and references are kept.', pairs.length, describe),
    { modal: true },
    merge,
  );
  if (choice !== merge) {
    return 0;
  }
  plans.replacePlan(mergeDuplicates(loaded.plan, pairs));
  return pairs.length;
}

/**
 * The completion port "Analyze Tasks with AI" asks, from the chosen provider (loads the runtime bundle), or
 * undefined after telling the user why there is none (no key, no CLI, no VS Code model).
 */
async function analysisPort(
  secrets: vscode.SecretStorage,
  workspaceRoot: string,
  logger: Logger,
): Promise<{ port: CompletionPort; label: string } | undefined> {
  const settings = readSettings();
  const setup = await providerSetup(secrets, undefined, logger);
  const runtime = loadRuntime(logger);
  const provider = setup.provider;
  const model = settings.analysisModel ?? setup.model;
  if (provider === 'vscode-lm') {
    // VS Code's own models: no JSON mode, so the schema goes into the prompt and analyze.ts validates the answer.
    const found = setup.environment.hostModels ? await setup.environment.hostModels.resolve() : { fix: 'VS Code offers no language models here.' };
    if ('fix' in found) {
      logger.warn(`vscode-lm unavailable for analysis: ${found.fix}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('ACA cannot analyze with a VS Code language model: {0}', found.fix));
      return undefined;
    }
    const port = new runtime.ModelCompletion({ name: provider, model: found.model, modelId: found.id, timeoutMs: settings.analysisTimeoutMs });
    return { port, label: port.id };
  }
  if (provider === 'anthropic' || provider === 'openai' || provider === 'local-model') {
    // The chosen model API, with the key and server its runs use (the key: SecretStorage, else the environment).
    if (provider !== 'local-model' && !runtime.modelApiSettings(provider, setup.config, setup.environment).apiKey) {
      logger.warn(`${provider} unavailable for analysis: no API key`);
      const setKey = vscode.l10n.t('Set API Key…');
      void vscode.window
        .showErrorMessage(vscode.l10n.t('ACA cannot analyze with {0}: there is no API key for it.', provider), setKey)
        .then((choice) => (choice === setKey ? vscode.commands.executeCommand('aca.setApiKey', provider) : undefined));
      return undefined;
    }
    const port = runtime.createCompletionPort(provider, setup.config, {
      cwd: workspaceRoot,
      environment: setup.environment,
      ...(model ? { model } : {}),
      timeoutMs: settings.analysisTimeoutMs,
    });
    return { port, label: port.id };
  }
  // Claude Code (Codex analyses through it too, for now). One clear notification with the fix beats a
  // failed run: is the CLI there, and logged in?
  const detection = await new runtime.ClaudeCodeProvider({ executable: settings.claudeCodePath }).detect();
  if (!detection.installed || detection.authenticated === false) {
    logger.warn(`claude-code unavailable: ${detection.fix ?? 'not installed'}`);
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window
      .showErrorMessage(vscode.l10n.t('ACA cannot use Claude Code: {0}', detection.fix ?? ''), openSettings)
      .then((choice) => (choice === openSettings ? vscode.commands.executeCommand('workbench.action.openSettings', 'aca.claudeCode.path') : undefined));
    return undefined;
  }
  const port = runtime.createCompletionPort(
    'claude-code',
    { claude_code: { path: settings.claudeCodePath } },
    {
      cwd: workspaceRoot,
      timeoutMs: settings.analysisTimeoutMs,
      ...(settings.analysisModel ? { model: settings.analysisModel } : {}),
    },
  );
  return { port, label: 'Claude Code' };
}

async function pickTasksFile(): Promise<vscode.Uri | undefined> {
  const editor = vscode.window.activeTextEditor?.document;
  const found = await vscode.workspace.findFiles(TASKS_FILE_GLOB, '**/node_modules/**', 200);
  const browse = vscode.l10n.t('Browse…');
  const items: Array<vscode.QuickPickItem & { uri?: vscode.Uri }> = [
    ...(editor && editor.languageId === 'markdown' && !found.some((u) => u.toString() === editor.uri.toString())
      ? [{ label: vscode.workspace.asRelativePath(editor.uri), description: vscode.l10n.t('active editor'), uri: editor.uri }]
      : []),
    ...found.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { label: browse },
  ];
  const picked = await vscode.window.showQuickPick(items, {
    title: vscode.l10n.t('Parse which tasks file?'),
    placeHolder: vscode.l10n.t("tasks.md, *.tasks.md, TODO.md, Task Master's tasks.json or any markdown file"),
  });
  if (!picked) {
    return undefined;
  }
  if (picked.uri) {
    return picked.uri;
  }
  const chosen = await vscode.window.showOpenDialog({ canSelectMany: false, filters: { [vscode.l10n.t('Tasks files')]: ['md', 'markdown', 'txt', 'json'] } });
  return chosen?.[0];
}
