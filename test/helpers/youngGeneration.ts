// The young generation's size in a fresh child process (V8's heap flags are process-wide), after `prelude` (imports
// and the setting under test) and 30 MB of small objects kept alive: a generation V8 lets grow is well over 4 MiB
// by then, one held at its first 1 MiB semi-spaces at most 2. `paced`: 90 MB instead, allocated in 300 steps with
// the event loop turning between them (as a sweep waits for the database), for settings that act from a timer.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';

export function newSpaceAfterSurvivors(prelude: string, paced = false): number {
  const allocate = paced
    ? `for (let step = 0; step < 300; step++) {
         for (let i = 0; i < 4e3; i++) keep.push({ i, s: 'line ' + i });
         await new Promise((resolve) => setTimeout(resolve, 1));
       }`
    : `for (let i = 0; i < 4e5; i++) keep.push({ i, s: 'line ' + i });`;
  const script = `
    import v8 from 'node:v8';
    ${prelude}
    const keep = [];
    ${allocate}
    const ns = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
    console.log(ns.space_size / 2 ** 20);
    process.exit(0);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  return Number(r.stdout.trim());
}
