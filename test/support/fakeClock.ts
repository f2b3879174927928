import type { Clock } from '../../src/core/providers/limits';

/** Time stands still until a sleeper advances it: deterministic, and no test waits for real. */
export class FakeClock implements Clock {
  readonly slept: number[] = [];

  constructor(public time = 0) {}

  now(): number {
    return this.time;
  }

  async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) {
      throw signal.reason;
    }
    this.slept.push(ms);
    this.time += ms;
  }
}
