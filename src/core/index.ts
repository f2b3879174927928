/**
 * ACA's core as a library: parse a tasks file into a plan, keep sessions, and run them with coding agents,
 * without VS Code — the same code the extension and the `aca` command use.
 *
 *   const { planFromTasksFile, SessionWriter, createDispatcher, Engine } = require('automatic-coding-agent/core');
 */
export { loadConfig, parseConfig, type AcaConfig } from './config/config';
export {
  Engine,
  predictedFiles,
  type Budgets,
  type EngineEvent,
  type EngineOptions,
  type FailurePolicy,
  type RunSummary,
  type TaskAgent,
} from './engine/engine';
export { forecastRun, type Forecast } from './engine/forecast';
export { planSchema, taskSchema, type Plan, type Task } from './model/plan';
export { planFromTasksFile, type TasksFilePlan } from './plan/buildPlan';
export { parsePlanText, planFormatOf, serializePlan } from './plan/planFile';
export { formatProblem, PlanError, type Problem } from './model/problems';
export { ClaudeCodeProvider, type ClaudeCodeOptions } from './providers/claudeCode';
export { CodexProvider, type CodexOptions } from './providers/codex';
export { AgentDispatcher, type DispatchEvent, type DispatchResult, type DispatchTask, type DispatcherOptions } from './providers/dispatcher';
export { createDispatcher, createProvider } from './providers/factory';
export type { AgentProvider, Detection, ProviderEvent, ProviderName, ProviderResult, TokenUsage } from './providers/provider';
export { rankReady, schedulingGraph, SCORE_WEIGHTS } from './schedule/scheduler';
export type { SessionEvent, SessionState } from './session/events';
export { listSessions, workspaceSessionsRoot, type SessionSummary } from './session/sessions';
export { loadSession, SessionError, SessionWriter } from './session/sessionStore';
export { progressReport, type Progress } from './session/progress';
