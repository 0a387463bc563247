// What the launcher does before the command runs, kept below the faces: the masking of passwords in argv (first),
// and for a scan a young generation kept small and the scan worker booted while the scanner's modules load.
import { markScanStart } from '../logscan/cpuProbe.js';
import { prestartScanWorker } from '../logscan/prestart.js';
import { keepYoungGenerationSmall } from '../logscan/scanHeap.js';

export { scrubArgvSecrets } from '../db/scrubArgv.js';

/**
 * Before a command that reads the databases (a sweep, a repair, the TUI): a young generation as small as a scan's,
 * and an old generation allowed to grow by half of what survived. What such a command keeps alive is small (a
 * page of instances) or, in the TUI, a row per listed instance, but V8 lets the old generation grow to several
 * times what survived before it collects: `repair --all --apply` over 10k instances peaked at 294 MiB, 167 MiB
 * with a tight heap. A scan's 20% is too tight here: the TUI over 100k instances keeps ~80 MiB of rows, which
 * every full collection marks again (1,134 collections, 198 of them full); at 50% it was ready in 12.3 s instead
 * of 15.3 s (CPU 13.5 s instead of 17.6 s, peak RSS 175 instead of 153 MiB), and the CLI sweep's peak RSS went
 * from 105 to 111-114 MiB for no change in its CPU (100k instances, single runs at load ~5).
 */
export const DATABASE_OLD_GROWTH_PERCENT = 50;

export function prepareDatabaseWork(): void {
  keepYoungGenerationSmall(DATABASE_OLD_GROWTH_PERCENT);
}

/** Before a scan's modules load: `files` as named, `threads` as --threads gave it (null: the default). */
export function prepareScan(files: readonly string[], threads: number | null): void {
  markScanStart(); // the probe's window (cpuProbe.ts) starts here at the latest
  keepYoungGenerationSmall(); // before anything allocates much (scanHeap.ts says why)
  prestartScanWorker(files, threads);
}
