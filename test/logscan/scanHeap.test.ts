// The scan's young generation stays at its first size, in the calling thread and after scan workers have
// started (a worker's start resets V8's flags; each scan worker sets it again). Run in child processes:
// the setting is process-wide.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { workerScript } from '../../src/logscan/pool.js';

const ROOT = new URL('../../', import.meta.url);
const scanHeap = new URL('dist/logscan/scanHeap.js', ROOT).href;

/** Young generation size (MiB) of a child's main thread after it kept 30 MB of small objects alive. */
function newSpaceAfterSurvivors(setup: string): number {
  const script = `
    import v8 from 'node:v8';
    import { Worker } from 'node:worker_threads';
    import { keepYoungGenerationSmall, tightHeapGrowth } from ${JSON.stringify(scanHeap)};
    ${setup}
    const keep = [];
    for (let i = 0; i < 4e5; i++) keep.push({ i, s: 'line ' + i });
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(ns.space_size / 2 ** 20);
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Number(r.stdout.trim());
}

describe('keepYoungGenerationSmall', () => {
  it('grows by default (the control), stays at 1 MiB semi-spaces once called, workers or not', () => {
    const worker = workerScript();
    expect(worker, 'compiled worker (npm run build)').not.toBeNull();
    expect(newSpaceAfterSurvivors('')).toBeGreaterThan(4);
    expect(newSpaceAfterSurvivors('keepYoungGenerationSmall();')).toBeLessThanOrEqual(2);
    // A scan worker started early, told to keep it small: it has come online and set the flag again.
    const early = `
      keepYoungGenerationSmall();
      const w = new Worker(new URL(${JSON.stringify((worker as URL).href)}), {
        workerData: { early: true, tightHeap: tightHeapGrowth() },
        execArgv: [],
      });
      await new Promise((resolve) => w.once('online', resolve));
      await new Promise((resolve) => setTimeout(resolve, 200));`;
    expect(newSpaceAfterSurvivors(early)).toBeLessThanOrEqual(2);
  });
});
