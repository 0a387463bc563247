// What the launcher does before the command runs, kept below the faces: the masking of passwords in argv (first),
// and for a scan a young generation kept small and the scan worker booted while the scanner's modules load.

import { setFlagsFromString } from 'node:v8';
import { markScanStart } from '../logscan/cpuProbe.js';
import { prestartScanWorker } from '../logscan/prestart.js';
import { growYoungGenerationTo, keepYoungGenerationSmall, SCAN_OLD_GROWTH_PERCENT } from '../logscan/scanHeap.js';

export { scrubArgvSecrets } from '../db/scrubArgv.js';

/**
 * Before a command that reads the databases: a young generation as small as a scan's, and an old generation that
 * may grow by a share of what survived its last full collection. V8's default lets it grow to several times that:
 * `repair --all --apply` over 10k instances peaked at 294 MiB, 167 MiB with 20%.
 * Each command by its memory goal (issue 16):
 * - `trace` (a sweep) keeps a page of instances alive and must stay under 128 MiB: 20%, as a scan. Looser is
 *   faster but not within it: 100k specs padded to 5.5 KiB (bench/trace/run.mjs, single runs at load 2-4) took
 *   12.0 s of CPU at 116 MiB with 20%, 9.8 s at 133 MiB with 35%, 9.2 s at 138.5 MiB with 50%.
 * - `repair`, `undo` (a page applied at a time) have 256 MiB: 50%. `repair --all --apply` over 50k instances
 *   took 130 s of CPU at 131-135 MiB with 50% (ratio 2.42 to the piped UPDATEs), 150 s at 124 MiB with 20% (3.16).
 * - The TUI keeps a row per listed instance (~80 MiB at 100k), which every full collection marks again: at 20% it
 *   was collected ~200 times in full; at 50% it was ready in 12.3 s instead of 15.3 s (CPU 13.5 s instead of
 *   17.6 s) for 175 MiB of peak RSS instead of 153 (single runs at load ~5).
 */
export const OLD_GROWTH_PERCENT = { trace: SCAN_OLD_GROWTH_PERCENT, repair: 50, tui: 50 } as const;

/**
 * Whether a command lets the young generation grow as V8 does (to 16 MiB semi-spaces) instead of keeping it at its
 * first 1 MiB. The TUI does: its rows survive scavenges while the sweep streams, and each key's frame is ~1 MiB of
 * garbage, so at 1 MiB it was scavenged several times a key. Over a 100k-spec cloud (bench/tui/cloud.mjs, two
 * interleaved runs each, load 4.4-5.9) it was ready in 12.8 and 8.2 s instead of 16.7 and 12.4 s (CPU 10.3 and
 * 8.9 s instead of 13.0 and 12.1 s), a key's CPU median fell (s 13-15 ms instead of 17-29, S 17-21 instead of
 * 33-40) and the slowest j from 122-143 ms to 44-54, for 204-206 MiB of peak RSS instead of 169-172 (its budget is
 * 256). A TUI that scans logs with worker threads is pinned again as they start (scanHeap.ts: a worker resets
 * V8's flags and sets a scan's).
 */
export const YOUNG_GENERATION_GROWS = { trace: false, repair: false, tui: true } as const;

/**
 * New space (both semi-spaces, MiB: newSpaceMiB) a command's young generation may grow to and is then held at
 * (growYoungGenerationTo); null: no such bound. What the flags above hold is what the command starts with: loading
 * the CLI's modules has already grown its new space from 2 to 8 MiB by then (a process that sets the flag before it
 * loads anything stays at 2). A sweep makes several KB of garbage an instance around rows that live until their page
 * is consumed, which each scavenge copies again; let grow as V8 does it reached 32 MiB (V8's 16 MiB semi-spaces).
 * 100k specs (bench/trace/run.mjs data), node's CPU, medians of 3 interleaved runs at load 4.7-5.8: padded to
 * 5.5 KiB, 8 MiB 9.8 s at 95 MiB peak RSS, 16 MiB 8.6 s at 105 MiB (32 MiB: 10.2 s against 11.1 at 120 MiB, 3 runs
 * at load 3.6-4.9); nova-size, 8.0 s at 95 MiB against 7.9 s at 104 MiB.
 */
export const YOUNG_GENERATION_HELD_AT = { trace: 16, repair: null, tui: null } as const;

export function prepareDatabaseWork(work: keyof typeof OLD_GROWTH_PERCENT): void {
  keepYoungGenerationSmall(OLD_GROWTH_PERCENT[work]);
  if (YOUNG_GENERATION_GROWS[work]) setFlagsFromString('--semi-space-growth-factor=2'); // V8's default
  const heldAt = YOUNG_GENERATION_HELD_AT[work];
  if (heldAt !== null) growYoungGenerationTo(heldAt);
}

/** Before a scan's modules load: `files` as named, `threads` as --threads gave it (null: the default). */
export function prepareScan(files: readonly string[], threads: number | null): void {
  markScanStart(); // the probe's window (cpuProbe.ts) starts here at the latest
  keepYoungGenerationSmall(); // before anything allocates much (scanHeap.ts says why)
  prestartScanWorker(files, threads);
}
