// Each database command's young generation (src/doctor/startup.ts): the TUI lets V8 grow it, the CLI's commands
// keep it at its first size. Run in child processes: the setting is process-wide.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const startup = new URL('../../dist/doctor/startup.js', import.meta.url).href;

/** Young generation size (MiB) of a child after prepareDatabaseWork(work) and 30 MB of small objects kept alive. */
function newSpaceAfterSurvivors(work: string): number {
  const script = `
    import v8 from 'node:v8';
    import { prepareDatabaseWork } from ${JSON.stringify(startup)};
    prepareDatabaseWork(${JSON.stringify(work)});
    const keep = [];
    for (let i = 0; i < 4e5; i++) keep.push({ i, s: 'line ' + i });
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(ns.space_size / 2 ** 20);
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Number(r.stdout.trim());
}

describe('prepareDatabaseWork', () => {
  it('lets the TUI young generation grow, keeps trace and repair at 1 MiB semi-spaces', () => {
    expect(newSpaceAfterSurvivors('tui')).toBeGreaterThan(4);
    expect(newSpaceAfterSurvivors('trace')).toBeLessThanOrEqual(2);
    expect(newSpaceAfterSurvivors('repair')).toBeLessThanOrEqual(2);
  });
});
