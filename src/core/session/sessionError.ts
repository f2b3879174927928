/** The one error a session folder throws when it cannot be opened as asked, with the reason as data. */
export type SessionFailure = 'locked' | 'future-version' | 'unrecoverable' | 'not-found';

export class SessionError extends Error {
  readonly reason = 'session-error' as const;

  constructor(
    readonly failure: SessionFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SessionError';
  }

  static is(error: unknown): error is SessionError {
    return error instanceof Error && (error as Partial<SessionError>).reason === 'session-error';
  }
}
