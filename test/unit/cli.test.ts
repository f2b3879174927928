import assert from 'node:assert/strict';
import packageJson from '../../package.json';
import { EXIT_BAD_INPUT, createProgram, runCli } from '../../src/cli/main';

function capture(run: () => number): { code: number; out: string; err: string } {
  let out = '';
  let err = '';
  const originalOut = process.stdout.write.bind(process.stdout);
  const originalErr = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((chunk: string | Uint8Array) => ((out += String(chunk)), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((err += String(chunk)), true)) as typeof process.stderr.write;
  try {
    return { code: run(), out, err };
  } finally {
    process.stdout.write = originalOut;
    process.stderr.write = originalErr;
  }
}

describe('aca CLI', () => {
  it('prints the package version', () => {
    const { code, out } = capture(() => runCli(['--version']));
    assert.equal(code, 0);
    assert.equal(out.trim(), packageJson.version);
  });

  it('prints help that names the program', () => {
    const { code, out } = capture(() => runCli(['--help']));
    assert.equal(code, 0);
    assert.match(out, /^Usage: aca /);
    assert.match(createProgram().helpInformation(), /--version/);
  });

  it('exits 2 on bad input and says why', () => {
    const { code, err } = capture(() => runCli(['--no-such-flag']));
    assert.equal(code, EXIT_BAD_INPUT);
    assert.match(err, /unknown option '--no-such-flag'/);
  });
});
