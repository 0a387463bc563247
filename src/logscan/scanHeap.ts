// A scan allocates a lot that dies young (hit lines, headers, decoded messages) and keeps little (events,
// then the report). V8 doubles the young generation each time the objects that survive add up to its size,
// up to two 16 MiB semi-spaces on 64-bit, and a scan's survivors reach that within the first GiB: 30 MiB
// more memory, touched for the first time, for no gain (a scavenge of a 1 MiB semi-space is as quick per
// byte). V8 reads the growth factor each time it would grow the young generation, so setting it here, once
// the isolate exists, works where --max-semi-space-size (read at start-up) would need a node flag.
// Starting a worker thread resets V8's flags for the whole process (seen on Node 20): each scan worker is
// told (tightHeap in its workerData) and sets the flag again as it starts.
// The old generation is kept tight the same way: V8 lets it grow to several times what survived its last full
// collection before the next one, and a streamed scan promotes a unit's events (held until the unit is done)
// that die soon after; growing by 20% instead cut an 8 GiB scan's peak RSS from ~155 to ~115 MiB for ~0.3 s
// of CPU (README, Performance). V8 reads --heap-growing-percent each time it sets the next limit.
import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The old generation's growth a scan allows (the streamed 8 GiB scan above). */
export const SCAN_OLD_GROWTH_PERCENT = 20;

let kept: number | null = null;

/**
 * Keeps every isolate of this process at the young generation it has now (1 MiB semi-spaces when called before
 * much is allocated, as a scan does; a database command is called after the CLI's modules grew its new space to
 * 8 MiB, 4 MiB semi-spaces), and
 * its old generation within `oldGrowthPercent` of what survives a full collection.
 */
export function keepYoungGenerationSmall(oldGrowthPercent = SCAN_OLD_GROWTH_PERCENT): void {
  kept = oldGrowthPercent;
  heldAtMiB = null;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${oldGrowthPercent}`);
}

let heldAtMiB: number | null = null;
let watching: PerformanceObserver | null = null;

/**
 * The young generation's new space now, in MiB: both semi-spaces once V8 uses them (V8's new_space statistics), so
 * twice the semi-space size (a process at its first 1 MiB semi-spaces reports 2).
 */
export function newSpaceMiB(): number {
  const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  return space ? space.space_size / 2 ** 20 : 0;
}

/**
 * Lets the young generation grow (doubling, as V8 does) until its new space reaches `mib` (newSpaceMiB), then
 * holds it there. V8 takes a semi-space size only as a flag at start-up; at run time it can only be let grow or
 * not. It grows only in a scavenge, so the size is looked at after each one (a gc observer, whose entries come as
 * soon as the event loop is free: a sweep waits for the database many times a page) and the growth is stopped once
 * it is there; a check after each instance was too late, as the first page's rows, read before any instance is
 * handed on, took it from 8 to 32 MiB. The observer goes when the size is reached or keepYoungGenerationSmall
 * asks for other limits; a process that never allocates enough keeps it, and it costs nothing without collections.
 */
export function growYoungGenerationTo(mib: number): void {
  heldAtMiB = mib;
  setFlagsFromString('--semi-space-growth-factor=2');
  if (holdYoungGeneration() || watching) return;
  watching = new PerformanceObserver(() => {
    if (holdYoungGeneration()) {
      watching?.disconnect();
      watching = null;
    }
  });
  watching.observe({ entryTypes: ['gc'] });
}

/**
 * Stops the young generation's growth once it reached what growYoungGenerationTo asked for; true when it is held
 * (or nothing is asked any more).
 */
function holdYoungGeneration(): boolean {
  if (heldAtMiB === null) return true;
  if (newSpaceMiB() < heldAtMiB) return false;
  setFlagsFromString('--semi-space-growth-factor=1');
  heldAtMiB = null;
  return true;
}

/** The growth keepYoungGenerationSmall set in this process (null: not called): what a worker started now is told. */
export function tightHeapGrowth(): number | null {
  return kept;
}
