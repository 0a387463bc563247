// What the launcher does before the command runs, kept below the faces: the masking of passwords in argv (first),
// and for a scan a young generation kept small and the scan worker booted while the scanner's modules load.
import { markScanStart } from '../logscan/cpuProbe.js';
import { prestartScanWorker } from '../logscan/prestart.js';
import { keepYoungGenerationSmall } from '../logscan/scanHeap.js';

export { scrubArgvSecrets } from '../db/scrubArgv.js';

/**
 * Before a command that reads the databases (a sweep, a repair): the same tight heap as a scan. What such a
 * command keeps alive is small (a page of instances), but V8 lets the old generation grow to several times what
 * survived before it collects: `repair --all --apply` over 10k instances peaked at 294 MiB, 167 MiB with this
 * (and completes with the old generation capped at 96 MiB: the rest was garbage). The spec reader's worker is
 * told, as scan workers are (a worker's start resets V8's flags).
 */
export function prepareDatabaseWork(): void {
  keepYoungGenerationSmall();
}

/** Before a scan's modules load: `files` as named, `threads` as --threads gave it (null: the default). */
export function prepareScan(files: readonly string[], threads: number | null): void {
  markScanStart(); // the probe's window (cpuProbe.ts) starts here at the latest
  keepYoungGenerationSmall(); // before anything allocates much (scanHeap.ts says why)
  prestartScanWorker(files, threads);
}
