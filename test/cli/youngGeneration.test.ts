// Each database command's young generation (src/doctor/startup.ts): the TUI lets V8 grow it, repair keeps it at its
// first size, trace lets its new space grow to 16 MiB (8 MiB semi-spaces) and holds it there. Run in child processes: the setting is
// process-wide.
import { describe, expect, it } from 'vitest';
import { newSpaceAfterSurvivors } from '../helpers/youngGeneration.js';

const startup = new URL('../../dist/doctor/startup.js', import.meta.url).href;

/** Young generation size (MiB) of a child after prepareDatabaseWork(work) (see newSpaceAfterSurvivors). */
const afterWork = (work: string, paced = false) =>
  newSpaceAfterSurvivors(
    `import { prepareDatabaseWork } from ${JSON.stringify(startup)}; prepareDatabaseWork(${JSON.stringify(work)});`,
    paced,
  );

describe('prepareDatabaseWork', () => {
  it('lets the TUI young generation grow, keeps repair at 1 MiB semi-spaces, holds trace at a 16 MiB new space', () => {
    expect(afterWork('tui')).toBeGreaterThan(4);
    expect(afterWork('repair')).toBeLessThanOrEqual(2);
    // As a sweep runs: the event loop turns between allocations, and the hold acts from a timer.
    expect(afterWork('tui', true)).toBeGreaterThan(16);
    expect(afterWork('trace', true)).toBe(16);
  });
});
