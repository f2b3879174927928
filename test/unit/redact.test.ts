/**
 * Redaction of credentials from what ACA writes: each shape it knows, the values of the environment's
 * secrets and of registered ones, ordinary text it must leave alone, and 1 MB of the worst near-miss input
 * for each pattern (every pattern is linear: each must finish well under 2 s).
 */
import assert from 'node:assert/strict';
import { environmentSecrets, isSecretEnvName, redactSecrets, redactStrings, registerSecret, rescanEnvironment } from '../../src/core/common/redact';

describe('redact', () => {
  const shapes: Array<[string, string, string]> = [
    ['an Anthropic key', 'key sk-ant-api03-AbCdEf012345_xyzXYZ-0123456789 used', 'key [REDACTED] used'],
    ['an OpenAI key', 'OPENAI sk-0123456789abcdefABCDEF0123456789abcdefABCDEF', 'OPENAI [REDACTED]'],
    ['an OpenAI project key', 'OPENAI sk-proj-0123456789abcdef_ABCDEF-xyz', 'OPENAI [REDACTED]'],
    ['an AWS access key id', 'id AKIAIOSFODNN7EXAMPLE here', 'id [REDACTED] here'],
    ['an AWS secret key after its name', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key = [REDACTED]'],
    ['an AWS secret key in JSON', '{"SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}', '{"SecretAccessKey": "[REDACTED]"}'],
    ['an npm token', '//registry.npmjs.org/:_authToken=npm_AbCdEf0123456789AbCdEf0123456789AbCd', '//registry.npmjs.org/:_authToken=[REDACTED]'],
    ['a bare npm token', 'npm_AbCdEf0123456789AbCdEf0123456789AbCd', '[REDACTED]'],
    ['a Hugging Face token', 'HF hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567', 'HF [REDACTED]'],
    ['a Slack bot token', 'slack xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp', 'slack [REDACTED]'],
    ['a Slack user token', 'slack xoxp-1234567890-0987654321-AbCdEfGhIjKlMnOp', 'slack [REDACTED]'],
    ['a Slack app token', 'slack xapp-1-A0123456789-0123456789-abcdef0123', 'slack [REDACTED]'],
    ['a GitHub classic token', 'token ghp_0123456789abcdefABCDEF0123456789abcd', 'token [REDACTED]'],
    ['a GitHub OAuth token', 'gho_0123456789abcdefABCDEF0123456789abcd', '[REDACTED]'],
    ['a GitHub app token', 'ghs_0123456789abcdefABCDEF0123456789abcd', '[REDACTED]'],
    ['a GitHub fine-grained token', 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMN', '[REDACTED]'],
    ['a Google API key', 'key=AIzaSyA-0123456789abcdefghijklmnopqrstu', 'key=[REDACTED]'],
    ['a Stripe secret key', 'stripe sk_live_0123456789abcdefABCDEFgh', 'stripe [REDACTED]'],
    ['a JWT', 'jwt eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U ok', 'jwt [REDACTED] ok'],
    ['a Basic authorization header', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'Authorization: Basic [REDACTED]'],
    ['a Bearer authorization header', 'curl -H "Authorization: Bearer abc.def-0123456789"', 'curl -H "Authorization: Bearer [REDACTED]"'],
    ['a bearer token on its own', 'sent Bearer abcdef0123456789xyz', 'sent Bearer [REDACTED]'],
    ['credentials in a URL', 'git clone https://alice:s3cr3t-pass@example.com/repo.git', 'git clone https://alice:[REDACTED]@example.com/repo.git'],
    ['a token as the password of a URL', 'postgres://app:Xy7-long-password@db:5432/main', 'postgres://app:[REDACTED]@db:5432/main'],
    ['a password assignment', 'DB_PASSWORD=hunter2hunter2', 'DB_PASSWORD=[REDACTED]'],
    ['an x-api-key header', '"x-api-key": "abcd1234efgh"', '"x-api-key": "[REDACTED]"'],
    [
      'a private-key block',
      'key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA0123456789abcdef\nq1w2e3r4t5y6\n-----END RSA PRIVATE KEY-----\ndone',
      'key:\n-----BEGIN RSA PRIVATE KEY-----[REDACTED]-----END RSA PRIVATE KEY-----\ndone',
    ],
    ['a private-key block cut short', 'x -----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC', 'x -----BEGIN PRIVATE KEY-----[REDACTED]'],
  ];
  for (const [what, input, expected] of shapes) {
    it(`redacts ${what}`, () => {
      assert.equal(redactSecrets(input), expected);
      assert.equal(redactSecrets(expected), expected, 'redacting twice changes nothing');
    });
  }

  it('leaves ordinary text and code alone: hashes, UUIDs, URLs without credentials, names of credentials', () => {
    const ordinary = [
      'commit 3f786850e387550fdab836ed7e6dc881de23001b (HEAD -> main)',
      'sha256 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'session 0190f5c2-7b1e-7cc3-9a4e-2f6d1c0b8a11 and task 550e8400-e29b-41d4-a716-446655440000',
      'const token = await getToken(config);',
      'if (!apiKey) throw new Error("set ANTHROPIC_API_KEY");',
      'password: process.env.DB_PASSWORD,',
      'api_key = os.environ["OPENAI_API_KEY"]',
      'secret: ${{ secrets.NPM_TOKEN }}',
      'export ANTHROPIC_API_KEY=$ANTHROPIC_API_KEY',
      'headers: { Authorization: `Bearer ${token}` }',
      '"max_tokens": 4096, "input_tokens": 1234, "tokens": 100000',
      'git@github.com:owner/repo.git and http://localhost:8080/path?q=1 and https://example.com/a:b',
      'Basic usage: see the Bearer authentication section; the bearer of bad news.',
      'task-sk-1 is done; skip-list ok; pip install scikit-learn',
      'npm_config_registry=https://registry.npmjs.org/ hf_hub_download(repo_id="x")',
      'color: #ff00ff; version 1.2.3-beta.4; base64 aGVsbG8gd29ybGQ=',
      '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----',
    ];
    for (const text of ordinary) {
      assert.equal(redactSecrets(text), text);
    }
  });

  it("redacts the values of the environment's credentials and of registered secrets, by value", () => {
    const saved = { ...process.env };
    try {
      process.env['MY_SERVICE_TOKEN'] = 'plain-words-no-shape';
      process.env['SOME_PASSWORD'] = 'short'; // too short to redact ordinary words
      process.env['EDITOR'] = 'vim-with-a-long-name';
      rescanEnvironment(); // as a run does when it starts
      assert.ok(
        isSecretEnvName('ANTHROPIC_API_KEY') &&
          isSecretEnvName('aws_secret') &&
          isSecretEnvName('CLAUDE_CODE_OAUTH_TOKEN') &&
          !isSecretEnvName('KEYBOARD') &&
          !isSecretEnvName('TOKENIZER'),
      );
      assert.deepEqual(environmentSecrets({ MY_SERVICE_TOKEN: 'plain-words-no-shape', SOME_PASSWORD: 'short', EDITOR: 'vim-with-a-long-name' }), [
        'plain-words-no-shape',
      ]);
      assert.equal(redactSecrets('got plain-words-no-shape from vim-with-a-long-name, short'), 'got [REDACTED] from vim-with-a-long-name, short');
      registerSecret('stored-in-secret-storage');
      assert.equal(redactSecrets('the key stored-in-secret-storage'), 'the key [REDACTED]');
    } finally {
      for (const name of Object.keys(process.env)) {
        if (!(name in saved)) {
          delete process.env[name];
        }
      }
      rescanEnvironment();
    }
  });

  it('redacts every string of a record before it is serialised, keeping the fields it is told to keep', () => {
    const record = {
      type: 'task_done',
      taskId: 'sk-0123456789abcdefghijk',
      summary: 'used ghp_0123456789abcdefABCDEF0123456789abcd',
      nested: [{ error: 'Authorization: Basic dXNlcjpwYXNzd29yZA==' }],
      n: 3,
      ok: true,
    };
    const redacted = redactStrings(record, new Set(['type', 'taskId']));
    assert.deepEqual(redacted, {
      type: 'task_done',
      taskId: 'sk-0123456789abcdefghijk',
      summary: 'used [REDACTED]',
      nested: [{ error: 'Authorization: Basic [REDACTED]' }],
      n: 3,
      ok: true,
    });
    assert.equal(record.summary, 'used ghp_0123456789abcdefABCDEF0123456789abcd', 'the original is not changed');
  });

  describe('1 MB of near-miss input finishes fast for every pattern', () => {
    const MB = 1 << 20;
    const fill = (unit: string): string => unit.repeat(Math.ceil(MB / unit.length)).slice(0, MB);
    const worst: Array<[string, string]> = [
      ['a run with no digit after sk-', `sk-${fill('a')}`],
      ['sk- starts', fill('sk-a ')],
      ['sk- inside one run', fill('sk-')],
      ['JWT starts without a dot', fill('eyJ-')],
      ['JWT first parts', fill('eyJabcdefgh.')],
      ['a scheme without ://', fill('a')],
      ['URL starts', fill('a://')],
      ['a URL user without a password', `http://${fill('u')}`],
      ['a URL password without @', `http://u:${fill('p')}`],
      ['URLs with colons', fill('a://b:')],
      ['a label followed by spaces', `password${fill(' ')}`],
      ['labels in one run', fill('password=')],
      ['keyword prefixes in one run', fill('my_secret_')],
      ['separators in one run', fill('a-')],
      ['Authorization labels', fill('Authorization: ')],
      ['Bearer words', fill('Bearer ')],
      ['private-key BEGINs without END', fill('-----BEGIN RSA PRIVATE KEY-----')],
      ['BEGINs that are not keys', fill('-----BEGIN ')],
      ['BEGIN then ENDs without a close', `-----BEGIN PRIVATE KEY-----${fill('-----END ')}`],
      ['token prefixes', fill('ghp_npm_hf_xoxb-AIzaAKIA')],
      ['dashes', fill('-')],
    ];
    for (const [what, input] of worst) {
      it(what, function () {
        this.timeout(10_000);
        const started = performance.now();
        // " key" makes every pattern run (texts without any of their literals skip them).
        redactSecrets(`${input} key`, ['an-extra-secret-value']);
        const ms = performance.now() - started;
        assert.ok(ms < 2000, `${what}: ${Math.round(ms)} ms`);
      });
    }
  });
});
