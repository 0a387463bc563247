// Step 1 of the flow: the logs alone. No database needed.
import { scanLogs } from '../logscan/index.js';
import type { ScanProgress, ScanReport } from '../logscan/types.js';
import type { DoctorConfig } from './types.js';

export interface ScanHooks {
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
}

export function scan(
  config: Pick<DoctorConfig, 'logs' | 'since' | 'until' | 'threads'>,
  hooks: ScanHooks = {},
): Promise<ScanReport> {
  return scanLogs(config.logs, {
    since: config.since,
    until: config.until,
    workers: config.threads ?? undefined,
    onProgress: hooks.onProgress,
    signal: hooks.signal,
  });
}

/**
 * True when the scan found an instance that could not be scheduled. Unattributed rejections alone are not
 * trouble: another host passed, or another filter had the last word.
 */
export function scanFoundTrouble(report: ScanReport): boolean {
  return report.instances.length > 0;
}

export { reportJsonPieces, writeReportJson } from '../logscan/index.js';
