/**
 * The question before a run (Approve and Run in the plan panel): how many tasks, with which provider, the
 * budget, and every command the run will execute — verify commands come from the plan, which comes from the
 * repository, so the user sees them before they run. Loads the runtime bundle: approving is the way into a run.
 */
import * as vscode from 'vscode';
import type { Logger } from '../core/common/logger';
import { forecastRun } from '../core/engine/forecast';
import type { Plan } from '../core/model/plan';
import { loadRuntime } from './lazyLoader';
import { defaultVerifyCommands, providerConfig } from './providerSettings';
import { describeBudgets, readSettings } from './settings';

/** Whether the user chose Run. */
export async function confirmRun(plan: Plan, logger: Logger): Promise<boolean> {
  const settings = readSettings();
  const forecast = forecastRun(plan, undefined, {});
  const run = vscode.l10n.t('Run');
  const budget = describeBudgets(settings.run.budgets);
  const config = providerConfig();
  const runtime = loadRuntime(logger);
  const preview = runtime.previewRunCommands(plan, undefined, {
    chain: runtime.providerChain(config.provider ?? 'claude-code', config.fallback),
    config,
    defaultVerify: defaultVerifyCommands(),
  });
  const choice = await vscode.window.showWarningMessage(
    vscode.l10n.t('Run {0} tasks of "{1}" with {2}?', forecast.tasks, plan.name, settings.provider),
    {
      modal: true,
      detail: [
        budget
          ? vscode.l10n.t('Budget: {0} (settings aca.run.budget.*); the run pauses when it is used up. Pause stops it between tasks.', budget)
          : vscode.l10n.t('No budget is set (settings aca.run.budget.*): the run goes on until every task is done or failed. Pause stops it between tasks.'),
        '',
        ...runtime.formatRunCommands(preview),
      ].join('\n'),
    },
    run,
  );
  return choice === run;
}
