/**
 * What kind of failure ended a provider run. Each provider classifies its own CLI's quirks (facts in
 * ../shared/protocols/); the dispatcher decides from the kind alone whether to retry, park, fall back or
 * give up.
 */

export type FailureKind =
  /** The CLI is not installed or cannot be started. */
  | 'not-installed'
  /** Not logged in, a bad key, 401/403. Retrying the same provider cannot help. */
  | 'auth'
  /** A plan's usage limit ("resets 3pm"): the provider is out until `resetsAt`. */
  | 'usage-limit'
  /** 429 after the CLI's own retries. */
  | 'rate-limit'
  /** 529, 5xx, "high demand". */
  | 'server'
  /** A torn or malformed stream, a timeout, a hang ACA had to end. */
  | 'network'
  /** The CLI died without a result (killed from outside, crashed). */
  | 'killed'
  /** A 400-class rejection of the request itself (too long, bad model). */
  | 'bad-request'
  | 'cancelled'
  /** The agent ran and ended without success (max turns, its own error): the task's problem, not the provider's. */
  | 'agent';

export interface FailureInfo {
  readonly kind: FailureKind;
  readonly status?: number;
  /** Epoch ms when a usage limit resets, when the provider said. */
  readonly resetsAt?: number;
}

export function kindFromStatus(status: number | null | undefined): FailureKind | undefined {
  if (!status) {
    return undefined;
  }
  if (status === 401 || status === 403) {
    return 'auth';
  }
  if (status === 429) {
    return 'rate-limit';
  }
  if (status >= 500) {
    return 'server';
  }
  if (status >= 400) {
    return 'bad-request';
  }
  return undefined;
}

const USAGE_LIMIT = /hit your (?:\w+ )?(?:usage |session )?limit|usage limit reached/i;

export function isUsageLimitMessage(message: string): boolean {
  return USAGE_LIMIT.test(message);
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * The reset time in a usage-limit message, as epoch ms: "resets 2:29am (UTC)", "resets 3pm",
 * "try again at 2:30 AM", "try again at Nov 26th, 2026 2:30 AM". A time without a date is its next
 * occurrence after `now`, in UTC when the message says so and in local time otherwise (the CLI ran here).
 */
export function parseResetTime(message: string, now: number): number | undefined {
  const match =
    /(?:resets?|try again at)\s+(?:(?<month>[A-Za-z]{3})[a-z]*\.?\s+(?<day>\d{1,2})(?:st|nd|rd|th)?,?\s+(?:(?<year>\d{4}),?\s+)?)?(?<hour>\d{1,2})(?::(?<minute>\d{2}))?\s*(?<ampm>[ap]\.?m\.?)?(?<utc>\s*\(?UTC\)?)?/i.exec(
      message,
    );
  const groups = match?.groups;
  if (!groups?.['hour']) {
    return undefined;
  }
  let hour = Number(groups['hour']);
  const minute = Number(groups['minute'] ?? 0);
  const ampm = groups['ampm']?.toLowerCase().replace(/\./g, '');
  if (ampm) {
    if (hour < 1 || hour > 12) {
      return undefined;
    }
    hour = (hour % 12) + (ampm === 'pm' ? 12 : 0);
  } else if (!groups['minute']) {
    return undefined; // a bare number ("resets 3") is not a time
  }
  if (hour > 23 || minute > 59) {
    return undefined;
  }
  const utc = Boolean(groups['utc']);
  const base = new Date(now);
  const parts = utc
    ? { year: base.getUTCFullYear(), month: base.getUTCMonth(), day: base.getUTCDate() }
    : { year: base.getFullYear(), month: base.getMonth(), day: base.getDate() };
  const month = groups['month'] ? MONTHS.indexOf(groups['month'].toLowerCase()) : -1;
  const dated = month >= 0 && groups['day'];
  if (dated) {
    parts.month = month;
    parts.day = Number(groups['day']);
    if (groups['year']) {
      parts.year = Number(groups['year']);
    }
  }
  const at = (day: number): number =>
    utc ? Date.UTC(parts.year, parts.month, day, hour, minute) : new Date(parts.year, parts.month, day, hour, minute).getTime();
  let time = at(parts.day);
  if (!dated && time <= now) {
    time = at(parts.day + 1);
  }
  return time;
}
