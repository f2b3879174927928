/**
 * How a run goes, from one typed `RunSettings`: the faces merge their sources into a `RunSettingsInput`
 * (the CLI: flags over aca.toml; VS Code: the `aca.*` settings) and the app validates it once, here.
 */
import type { Budgets, FailurePolicy } from '../engine/engine';
import type { ProviderName } from '../model/provider';
import { DEFAULT_PROVIDER, isProviderName, providerProblem } from './providers';

export const FAILURE_POLICIES: readonly FailurePolicy[] = ['stop', 'skip-dependents', 'continue'];

export interface RunSettings {
  readonly provider: ProviderName;
  readonly model?: string;
  /** Tasks at once (default: the plan's strategy). */
  readonly concurrency?: number;
  /** Attempts per task, verification failures included (default: the engine's, 3). */
  readonly maxAttempts?: number;
  readonly failurePolicy?: FailurePolicy;
  readonly includeOptional: boolean;
  /** Task states go back to the tasks file as tasks run and finish. */
  readonly writeBack: boolean;
  /** Commands that check a task without verify commands of its own. */
  readonly verify: readonly string[];
  readonly budgets: Budgets;
  /** Snapshots of the files around each task (Show Changes, Restore Files). */
  readonly fileSnapshots: boolean;
  /** Failed, blocked and cancelled tasks run again. */
  readonly retryFailed: boolean;
}

/** A number as a flag gives it (text) or a setting does (a number). */
type NumberInput = string | number | undefined;

/** The merged sources, not yet checked. Budgets: minutes and dollars may be fractions, tokens whole. */
export interface RunSettingsInput {
  readonly provider?: string;
  readonly model?: string;
  readonly concurrency?: NumberInput;
  readonly maxAttempts?: NumberInput;
  readonly failurePolicy?: string;
  readonly includeOptional?: boolean;
  readonly writeBack?: boolean;
  readonly verify?: readonly string[];
  readonly maxCost?: NumberInput;
  readonly maxTokens?: NumberInput;
  readonly maxMinutes?: NumberInput;
  readonly taskMaxCost?: NumberInput;
  readonly taskMaxTokens?: NumberInput;
  readonly taskMaxMinutes?: NumberInput;
  readonly fileSnapshots?: boolean;
  readonly retryFailed?: boolean;
}

export type RunSettingsField = keyof RunSettingsInput;

/** A value that cannot be used; `field` names it, `label` is how the face names it (a flag, a setting). */
export class RunSettingsError extends Error {
  readonly reason = 'invalid-run-setting';

  constructor(
    readonly field: RunSettingsField,
    readonly label: string,
    message: string,
  ) {
    super(message);
  }

  static is(error: unknown): error is RunSettingsError {
    return error instanceof Error && (error as Partial<RunSettingsError>).reason === 'invalid-run-setting';
  }
}

/** The CLI's flag of each field: the default labels of errors. */
export const RUN_FLAGS: Readonly<Record<RunSettingsField, string>> = {
  provider: '--provider',
  model: '--model',
  concurrency: '--concurrency',
  maxAttempts: '--max-attempts',
  failurePolicy: '--failure-policy',
  includeOptional: '--include-optional',
  writeBack: '--write-back',
  verify: '--verify',
  maxCost: '--max-cost',
  maxTokens: '--max-tokens',
  maxMinutes: '--max-minutes',
  taskMaxCost: '--task-max-cost',
  taskMaxTokens: '--task-max-tokens',
  taskMaxMinutes: '--task-max-minutes',
  fileSnapshots: '--no-file-snapshots',
  retryFailed: '--retry-failed',
};

export interface ValidateOptions {
  /** Which face runs it: VS Code's language models only run in the extension (default 'cli'). */
  readonly face?: 'cli' | 'extension';
  /** How the face names a field in messages (default: the CLI's flags). */
  readonly labels?: Partial<Record<RunSettingsField, string>>;
}

/** Checks the merged input once and returns the settings a run uses; throws RunSettingsError naming the field. */
export function validateRunSettings(input: RunSettingsInput, options: ValidateOptions = {}): RunSettings {
  const label = (field: RunSettingsField): string => options.labels?.[field] ?? RUN_FLAGS[field];
  const provider = input.provider ?? DEFAULT_PROVIDER;
  const problem = providerProblem(provider, options.face ?? 'cli', label('provider'));
  if (problem !== undefined || !isProviderName(provider)) {
    throw new RunSettingsError('provider', label('provider'), problem ?? `${label('provider')} ${provider}: unknown`);
  }
  const failurePolicy = input.failurePolicy;
  if (failurePolicy !== undefined && !isFailurePolicy(failurePolicy)) {
    throw new RunSettingsError('failurePolicy', label('failurePolicy'), `${label('failurePolicy')} ${failurePolicy}: use ${FAILURE_POLICIES.join(', ')}`);
  }
  const positive = (field: RunSettingsField & NumberField, integer = true): number | undefined => positiveNumber(field, label(field), input[field], integer);
  const concurrency = positive('concurrency');
  const maxAttempts = positive('maxAttempts');
  const minutes = (field: NumberField): number | undefined => {
    const value = positive(field, false);
    return value !== undefined ? value * 60_000 : undefined;
  };
  const [costUsd, tokens, wallMs] = [positive('maxCost', false), positive('maxTokens'), minutes('maxMinutes')];
  const [taskCostUsd, taskTokens, taskWallMs] = [positive('taskMaxCost', false), positive('taskMaxTokens'), minutes('taskMaxMinutes')];
  const budgets: Budgets = {
    ...(costUsd !== undefined ? { costUsd } : {}),
    ...(tokens !== undefined ? { tokens } : {}),
    ...(wallMs !== undefined ? { wallMs } : {}),
    ...(taskCostUsd !== undefined ? { taskCostUsd } : {}),
    ...(taskTokens !== undefined ? { taskTokens } : {}),
    ...(taskWallMs !== undefined ? { taskWallMs } : {}),
  };
  return {
    provider,
    ...(input.model ? { model: input.model } : {}),
    ...(concurrency !== undefined ? { concurrency } : {}),
    ...(maxAttempts !== undefined ? { maxAttempts } : {}),
    ...(failurePolicy !== undefined ? { failurePolicy } : {}),
    includeOptional: Boolean(input.includeOptional),
    writeBack: Boolean(input.writeBack),
    verify: (input.verify ?? []).filter((command) => command.trim().length > 0),
    budgets,
    fileSnapshots: input.fileSnapshots ?? true,
    retryFailed: Boolean(input.retryFailed),
  };
}

type NumberField = 'concurrency' | 'maxAttempts' | 'maxCost' | 'maxTokens' | 'maxMinutes' | 'taskMaxCost' | 'taskMaxTokens' | 'taskMaxMinutes';

function isFailurePolicy(value: string): value is FailurePolicy {
  return (FAILURE_POLICIES as readonly string[]).includes(value);
}

function positiveNumber(field: RunSettingsField, label: string, value: NumberInput, integer: boolean): number | undefined {
  if (value === undefined || value === '') {
    return undefined;
  }
  const number = Number(value);
  if (!Number.isFinite(number) || number <= 0 || (integer && !Number.isInteger(number))) {
    throw new RunSettingsError(field, label, `${label} ${value}: expected a positive ${integer ? 'whole ' : ''}number`);
  }
  return number;
}
