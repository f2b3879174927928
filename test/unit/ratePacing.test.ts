import assert from 'node:assert/strict';
import { parseDuration, RatePacer } from '../../src/core/providers/ratePacing';

describe("rate-limit pacing by the APIs' headers", () => {
  const now = Date.parse('2026-11-25T10:00:00Z');

  it("reads OpenAI's reset durations", () => {
    assert.equal(parseDuration('1s'), 1000);
    assert.equal(parseDuration('6m0s'), 360_000);
    assert.equal(parseDuration('1h2m3.5s'), 3_723_500);
    assert.equal(parseDuration('20ms'), 20);
    assert.equal(parseDuration('2'), 2000);
    assert.equal(parseDuration('soon'), undefined);
    assert.equal(parseDuration(''), undefined);
  });

  it("waits until Anthropic's reset when no requests are left", () => {
    const pacer = new RatePacer();
    pacer.observe({ 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-11-25T10:00:05Z' }, now);
    assert.deepEqual(pacer.next(now, 0), { until: now + 5000, reason: 'no requests left in this window' });
    assert.equal(pacer.next(now + 5000, 0), undefined, 'the window has reset');
  });

  it('waits when fewer tokens are left than the next request needs, and not otherwise', () => {
    const pacer = new RatePacer();
    pacer.observe(
      { 'x-ratelimit-remaining-requests': '10', 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-remaining-tokens': '900', 'x-ratelimit-reset-tokens': '6m0s' },
      now,
    );
    assert.equal(pacer.next(now, 500), undefined);
    assert.deepEqual(pacer.next(now, 1200), { until: now + 360_000, reason: '900 tokens left in this window, about 1200 needed' });
  });

  it("takes the lowest of Anthropic's token budgets and the later of two waits", () => {
    const pacer = new RatePacer();
    pacer.observe(
      {
        'anthropic-ratelimit-requests-remaining': '0',
        'anthropic-ratelimit-requests-reset': '2026-11-25T10:00:02Z',
        'anthropic-ratelimit-tokens-remaining': '5000',
        'anthropic-ratelimit-tokens-reset': '2026-11-25T10:00:30Z',
        'anthropic-ratelimit-input-tokens-remaining': '100',
        'anthropic-ratelimit-input-tokens-reset': '2026-11-25T10:00:09Z',
      },
      now,
    );
    assert.equal(pacer.next(now, 1000)?.until, now + 9000);
  });

  it('ignores absent, partial and malformed headers', () => {
    const pacer = new RatePacer();
    pacer.observe(undefined, now);
    pacer.observe({ 'x-ratelimit-remaining-requests': '0' }, now);
    pacer.observe({ 'x-ratelimit-remaining-requests': 'none', 'x-ratelimit-reset-requests': '1s' }, now);
    pacer.observe({ 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': 'tomorrow' }, now);
    assert.equal(pacer.next(now, 10_000), undefined);
  });
});
