// The scan's young generation stays at its first size, in the calling thread and after scan workers have
// started (a worker's start resets V8's flags; each scan worker sets it again). Run in child processes:
// the setting is process-wide.
import { describe, expect, it } from 'vitest';
import { workerScript } from '../../src/logscan/pool.js';
import { newSpaceAfterSurvivors } from '../helpers/youngGeneration.js';

const ROOT = new URL('../../', import.meta.url);
const scanHeap = new URL('dist/logscan/scanHeap.js', ROOT).href;

/** Young generation size (MiB) of a child's main thread after `setup` (see newSpaceAfterSurvivors). */
const newSpaceAfter = (setup: string) =>
  newSpaceAfterSurvivors(`
    import { Worker } from 'node:worker_threads';
    import { keepYoungGenerationSmall, tightHeapGrowth } from ${JSON.stringify(scanHeap)};
    ${setup}`);

describe('keepYoungGenerationSmall', () => {
  it('grows by default (the control), stays at 1 MiB semi-spaces once called, workers or not', () => {
    const worker = workerScript();
    expect(worker, 'compiled worker (npm run build)').not.toBeNull();
    expect(newSpaceAfter('')).toBeGreaterThan(4);
    expect(newSpaceAfter('keepYoungGenerationSmall();')).toBeLessThanOrEqual(2);
    // A scan worker started early, told to keep it small: it has come online and set the flag again.
    const early = `
      keepYoungGenerationSmall();
      const w = new Worker(new URL(${JSON.stringify((worker as URL).href)}), {
        workerData: { early: true, tightHeap: tightHeapGrowth() },
        execArgv: [],
      });
      await new Promise((resolve) => w.once('online', resolve));
      await new Promise((resolve) => setTimeout(resolve, 200));`;
    expect(newSpaceAfter(early)).toBeLessThanOrEqual(2);
  });
});

describe('growYoungGenerationTo', () => {
  // The event loop turns between the allocations (paced), as in a sweep: the hold acts from a timer.
  const paced = (setup: string) =>
    newSpaceAfterSurvivors(`import { growYoungGenerationTo } from ${JSON.stringify(scanHeap)}; ${setup}`, true);

  it('lets the young generation grow to the size asked for and holds it there', () => {
    expect(paced('')).toBeGreaterThan(16); // the control: V8 grows it to 32 MiB
    expect(paced('growYoungGenerationTo(4);')).toBe(4);
    expect(paced('growYoungGenerationTo(16);')).toBe(16);
  });
});
