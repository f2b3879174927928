import assert from 'node:assert/strict';
import { classifyClaudeResult, claudeResultSchema } from '../../src/core/providers/claudeCode';
import { classifyCodexFailure } from '../../src/core/providers/codex';
import { parseResetTime } from '../../src/core/providers/failures';

describe('provider failure kinds', () => {
  // 2026-11-25 10:15 UTC
  const now = Date.UTC(2026, 10, 25, 10, 15);

  it('reads the reset time of a usage limit in the forms the CLIs print', () => {
    assert.equal(
      parseResetTime("You've hit your session limit · resets 2:29am (UTC)", now),
      Date.UTC(2026, 10, 26, 2, 29),
      'a time already past today is tomorrow',
    );
    assert.equal(parseResetTime('limit reached · resets 3pm (UTC)', now), Date.UTC(2026, 10, 25, 15, 0));
    const local = parseResetTime('You’ve hit your usage limit. … or try again at 2:30 PM.', now)!;
    const expected = new Date(now);
    expected.setHours(14, 30, 0, 0);
    if (expected.getTime() <= now) {
      expected.setDate(expected.getDate() + 1);
    }
    assert.equal(local, expected.getTime(), 'without "UTC" the time is local, as the CLI printed it here');
    assert.equal(parseResetTime('try again at Nov 27th, 2026 9:05 AM (UTC)', now), Date.UTC(2026, 10, 27, 9, 5));
    assert.equal(parseResetTime('resets 3', now), undefined);
    assert.equal(parseResetTime('resets 13pm', now), undefined);
    assert.equal(parseResetTime('no time here', now), undefined);
  });

  it('classifies Claude Code results by api_error_status, rate-limit events and text', () => {
    const result = (fields: Record<string, unknown>) => claudeResultSchema.parse({ type: 'result', subtype: 'success', is_error: true, ...fields });
    const cases: Array<[Record<string, unknown>, number | undefined, string]> = [
      [{ api_error_status: 401, result: 'Invalid API key · Fix external API key' }, undefined, 'auth'],
      [{ api_error_status: null, result: 'Not logged in · Please run /login' }, undefined, 'auth'],
      [{ api_error_status: 403, result: 'Failed to authenticate. API Error: 403' }, undefined, 'auth'],
      [{ api_error_status: 429, result: 'API Error: Request rejected (429) · rate limited' }, undefined, 'rate-limit'],
      [{ api_error_status: 429, result: "You've hit your session limit · resets 2:29am (UTC)" }, 1_800_000_000_000, 'usage-limit'],
      [{ api_error_status: 529, result: 'API Error: 529 Overloaded' }, undefined, 'server'],
      [{ api_error_status: 500, result: 'API Error: 500' }, undefined, 'server'],
      [{ api_error_status: 400, result: 'API Error: 400 prompt is too long' }, undefined, 'bad-request'],
      [{ api_error_status: null, result: 'API Error: Failed to parse JSON' }, undefined, 'network'],
      [{ subtype: 'error_max_turns', result: 'stopped' }, undefined, 'agent'],
    ];
    for (const [fields, resetsAt, kind] of cases) {
      const parsed = result(fields);
      const info = classifyClaudeResult(parsed, parsed.result ?? parsed.subtype, resetsAt, now);
      assert.equal(info.kind, kind, JSON.stringify(fields));
    }
    const limited = classifyClaudeResult(result({ api_error_status: 429, result: 'x' }), 'x', 1_800_000_000_000, now);
    assert.equal(limited.resetsAt, 1_800_000_000_000, 'the rate_limit_event reset wins over the text');
  });

  it('classifies Codex failures by their text (it reports no status field)', () => {
    const cases: Array<[string, string]> = [
      ['unexpected status 401 Unauthorized: bad key', 'auth'],
      ['Missing environment variable: `SCRIPTED_OPENAI_KEY`.', 'auth'],
      ['exceeded retry limit, last status: 429 Too Many Requests', 'rate-limit'],
      ['You’ve hit your usage limit. Upgrade to Pro … or try again at 2:30 AM.', 'usage-limit'],
      ["We're currently experiencing high demand, which may cause temporary errors.", 'server'],
      ['exceeded retry limit, last status: 500 Internal Server Error', 'server'],
      ['stream disconnected before completion: stream closed before response.completed', 'network'],
      ['unexpected status 400 Bad Request: {"error":"bad"}', 'bad-request'],
      ['I could not finish', 'agent'],
    ];
    for (const [message, kind] of cases) {
      assert.equal(classifyCodexFailure(message, now).kind, kind, message);
    }
    assert.ok(classifyCodexFailure('You’ve hit your usage limit. try again at 2:30 AM.', now).resetsAt! > now);
  });
});
