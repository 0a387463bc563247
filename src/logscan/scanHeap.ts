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
import { setFlagsFromString } from 'node:v8';

/** The old generation's growth a scan allows (the streamed 8 GiB scan above). */
export const SCAN_OLD_GROWTH_PERCENT = 20;

let kept: number | null = null;

/**
 * Keeps every isolate of this process at its initial young generation (1 MiB semi-spaces), and its old
 * generation within `oldGrowthPercent` of what survives a full collection.
 */
export function keepYoungGenerationSmall(oldGrowthPercent = SCAN_OLD_GROWTH_PERCENT): void {
  kept = oldGrowthPercent;
  setFlagsFromString('--semi-space-growth-factor=1');
  setFlagsFromString(`--heap-growing-percent=${oldGrowthPercent}`);
}

/** The growth keepYoungGenerationSmall set in this process (null: not called): what a worker started now is told. */
export function tightHeapGrowth(): number | null {
  return kept;
}
