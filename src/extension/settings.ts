import * as vscode from 'vscode';
import { settingsFrom, type AcaSettings } from './settingsValues';

export { describeBudgets, type AcaSettings, type PermissionMode, type RunSettingsFromVscode } from './settingsValues';

/**
 * Every setting ACA reads, read in one place: the only `getConfiguration('aca')` read of the extension
 * (writing one, as Select Provider does, stays with its command). Read afresh on each call, so that a change
 * in the Settings editor counts from the next action on.
 */
export function readSettings(): AcaSettings {
  return settingsFrom(vscode.workspace.getConfiguration('aca'));
}
