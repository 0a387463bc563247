// What the launcher does before the command runs, kept below the faces: the masking of passwords in argv (first),
// and for a scan a young generation kept small and the scan worker booted while the scanner's modules load.
import { prestartScanWorker } from '../logscan/prestart.js';
import { keepYoungGenerationSmall } from '../logscan/scanHeap.js';

export { scrubArgvSecrets } from '../db/scrubArgv.js';

/** Before a scan's modules load: `files` as named, `threads` as --threads gave it (null: the default). */
export function prepareScan(files: readonly string[], threads: number | null): void {
  keepYoungGenerationSmall(); // before anything allocates much (scanHeap.ts says why)
  prestartScanWorker(files, threads);
}
