import { redactSecrets } from './redact';

/**
 * The core logs through this port; the extension adapts it to a `LogOutputChannel`, the CLI to stderr,
 * tests to memory. Every message passes through `redactSecrets` first: secrets never reach a log.
 */

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';

export const LOG_LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error'];

export interface Logger {
  trace(message: string): void;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string, error?: unknown): void;
}

export interface LogSink {
  write(level: LogLevel, message: string): void;
}

// Kept here too for the modules that import it with the logger; it lives in redact.ts.
export { redactSecrets } from './redact';

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.stack ?? `${error.name}: ${error.message}`;
  }
  return String(error);
}

/** A logger that prefixes a component name (`[engine] …`) and redacts, writing to a sink. */
export function createLogger(sink: LogSink, component?: string, extraSecrets: () => readonly string[] = () => []): Logger {
  const emit = (level: LogLevel, message: string): void => {
    const prefixed = component ? `[${component}] ${message}` : message;
    sink.write(level, redactSecrets(prefixed, extraSecrets()));
  };
  return {
    trace: (message) => emit('trace', message),
    debug: (message) => emit('debug', message),
    info: (message) => emit('info', message),
    warn: (message) => emit('warn', message),
    error: (message, error) => emit('error', error === undefined ? message : `${message}: ${describeError(error)}`),
  };
}

/** Keeps log lines in memory; for tests and for showing recent lines. */
export class MemoryLogSink implements LogSink {
  readonly lines: Array<{ level: LogLevel; message: string }> = [];

  write(level: LogLevel, message: string): void {
    this.lines.push({ level, message });
  }
}
