/**
 * Redaction of credentials from every text ACA writes to a file or a log: the shapes of known key
 * formats, labelled values (`api_key = …`, `Authorization: …`), credentials in URLs, private-key blocks,
 * and the exact values of the secrets this process knows (its environment's keys and tokens, and the keys
 * the extension took from VS Code's SecretStorage).
 *
 * Every pattern runs in linear time on any input: a scan over a run of characters starts only at the
 * beginning of that run (a lookbehind of the run's own class), so no run is scanned again from each of
 * its positions, and conditions that could fail after a long scan (a digit somewhere in the value) are
 * checked on the match, in the replacer, never by a lookahead.
 */

export const REDACTED = '[REDACTED]';

/** Environment variables that hold credentials, whatever their name says. */
const SECRET_ENV = [
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'OPENAI_API_KEY',
  'CODEX_API_KEY',
  'OLLAMA_API_KEY',
  'LOCAL_MODEL_API_KEY',
];

/** `*_KEY`, `*_TOKEN`, `*_SECRET`, `*_PASSWORD`… (any case): the names a credential goes by. */
const SECRET_ENV_NAME = /(?:^|_)(?:KEY|APIKEY|TOKEN|SECRET|PASSWORD|PASSWD|PASS|CREDENTIALS?|PAT)$/i;

/** Values shorter than this are never redacted by value: they would hide ordinary words. */
const MIN_SECRET_LENGTH = 8;

export function isSecretEnvName(name: string): boolean {
  return SECRET_ENV.includes(name) || SECRET_ENV_NAME.test(name);
}

// The environment's credentials, found once (reading the environment costs microseconds, too much for every
// event written); a run looks again as it starts, so a variable set before a run is covered by that run.
let environmentSecretValues: readonly string[] | undefined;

/** Looks through the environment again: credentials set since the last look are covered. */
export function rescanEnvironment(): void {
  environmentSecretValues = scanEnvironment();
}

function scanEnvironment(): readonly string[] {
  return secretValuesOf(process.env, [...new Set([...SECRET_ENV, ...Object.keys(process.env).filter(isSecretEnvName)])]);
}

/** The values of the environment's credentials (process.env's as last scanned, unless another is given), redacted wherever they appear. */
export function environmentSecrets(env?: NodeJS.ProcessEnv): string[] {
  if (env) {
    return secretValuesOf(env, Object.keys(env).filter(isSecretEnvName));
  }
  environmentSecretValues ??= scanEnvironment();
  return [...environmentSecretValues];
}

function secretValuesOf(env: NodeJS.ProcessEnv, names: readonly string[]): string[] {
  const values: string[] = [];
  for (const name of names) {
    const value = env[name];
    if (value && value.length >= MIN_SECRET_LENGTH) {
      values.push(value);
    }
  }
  return values;
}

// Secrets handed over at run time (the extension's stored API keys). A process-wide set on purpose: a
// key the process knows must be hidden from every writer, and no writer can then forget to be told.
// Kept on globalThis: the extension host loads the core twice (dist/extension.js and, on the first run,
// dist/runtime.js), and a key registered by one bundle must be redacted by the other's writers too.
const REGISTERED = Symbol.for('aca.redact.registeredSecrets');
const registered: Set<string> = ((globalThis as { [REGISTERED]?: Set<string> })[REGISTERED] ??= new Set<string>());

/** Remembers a secret value (an API key from SecretStorage) so that it is redacted from everything ACA writes. */
export function registerSecret(value: string | undefined): void {
  if (value && value.trim().length >= MIN_SECRET_LENGTH) {
    registered.add(value.trim());
  }
}

/** Every secret value this process knows now: registered ones and the environment's. */
export function knownSecrets(): string[] {
  return [...registered, ...environmentSecrets()];
}

const RUN = '(?<![A-Za-z0-9_-])'; // the start of a run of token characters
const hasDigit = (text: string): boolean => /\d/.test(text);
const isReference = (text: string): boolean => /^[$%]/.test(text); // `$TOKEN`, `%API_KEY%`: a name, not a value

interface SecretPattern {
  /** With `labelled`, group 1 is a label kept in front of the redaction ("Bearer ") and group 2 the value. */
  readonly pattern: RegExp;
  readonly labelled?: boolean;
  /** Whether a match is a secret (checked after matching, to stay linear); all matches when absent. */
  readonly accept?: (value: string) => boolean;
}

/** Shapes of credentials. Matching is generous: a false positive costs a detail, a false negative leaks a key. */
const SECRET_PATTERNS: readonly SecretPattern[] = [
  // Anthropic (sk-ant-…), OpenAI (sk-…, sk-proj-…, sk-svcacct-…): real keys are long and have digits.
  { pattern: new RegExp(`${RUN}sk-[A-Za-z0-9_-]{20,}`, 'g'), accept: hasDigit },
  // Stripe secret and restricted keys; webhook secrets.
  { pattern: new RegExp(`${RUN}(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|${RUN}whsec_[A-Za-z0-9]{24,}`, 'g') },
  // GitHub: classic and fine-grained tokens.
  { pattern: new RegExp(`${RUN}(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})`, 'g') },
  // npm and Hugging Face tokens.
  { pattern: new RegExp(`${RUN}(?:npm|hf)_[A-Za-z0-9]{30,}`, 'g') },
  // Slack bot, user, app… tokens.
  { pattern: new RegExp(`${RUN}(?:xox[abposre]|xapp)-[A-Za-z0-9-]{10,}`, 'g') },
  // Google API keys.
  { pattern: new RegExp(`${RUN}AIza[A-Za-z0-9_-]{30,}`, 'g') },
  // AWS access key ids.
  { pattern: /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![A-Za-z0-9])/g },
  // JSON Web Tokens: header.payload[.signature], both base64url JSON objects.
  { pattern: new RegExp(`${RUN}eyJ[A-Za-z0-9_-]{6,}\\.eyJ[A-Za-z0-9_-]{6,}(?:\\.[A-Za-z0-9_-]*)?`, 'g') },
  // Authorization headers, whatever the scheme (Basic, Bearer, Token…): the scheme is kept.
  {
    pattern: /(\b(?:Proxy-)?Authorization["'`]?\s*[:=]\s*["'`]?(?:(?:Basic|Bearer|Token|Digest|Bot|Negotiate)\s+)?)([^\s"'`,;(){}<>[\]]{6,})/gi,
    labelled: true,
    // The scheme alone is a value when the token after it was not one (`Bearer ${token}`, already redacted).
    accept: (value) => !isReference(value) && !/^(?:Basic|Bearer|Token|Digest|Bot|Negotiate)$/i.test(value),
  },
  // A bearer token on its own (`curl -H "…Bearer …"`, an echoed header).
  { pattern: /(\bBearer\s+)([A-Za-z0-9._~+/=-]{12,})/g, labelled: true, accept: hasDigit },
  // Credentials in a URL: `scheme://user:password@host` keeps the user.
  { pattern: /(?<![A-Za-z0-9+.-])([A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s/:@]*:)([^\s/@]+)(?=@)/g, labelled: true, accept: (value) => !isReference(value) },
  // A value after a name that says it is a credential: `aws_secret_access_key = …`, `"password": "…"`,
  // `ANTHROPIC_API_KEY=…`. Values without a digit are kept: code says `token = await getToken()` all the time.
  {
    pattern: new RegExp(
      `${RUN}((?:[A-Za-z0-9_-]*[_-])?(?:api[_-]?key|apikey|secret[_-]?access[_-]?key|secret[_-]?key|access[_-]?key|private[_-]?key|signing[_-]?key|client[_-]?secret|secret|password|passwd|pwd|(?:auth|access|refresh|id|session|bearer)[_-]?token|token|credentials?)["'\`]?\\s*[:=]\\s*["'\`]?)([^\\s"'\`,;(){}<>[\\]]{6,})`,
      'gi',
    ),
    labelled: true,
    accept: (value) => hasDigit(value) && !isReference(value),
  },
];

/** A literal every pattern above needs (case-insensitive, like the labels): texts without one are left as they are. */
const MAY_HOLD_A_SECRET =
  /sk-|sk_|rk_|whsec_|gh[pousr]_|github_pat_|npm_|hf_|xox|xapp-|AIza|A[KSBC][IC]A|eyJ|authorization|bearer|:\/\/|key|secret|passw|pwd|token|credential/i;

/**
 * Private-key blocks, found with indexOf (a lazy regex over the block would rescan the text from every
 * BEGIN without an END). A block cut short (no END) is redacted to the end of the text.
 */
function redactPrivateKeys(text: string): string {
  if (!text.includes('PRIVATE KEY')) {
    return text;
  }
  let out = '';
  let from = 0;
  for (;;) {
    const begin = text.indexOf('-----BEGIN ', from);
    const headerEnd = begin < 0 ? -1 : text.indexOf('-----', begin + 11);
    if (headerEnd < 0) {
      break;
    }
    if (!/^[A-Z0-9 ]{0,40}PRIVATE KEY$/.test(text.slice(begin + 11, headerEnd))) {
      out += text.slice(from, headerEnd);
      from = headerEnd;
      continue;
    }
    const end = text.indexOf('-----END ', headerEnd + 5);
    const close = end < 0 ? -1 : text.indexOf('-----', end + 9);
    out += `${text.slice(from, headerEnd + 5)}${REDACTED}`;
    if (close < 0) {
      return out; // cut short: everything after BEGIN is key material
    }
    out += text.slice(end, close + 5);
    from = close + 5;
  }
  return out + text.slice(from);
}

/** `text` with every credential it holds replaced by [REDACTED]; `extraSecrets` are exact values to hide too. */
export function redactSecrets(text: string, extraSecrets: readonly string[] = []): string {
  return redactWith(text, [...knownSecrets(), ...extraSecrets]);
}

function redactWith(text: string, secrets: readonly string[]): string {
  if (text.length < 6) {
    return text;
  }
  let result = text;
  for (const secret of secrets) {
    // Short values would redact ordinary words; real keys are long.
    if (secret.length >= MIN_SECRET_LENGTH && result.includes(secret)) {
      result = result.split(secret).join(REDACTED);
    }
  }
  result = redactPrivateKeys(result);
  if (!MAY_HOLD_A_SECRET.test(result)) {
    return result; // most texts: one scan instead of one per pattern
  }
  for (const { pattern, labelled, accept } of SECRET_PATTERNS) {
    result = result.replace(pattern, (match: string, ...groups: unknown[]) => {
      const label = labelled ? (groups[0] as string) : '';
      if (accept && !accept(labelled ? (groups[1] as string) : match)) {
        return match;
      }
      return label + REDACTED;
    });
  }
  return result;
}

/**
 * A copy of a JSON-like value with every string redacted (object keys stay): for records redacted before
 * they are serialised, so that the file's format (a checksum, JSON escapes) stays whole. Values under
 * `keep` keys are copied as they are (identifiers, hashes, the user's own plan).
 */
export function redactStrings<T>(value: T, keep: ReadonlySet<string> = new Set(), extraSecrets: readonly string[] = []): T {
  const secrets = [...knownSecrets(), ...extraSecrets];
  const walk = (item: unknown): unknown => {
    if (typeof item === 'string') {
      return redactWith(item, secrets);
    }
    if (Array.isArray(item)) {
      return item.map(walk);
    }
    if (item !== null && typeof item === 'object') {
      const copy: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(item)) {
        copy[key] = keep.has(key) ? field : walk(field);
      }
      return copy;
    }
    return item;
  };
  return walk(value) as T;
}
