/**
 * Verify commands run without a shell and with an environment without secrets: they run code the agent
 * has just changed (tests, build scripts), and their output goes back to the agent on a retry.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runVerify } from '../../src/core/engine/verify';
import { useTempDirs, withEnv } from '../support/processes';

describe('verify commands', () => {
  const dirs = useTempDirs('ws');

  it('run with an environment without keys and tokens; the rest of the environment stays', async () => {
    const planted = {
      ANTHROPIC_API_KEY: 'sk-ant-api03-plantedplantedplantedplanted',
      GITHUB_TOKEN: 'ghp_plantedplantedplantedplantedplanted12',
      VERIFY_PLAIN: 'kept',
    };
    await withEnv(planted, async () => {
      // The "test" fails and prints its environment, as a test the agent rewrote could.
      await writeFile(path.join(dirs.ws, 'leak.js'), 'console.log(JSON.stringify(process.env)); process.exit(1);\n');
      const result = await runVerify(['node leak.js'], dirs.ws);
      assert.equal(result.ok, false);
      assert.match(result.report, /"VERIFY_PLAIN":"kept"/);
      assert.ok(!result.report.includes('planted'), result.report.slice(0, 500));
    });
  });

  it('refuse shell operators', async () => {
    const result = await runVerify(['npm test && touch pwned'], dirs.ws);
    assert.equal(result.ok, false);
    assert.match(result.report, /"&&" needs a shell/);
  });
});
