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

const REDACTED = '[REDACTED]';

/**
 * Shapes of credentials that may end up in a message (an echoed command line, an HTTP error body, an
 * environment dump). Matching is deliberately generous: a false positive costs a log detail, a false
 * negative leaks a key.
 */
const SECRET_PATTERNS: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{8,}/g, // Anthropic and OpenAI API keys
  /\b(?:ghp|gho|ghu|ghs|github_pat)_[A-Za-z0-9_]{16,}/g, // GitHub tokens
  /\bAKIA[0-9A-Z]{16}\b/g, // AWS access key ids
  /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, // Authorization headers: keep the scheme
  /((?:x-api-key|api[_-]?key|auth[_-]?token|access[_-]?token|secret|password)["']?\s*[:=]\s*["']?)[^\s"',;]{4,}/gi,
];

export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  let result = text;
  for (const secret of extraSecrets) {
    // Short values would redact ordinary words; real keys are long.
    if (secret.length >= 8) {
      result = result.split(secret).join(REDACTED);
    }
  }
  for (const pattern of SECRET_PATTERNS) {
    // A pattern's first group, when it has one, is a label to keep ("Bearer ", "api_key=").
    result = result.replace(pattern, (_match, label: unknown) => (typeof label === 'string' ? label : '') + REDACTED);
  }
  return result;
}

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
