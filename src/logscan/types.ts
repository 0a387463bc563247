import type { PropertyMismatch, SupportedInstance } from '../nova/types.js';

/** Where a line came from, so every finding can be shown next to its evidence. */
export interface LogLocation {
  file: string; // path as given, '-' for stdin
  line: number; // 1-based
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
}

/** `Filtering removed all hosts for the request with instance ID '…'`: the end of one scheduling attempt. */
export interface NoValidHostEvent {
  instance: string | null;
  requestId: string | null;
  time: string;
  /** The filter that removed the last host, e.g. 'ImagePropertiesFilter'. */
  filter: string | null;
  location: LogLocation;
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
  rejections: Rejection[];
  evidence: LogLocation[];
}

/** A rejection whose request id never got tied to an instance UUID. */
export interface UnattributedRejection {
  requestId: string | null;
  mismatches: { property: string; value: string }[];
  rejections: Rejection[];
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
}

/** Progress while scanning; emitted often, cheap to render. */
export interface ScanProgress {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number | null; // null for stdin and .gz of unknown size
}
