/** Why a provider call failed, as data: the UI turns the reason into a sentence. */
export type ProviderFailure = 'not-found' | 'failed' | 'timed-out' | 'cancelled' | 'bad-output';

export class ProviderError extends Error {
  readonly reason = 'provider-error' as const;

  constructor(
    readonly provider: string,
    readonly failure: ProviderFailure,
    message: string,
  ) {
    super(`${provider}: ${message}`);
    this.name = 'ProviderError';
  }

  static is(error: unknown): error is ProviderError {
    return error instanceof Error && (error as Partial<ProviderError>).reason === 'provider-error';
  }
}
