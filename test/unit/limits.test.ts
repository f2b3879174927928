import assert from 'node:assert/strict';
import { backoffDelay, CircuitBreaker, ProviderLimiter, TokenBucket } from '../../src/core/providers/limits';
import { FakeClock } from '../support/fakeClock';

describe('provider limits', () => {
  it('a token bucket waits for capacity instead of rejecting, refilling continuously', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(10, 10 / 60_000, clock); // 10 per minute
    for (let i = 0; i < 10; i++) {
      await bucket.take(1);
    }
    assert.deepEqual(clock.slept, [], 'a full bucket serves at once');
    await bucket.take(1);
    assert.deepEqual(clock.slept, [6000], 'the eleventh waits one refill interval (6 s), not a minute');
    assert.equal(bucket.waitTime(5), 30_000);
  });

  it('serves takers in arrival order and caps amounts at the capacity', async () => {
    const clock = new FakeClock();
    const bucket = new TokenBucket(100, 100 / 60_000, clock);
    const order: string[] = [];
    await bucket.take(100);
    await Promise.all([bucket.take(60).then(() => order.push('big')), bucket.take(1).then(() => order.push('small'))]);
    assert.deepEqual(order, ['big', 'small']);
    await bucket.take(10_000); // more than the bucket holds: waits for a full bucket, not forever
    assert.ok(clock.time <= 3 * 60_000);
  });

  it('a limiter caps concurrency and meters requests and tokens', async () => {
    const clock = new FakeClock();
    const limiter = new ProviderLimiter({ requestsPerMinute: 60, tokensPerMinute: 1000, maxConcurrent: 2 }, clock);
    const first = await limiter.acquire(400);
    const second = await limiter.acquire(400);
    assert.equal(limiter.running, 2);
    let thirdIn = false;
    const third = limiter.acquire(400).then((release) => ((thirdIn = true), release));
    await Promise.resolve();
    assert.equal(thirdIn, false, 'the third waits for a slot');
    first();
    const release = await third;
    assert.ok(clock.time >= 12_000, 'and then for 200 tokens to refill (12 s at 1000/min)');
    second();
    release();
    release();
    assert.equal(limiter.running, 0, 'releasing twice counts once');
  });

  it('an aborted wait gives its slot back', async () => {
    const clock = new FakeClock();
    const limiter = new ProviderLimiter({ requestsPerMinute: 1, maxConcurrent: 1 }, clock);
    (await limiter.acquire(0))();
    await assert.rejects(limiter.acquire(0, AbortSignal.abort(new Error('cancelled'))), /cancelled/);
    assert.equal(limiter.running, 0);
  });

  it('a circuit breaker opens after repeated failures, half-opens after the cooldown, closes on success', () => {
    const clock = new FakeClock();
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 60_000 }, clock);
    breaker.recordFailure();
    breaker.recordFailure();
    assert.equal(breaker.state, 'closed');
    breaker.recordFailure();
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.canUse(), false);
    assert.equal(breaker.retryInMs, 60_000);
    clock.time += 60_000;
    assert.equal(breaker.state, 'half-open');
    breaker.recordFailure();
    assert.equal(breaker.state, 'open', 'a failed trial opens it again at once');
    clock.time += 60_000;
    breaker.recordSuccess();
    assert.equal(breaker.state, 'closed');
  });

  it('backs off exponentially with full jitter, capped, never below retry-after', () => {
    assert.equal(
      backoffDelay(1, { baseMs: 1000, maxMs: 30_000 }, () => 1),
      1000,
    );
    assert.equal(
      backoffDelay(4, { baseMs: 1000, maxMs: 30_000 }, () => 1),
      8000,
    );
    assert.equal(
      backoffDelay(10, { baseMs: 1000, maxMs: 30_000 }, () => 1),
      30_000,
    );
    assert.equal(
      backoffDelay(3, { baseMs: 1000, maxMs: 30_000 }, () => 0.5),
      2000,
    );
    assert.equal(
      backoffDelay(1, { baseMs: 1000, maxMs: 30_000, retryAfterMs: 20_000 }, () => 0.1),
      20_000,
    );
  });
});
