// Step 1 of the flow: the logs alone. No database needed.
import { closeSync, openSync, readSync } from 'node:fs';
import { ExitCode, type ExitCodeValue, strongestExit, usageError } from '../errors.js';
import { type StreamedScan, scanLogs, scanLogsStreamed } from '../logscan/index.js';
import { parseOsloHeader } from '../logscan/osloLine.js';
import type { ScanProgress, ScanReport, ScanWarning, StreamedScanReport } from '../logscan/types.js';
import type { DoctorConfig } from './types.js';

export interface ScanHooks {
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
}

/** How much of a file that gave no event is looked at for a nova line. */
const SNIFF_BYTES = 64 << 10;
export const NO_NOVA_LINE = 'no nova log line in it (is it a nova-scheduler log?)';

/** Whether the first SNIFF_BYTES of a plain file hold a line nova could have written. */
function hasNovaLine(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return true; // the scan read it a moment ago; whatever happened since is not this question
  }
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    if (n >= 2 && buf[0] === 0x1f && buf[1] === 0x8b) return true; // gzip: the scan says what it found
    return buf
      .toString('utf8', 0, n)
      .split('\n')
      .some((l) => l.includes('nova.') || parseOsloHeader(l) !== null);
  } finally {
    closeSync(fd);
  }
}

/** Files that were read, gave nothing, and do not look like nova's: named as such (a wrong path, not a quiet log). */
function foreignFiles(report: Pick<ScanReport, 'files'>, used: ReadonlySet<string>): ScanWarning[] {
  return report.files
    .filter((f) => f.bytes > 0 && f.file !== '-' && !used.has(f.file) && !hasNovaLine(f.file))
    .map((f) => ({ file: f.file, message: NO_NOVA_LINE }));
}

type ScanConfig = Pick<DoctorConfig, 'logs' | 'since' | 'until' | 'threads'>;

export async function scan(config: ScanConfig, hooks: ScanHooks = {}): Promise<ScanReport> {
  const report = await scanLogs(config.logs, scanOptions(config, hooks));
  const used = new Set<string>();
  for (const i of report.instances) for (const e of i.evidence) used.add(e.file);
  for (const u of report.unattributed) for (const r of u.rejections) used.add(r.location.file);
  report.warnings.push(...foreignFiles(report, used));
  return report;
}

/**
 * The same scan for a report that is written out once, not kept (scan --json): big inputs give arrays read
 * once from the scan's spill stores. close() when done.
 */
export async function scanStreamed(config: ScanConfig, hooks: ScanHooks = {}): Promise<StreamedScan> {
  const scanned = await scanLogsStreamed(config.logs, scanOptions(config, hooks));
  // A file that gave an event has nova lines; only the others are looked at.
  scanned.report.warnings.push(...foreignFiles(scanned.report, scanned.inputsWithEvents));
  return scanned;
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

type AnyReport = ScanReport | StreamedScanReport;

/**
 * Nothing could be read at all (no file found, none readable, or every one skipped whole: binary, not gzip): a
 * usage error that says so first. An empty file was read (a log just rotated), and so was one with no nova line.
 */
export function nothingRead(report: AnyReport) {
  const skipped = new Set(skippedInput(report).map((w) => w.file));
  if (report.files.some((f) => f.bytes > 0 || !skipped.has(f.file))) return null;
  const why = report.warnings.map((w) => `${w.file}: ${w.message}`).join('; ');
  const hint = report.files.length > 0 ? 'name nova-scheduler logs, plain or .gz' : 'check the paths';
  return usageError(`nothing was read${why ? `: ${why}` : ''}`, report.searched ? undefined : hint);
}

/**
 * Warnings that mean input was skipped: a file that could not be read, or a part of one (a line, a range). An empty
 * file (a current log just rotated) was read, and so was one with no nova line: they are notes, not gaps.
 */
export function skippedInput(report: AnyReport): ScanWarning[] {
  const read = new Set(report.files.map((f) => f.file));
  return report.warnings.filter((w) => !read.has(w.file) || w.line !== undefined || w.offset !== undefined);
}

/**
 * True when the scan found an instance that could not be scheduled. Unattributed rejections alone are not
 * trouble: another host passed, or another filter had the last word.
 */
export function scanFoundTrouble(report: AnyReport): boolean {
  return 'count' in report.instances ? report.instances.count > 0 : report.instances.length > 0;
}

/** scan: 3 input skipped, else 1 an instance could not be scheduled, else 0. (Nothing read is a usage error.) */
export function scanExitCode(report: AnyReport): ExitCodeValue {
  return strongestExit(skippedInput(report).length > 0 && ExitCode.partial, scanFoundTrouble(report) && ExitCode.found);
}

export { reportJsonPieces, writeReportJson } from '../logscan/index.js';
