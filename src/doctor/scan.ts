// Step 1 of the flow: the logs alone. No database needed.
import { type StreamedScan, scanLogs, scanLogsStreamed } from '../logscan/index.js';
import type { ScanProgress, ScanReport, StreamedScanReport } from '../logscan/types.js';
import type { DoctorConfig } from './types.js';

export interface ScanHooks {
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
}

type ScanConfig = Pick<DoctorConfig, 'logs' | 'since' | 'until' | 'threads'>;

export function scan(config: ScanConfig, hooks: ScanHooks = {}): Promise<ScanReport> {
  return scanLogs(config.logs, scanOptions(config, hooks));
}

/** The same scan for a report that is written out, not kept: its arrays are read once; close() when done. */
export function scanStreamed(config: ScanConfig, hooks: ScanHooks = {}): Promise<StreamedScan> {
  return scanLogsStreamed(config.logs, scanOptions(config, hooks));
}

function scanOptions(config: ScanConfig, hooks: ScanHooks) {
  return {
    since: config.since,
    until: config.until,
    workers: config.threads ?? undefined,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
  };
}

/**
 * True when the scan found an instance that could not be scheduled. Unattributed rejections alone are not
 * trouble: another host passed, or another filter had the last word.
 */
export function scanFoundTrouble(report: ScanReport | StreamedScanReport): boolean {
  return 'count' in report.instances ? report.instances.count > 0 : report.instances.length > 0;
}

export { reportJsonPieces, writeReportJson } from '../logscan/index.js';
