/** Select Provider (which coding agent runs the tasks) and Set API Key (kept in SecretStorage only). */
import * as vscode from 'vscode';
import { PROVIDERS } from '../core/app/providers';
import type { Logger } from '../core/common/logger';
import { readSettings } from './settings';

/** The services whose API keys ACA keeps; the same names as the `aca.apiKey.<service>` secrets. */
const KEY_SERVICES = [...new Set(PROVIDERS.flatMap((provider) => (provider.needsKey ? [provider.needsKey] : [])))];

export function registerProviderCommands(context: vscode.ExtensionContext, logger: Pick<Logger, 'info'>): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('aca.selectProvider', () => selectProvider()),
    vscode.commands.registerCommand('aca.setApiKey', (service?: unknown, key?: unknown) => setApiKey(context.secrets, logger, service, key)),
  );
}

/** Select Provider: the providers of the one registry (src/core/app/providers.ts), the current one picked. */
async function selectProvider(): Promise<string | undefined> {
  const current = readSettings().provider;
  const picked = await vscode.window.showQuickPick(
    PROVIDERS.map((provider) => ({ label: provider.name, description: vscode.l10n.t(provider.description), picked: provider.name === current })),
    { title: vscode.l10n.t('Which coding agent runs the tasks?') },
  );
  if (picked) {
    await vscode.workspace.getConfiguration('aca').update('provider', picked.label, vscode.ConfigurationTarget.Workspace);
  }
  return picked?.label;
}

/** API keys (for the model-API providers) go to SecretStorage only: never settings, plans, journals or logs. */
async function setApiKey(secrets: vscode.SecretStorage, logger: Pick<Logger, 'info'>, service?: unknown, key?: unknown): Promise<boolean> {
  const services = [
    { label: 'anthropic', description: vscode.l10n.t('Anthropic API (ANTHROPIC_API_KEY otherwise)') },
    { label: 'openai', description: vscode.l10n.t('OpenAI API (OPENAI_API_KEY otherwise)') },
  ];
  const given = typeof service === 'string' ? KEY_SERVICES.find((name) => name === service) : undefined;
  const name = given ?? (await vscode.window.showQuickPick(services, { title: vscode.l10n.t('API key for which service?') }))?.label;
  if (!name) {
    return false;
  }
  const value =
    typeof key === 'string'
      ? key
      : await vscode.window.showInputBox({
          title: vscode.l10n.t('{0} API key', name),
          password: true,
          ignoreFocusOut: true,
          prompt: vscode.l10n.t("Kept in VS Code's secret storage, never in a file ACA writes."),
        });
  if (!value?.trim()) {
    return false;
  }
  await secrets.store(`aca.apiKey.${name}`, value.trim());
  logger.info(`an API key for ${name} was stored in VS Code's secret storage`);
  return true;
}
