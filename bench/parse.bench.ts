/**
 * `npm run bench`: read (detect the format, then parse) a generated tasks file of mixed formats at two sizes in one run, and report the
 * time for the large one (target ≤ 1 s for 5 MB / 100 000 items) and the ratio to the small one (linear:
 * 10× the input in ≤ 11× the time). Ratios in one run, because machines are noisy; never a test.
 */
import { performance } from 'node:perf_hooks';
import { readTasksText } from '../src/core/parse/readTasks';
import { generateTasksFile } from './generateTasksFile';

function timeParse(text: string, runs: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < runs; run++) {
    // Each run starts from a collected heap (node --expose-gc), so neither size pays for the garbage
    // the run before it left.
    (globalThis as { gc?: () => void }).gc?.();
    const started = performance.now();
    const parsed = readTasksText(text, { file: 'bench.md' });
    const elapsed = performance.now() - started;
    if (parsed.tasks.length === 0) {
      throw new Error('the generated file gave no tasks');
    }
    best = Math.min(best, elapsed);
  }
  return best;
}

function main(): void {
  const large = generateTasksFile(100_000);
  const small = generateTasksFile(10_000);
  const mb = (text: string): string => (Buffer.byteLength(text) / 1024 / 1024).toFixed(2);
  timeParse(small, 3); // warm up the JIT
  const smallMs = timeParse(small, 9);
  const largeMs = timeParse(large, 5);
  const tasks = readTasksText(large, { file: 'bench.md' }).tasks.length;
  const ratio = largeMs / smallMs;
  console.log('parse (best of runs, one process)');
  console.log(`  small: ${mb(small)} MB, 10 000 items: ${smallMs.toFixed(0)} ms`);
  console.log(
    `  large: ${mb(large)} MB, 100 000 items (${tasks} tasks): ${largeMs.toFixed(0)} ms   target ≤ 1000 ms: ${largeMs <= 1000 ? 'met' : `missed by ${(largeMs - 1000).toFixed(0)} ms`}`,
  );
  console.log(`  ratio large/small: ${ratio.toFixed(2)}×   target ≤ 11×: ${ratio <= 11 ? 'met' : 'missed'}`);
}

main();
