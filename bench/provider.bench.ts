/**
 * ACA's overhead over running `claude -p` by hand: the same scripted task (a Write tool call, then a
 * final answer, from the scripted model server on 127.0.0.1), run alternately through ClaudeCodeProvider
 * and as a raw `claude -p --output-format stream-json` process. Target: ≤ 5 % more wall time.
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ClaudeCodeProvider } from '../src/core/providers/claudeCode';
import { ModelServer } from '../test/support/modelServer';

const RUNS = 8;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const claude = path.resolve('node_modules', '.bin', 'claude');
  const root = await mkdtemp(path.join(os.tmpdir(), 'aca-provider-bench-'));
  const server = await ModelServer.start({ whenExhausted: { type: 'text', text: 'Done.' } });
  const env = {
    HOME: root,
    ANTHROPIC_BASE_URL: server.baseUrl,
    ANTHROPIC_API_KEY: 'sk-test-not-a-real-key',
    CLAUDE_CODE_MAX_RETRIES: '0',
    DISABLE_TELEMETRY: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
  };
  const provider = new ClaudeCodeProvider({ executable: claude, model: 'claude-sonnet-4-5', env });
  const raw: number[] = [];
  const aca: number[] = [];
  try {
    for (let run = 0; run < RUNS + 1; run++) {
      const cwd = await mkdtemp(path.join(root, 'ws-'));
      const script = (): void =>
        server.enqueue({ type: 'tool', name: 'Write', input: { file_path: path.join(cwd, 'out.txt'), content: 'x' } }, { type: 'text', text: 'Done.' });
      // Alternate the order so that neither side always runs on a warmer machine.
      const sides: Array<[number[], () => Promise<void>]> = [
        [
          raw,
          async () =>
            void (await execa(
              claude,
              ['-p', '--output-format', 'stream-json', '--verbose', '--permission-mode', 'acceptEdits', '--model', 'claude-sonnet-4-5'],
              { cwd, env, input: 'Write out.txt' },
            )),
        ],
        [
          aca,
          async () => {
            const events = provider.run({ prompt: 'Write out.txt', cwd });
            for (let next = await events.next(); !next.done; next = await events.next()) {
              // drain
            }
          },
        ],
      ];
      for (const [times, side] of run % 2 === 0 ? sides : [...sides].reverse()) {
        script();
        const started = performance.now();
        await side();
        if (run > 0) {
          times.push(performance.now() - started); // run 0 warms the disk cache and the JIT
        }
      }
    }
  } finally {
    await server.close();
    await rm(root, { recursive: true, force: true });
  }
  const overhead = (median(aca) / median(raw) - 1) * 100;
  console.log(`provider overhead (claude-code, ${RUNS} alternating runs, median)`);
  console.log(
    `  raw claude -p: ${median(raw).toFixed(0)} ms; through ACA: ${median(aca).toFixed(0)} ms; overhead ${overhead.toFixed(1)} %   target ≤ 5 %: ${overhead <= 5 ? 'met' : `missed by ${(overhead - 5).toFixed(1)} points`}`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
