// The worker pool: threads claim units from one shared queue; a unit whose worker fails or dies is
// scanned again in the calling thread, so results never depend on a worker's health.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runInPool, runInThread, workerScript } from '../../src/logscan/pool.js';
import { BEHIND_LIMIT } from '../../src/logscan/poolProtocol.js';
import { DEFAULT_UNIT_OPTIONS, type UnitOptions, type UnitResult, type WorkUnit } from '../../src/logscan/unitScan.js';

const FACTS = readFileSync(join(import.meta.dirname, 'data', 'zed-facts.log'));
const opts: UnitOptions = { ...DEFAULT_UNIT_OPTIONS, range: { since: null, until: null } };
const COPIES = 8;

let dir: string;
let units: WorkUnit[];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pool-'));
  const file = join(dir, 'facts.log');
  writeFileSync(file, Buffer.concat(Array.from({ length: COPIES }, () => FACTS)));
  // One unit per copy of the two lines: each starts at a line start.
  units = Array.from({ length: COPIES }, (_, id) => ({
    id,
    input: 0,
    file,
    kind: 'range' as const,
    start: id * FACTS.length,
    end: (id + 1) * FACTS.length,
  }));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A worker script that claims one unit like the real one, leaves a marker file naming it, and then
 * misbehaves instead of scanning it.
 */
function badWorker(name: string, misbehave: string): { script: URL; marker: string } {
  const path = join(dir, `${name}.mjs`);
  const marker = join(dir, `${name}.claimed`);
  writeFileSync(
    path,
    `import { writeFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
const unit = workerData.queue[Atomics.add(workerData.counters, 0, 1)];
writeFileSync(${JSON.stringify(marker)}, String(unit ? unit.id : -1));
${misbehave}
`,
  );
  return { script: pathToFileURL(path), marker };
}

/**
 * Runs the pool with the calling thread held up in its first unit (a busy wait in its progress callback)
 * until the worker has claimed a unit: otherwise this thread may scan the whole queue before any worker
 * has booted, and the test would show nothing.
 */
async function runHeld(script: URL, marker: string) {
  const { results, threads } = await inPool(
    script,
    holdFirstCall(20_000, () => existsSync(marker)),
  );
  return { results, threads, claimed: Number(readFileSync(marker, 'utf8')) };
}

/** The pool's results, as they came. */
async function inPool(script: URL, onBytes: () => void = () => {}) {
  const results: UnitResult[] = [];
  const run = await runInPool(units, opts, 2, script, { onBytes, onResult: (r) => results.push(r) });
  return { results, ...run };
}

async function inThread(): Promise<UnitResult[]> {
  const results: UnitResult[] = [];
  await runInThread(units, opts, { onBytes: () => {}, onResult: (r) => results.push(r) });
  return results;
}

/** A progress callback that busy-waits in its first call for `ms` or until `released()`: a slow calling thread. */
function holdFirstCall(ms: number, released: () => boolean = () => false): () => void {
  let held = false;
  return () => {
    if (held) return;
    held = true;
    const until = Date.now() + ms;
    while (Date.now() < until && !released()) {}
  };
}

const byId = (rs: { id: number }[]) => [...rs].sort((a, b) => a.id - b.id);

describe('the worker pool', () => {
  it('with a real worker: every unit once, the same results as in one thread', async () => {
    const script = workerScript();
    expect(script, 'compiled worker (npm run build)').not.toBeNull();
    const alone = await inThread();
    const { results, threads } = await inPool(script as URL);
    expect(threads).toBe(2);
    expect(byId(results)).toEqual(byId(alone));
    expect(alone.every((r) => r.events.length > 0)).toBe(true);
  });

  it('a worker interprets its units itself while this thread is behind with the recorded ones', async () => {
    const script = workerScript() as URL;
    const alone = await inThread();
    // This thread is held up in its first unit until the worker has had time for all the others: it
    // records BEHIND_LIMIT units, then finds this thread behind and interprets the rest itself.
    const { results, interpretedByWorkers } = await inPool(script, holdFirstCall(1500));
    expect(byId(results)).toEqual(byId(alone));
    expect(interpretedByWorkers).toBeGreaterThan(0);
    expect(interpretedByWorkers).toBeLessThanOrEqual(COPIES - 1 - BEHIND_LIMIT);
  });

  it.each([
    ['dies', 'process.exit(3);'],
    ['throws', "throw new Error('worker broke');"],
    [
      'fails',
      "parentPort.postMessage({ type: 'failed', id: unit.id, message: 'no' }); parentPort.postMessage({ type: 'idle' });",
    ],
  ])('a unit whose worker %s is scanned again here', async (name, misbehave) => {
    const { script, marker } = badWorker(name, misbehave);
    const alone = await inThread();
    const { results, claimed } = await runHeld(script, marker);
    expect(claimed).toBeGreaterThanOrEqual(0);
    expect(results.map((r) => r.id).sort()).toEqual(units.map((u) => u.id));
    expect(byId(results)).toEqual(byId(alone));
  });
});
