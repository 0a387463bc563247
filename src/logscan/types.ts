import type { PropertyMismatch, SupportedInstance } from '../nova/types.js';
import type { JsonTexts } from './reportJson.js';

/** Where a line came from, so every finding can be shown next to its evidence. */
export interface LogLocation {
  file: string; // path as given, '-' for stdin
  line: number; // 1-based
  /** Byte offset of the line's start (decompressed offset for .gz), for seeking straight to it. */
  offset?: number;
}

/** One oslo.log record (first line plus continuation lines). */
export interface OsloRecord {
  time: string; // '2017-11-08 17:29:34.631' as written
  pid: number;
  level: string;
  logger: string;
  globalRequestId: string | null;
  requestId: string | null;
  userIdentity: string | null;
  instanceUuid: string | null; // from '[instance: uuid] '
  message: string;
  location: LogLocation;
}

/** One host rejected by ImagePropertiesFilter, as the DEBUG lines tell it. */
export interface Rejection {
  requestId: string | null;
  time: string;
  host: string | null; // from the following "(host, node) ... does not support" line, when present
  node: string | null;
  requested: Readonly<Record<string, string>>; // the filtered properties that were set, e.g. {img_hv_type: 'xen'}
  supportedInstances: SupportedInstance[] | null; // null: "no corresponding supported_instances"
  hypervisorVersion: number | null;
  mismatches: PropertyMismatch[];
  location: LogLocation;
  /** Part of the line was unreadable (abbreviated or damaged): mismatches are a best guess. */
  partial?: boolean;
}

/** `Filtering removed all hosts for the request with instance ID '…'`: the end of one scheduling attempt. */
export interface NoValidHostEvent {
  instance: string | null;
  requestId: string | null;
  time: string;
  /** The filter that removed the last host, e.g. 'ImagePropertiesFilter'. */
  filter: string | null;
  location: LogLocation;
  /** scheduler: filters.py / placement; conductor, api: the NoValidHost text where it surfaced. */
  source?: 'scheduler' | 'conductor' | 'api' | 'other';
  /** The reason nova gave ('There are not enough hosts available.', …), when the line says. */
  reason?: string | null;
  /** Filter results as logged: each filter that ran, with host counts when the INFO form gave them. */
  steps?: { filter: string; start: number | null; end: number | null }[];
}

/** Everything the log says about one instance that could not be scheduled because of its image properties. */
export interface Incident {
  uuid: string;
  requestIds: string[];
  mismatches: { property: string; value: string }[];
  /** Union over all rejections of values that would pass (null = remove the property). */
  passingValues: Record<string, (string | null)[]>;
  hostsRejected: string[];
  firstSeen: string;
  lastSeen: string;
  /** The first rejections (at most MAX_REJECTIONS_PER_INCIDENT); rejectionCount says how many there were. */
  rejections: Rejection[];
  evidence: LogLocation[];
  /** All rejections seen for this instance (rejections[] keeps a sample). */
  rejectionCount?: number;
  /** Failed scheduling attempts (Filtering removed all hosts) whose last filter was ImagePropertiesFilter. */
  attempts?: number;
}

/**
 * Rejections that are not an incident: the request's scheduling did not fail on ImagePropertiesFilter
 * (another host passed, or another filter removed the last host), or the request is not tied to an
 * instance (no request id, no "Filtering removed all hosts"/"Starting to schedule" line for it).
 */
export interface UnattributedRejection {
  requestId: string | null;
  mismatches: { property: string; value: string }[];
  rejections: Rejection[];
  rejectionCount?: number;
  /** The instance the request was for, when the log says ("Starting to schedule for instances"). */
  knownInstance?: string | null;
  hostsRejected?: string[];
}

/** Why scheduling failed, counted by the filter that removed the last host. */
export interface TriageReport {
  byFilter: { filter: string; attempts: number; instances: number }[];
  /** One row per hour with failures, 'YYYY-MM-DD HH:00', oldest first. */
  perHour: { hour: string; attempts: number; byFilter: Record<string, number> }[];
  perInstance: {
    instance: string;
    attempts: number;
    byFilter: Record<string, number>;
    lastFilter: string | null;
    lastSeen: string;
  }[];
}

export interface ScanWarning {
  file: string;
  line?: number;
  offset?: number;
  message: string;
}

export interface ScanReport {
  instances: Incident[];
  unattributed: UnattributedRejection[];
  noValidHost: NoValidHostEvent[];
  warnings: ScanWarning[];
  files: { file: string; bytes: number; lines: number }[];
  /** Every failed scheduling attempt by the filter that removed the last host, per hour and per instance. */
  triage?: TriageReport;
  /** What was searched when no input was given (defaultLogInputs), else absent. */
  searched?: string[];
  /** How the scan ran: threads used (0 = in this thread), needle engine, wall times (reading, then correlating). */
  stats?: {
    workers: number;
    engine: 'wasm' | 'js';
    elapsedMs: number;
    readMs?: number;
    correlateMs?: number;
    /**
     * The threads asked for (--threads) or chosen (threadChoice.ts), and why: the bytes to scan, from how many
     * two threads pay, the share of a second CPU found free and the probe that found it.
     */
    threads?: {
      chosen: number;
      reason: string;
      workBytes?: number;
      breakEvenBytes?: number | null;
      spare?: number;
      probe?: { source: string; othersBusy: number | null; windowMs?: number };
    };
  };
}

/** A ScanReport whose arrays are JSON texts read back one at a time (scanLogsStreamed). */
export interface StreamedScanReport extends Omit<ScanReport, 'instances' | 'unattributed' | 'noValidHost'> {
  instances: JsonTexts;
  unattributed: JsonTexts;
  noValidHost: JsonTexts;
}

/** Progress while scanning; emitted often, cheap to render. */
export interface ScanProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number | null; // null for stdin and .gz of unknown size
}
