// Each database command's young generation (src/doctor/startup.ts): the TUI lets V8 grow it, the CLI's commands
// keep it at its first size. Run in child processes: the setting is process-wide.
import { describe, expect, it } from 'vitest';
import { newSpaceAfterSurvivors } from '../helpers/youngGeneration.js';

const startup = new URL('../../dist/doctor/startup.js', import.meta.url).href;

/** Young generation size (MiB) of a child after prepareDatabaseWork(work) (see newSpaceAfterSurvivors). */
const afterWork = (work: string) =>
  newSpaceAfterSurvivors(
    `import { prepareDatabaseWork } from ${JSON.stringify(startup)}; prepareDatabaseWork(${JSON.stringify(work)});`,
  );

describe('prepareDatabaseWork', () => {
  it('lets the TUI young generation grow, keeps trace and repair at 1 MiB semi-spaces', () => {
    expect(afterWork('tui')).toBeGreaterThan(4);
    expect(afterWork('trace')).toBeLessThanOrEqual(2);
    expect(afterWork('repair')).toBeLessThanOrEqual(2);
  });
});
