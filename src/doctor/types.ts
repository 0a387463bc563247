// The one model both faces (cli, tui) render. The doctor computes it; faces never do.
import type { CellStatus, DbOptions } from '../db/types.js';
import type { ExitCodeValue } from '../errors.js';
import type { Incident, ScanProgress, ScanReport } from '../logscan/types.js';
import type { Diagnosis, InstanceSnapshot } from '../nova/snapshot.js';
import type { ImageProperty } from '../nova/xenLeftovers.js';
import type { ApplyResult, RepairPlan, UndoResult } from '../repair/types.js';

export interface DoctorConfig {
  logs: string[]; // files, globs or '-'; empty with no db: the usual places
  db: DbOptions | null; // null: log-only mode
  all: boolean; // sweep every instance of every cell
  readOnly: boolean;
  hvType: string | null; // target img_hv_type; null: from compute_nodes
  /** Properties whose narrowing (non-Xen) values repairs rewrite too (--widen); empty: only Xen leftovers. */
  widen?: ImageProperty[];
  since: string | null;
  until: string | null;
  /** Threads to scan logs with (--threads); absent: the scanner's default. */
  threads?: number | null;
  /** Where journals go when not named; absent: $XDG_STATE_HOME/nova-doctor (the demo keeps its own in its dir). */
  journalDir?: string | null;
}

/** Where an instance stands, as the list shows it. */
export type InstanceStatus =
  | 'stale'
  | 'half-fixed'
  | 'ok'
  | 'repaired'
  | 'skipped'
  | 'deleted'
  | 'unreadable'
  | 'untraced';

/** What the confirmation of a repair says about a plan: its outcome, and the rows it writes per table. */
export interface PlanSummary {
  status: RepairPlan['status'];
  reason: string | null;
  cell: RepairPlan['cell'];
  /** Distinct rows written, per database and table (the spec's row counted when the patch has ops). */
  writes: readonly { database: 'api' | 'cell'; table: string; rows: number }[];
}

/**
 * What the list and a repair's results keep of an ApplyResult: its outcome, without the plan (whose spec texts
 * before and after are ~7 KB an instance: a repair of 100k instances would keep 700 MB of them).
 */
export type AppliedOutcome = Omit<ApplyResult, 'plan'>;

/**
 * One row of the instance list: what the log says joined with what the database says, without the rows read:
 * a sweep of 100k instances keeps a row each, never each one's snapshot, diagnosis and plan (read again with
 * DoctorApi.detail() when an instance is opened, and by repair() when it is applied).
 */
export interface InstanceRow {
  uuid: string;
  status: InstanceStatus;
  cellName: string | null;
  displayName: string | null;
  incident: Incident | null; // from the scan, null when only found by a sweep
  /** Stale values found (null: not traced). */
  staleCount: number | null;
  /**
   * Whether a repair writes some of them (flow.ts hasStaleValues: what trace counts for its exit code; false for
   * leftovers repair leaves alone, in cell0 or deleted); null: not traced.
   */
  hasStaleValues: boolean | null;
  /** The plan in brief (null: not traced). */
  planSummary: PlanSummary | null;
  lastResult: AppliedOutcome | null;
}

/** An instance in full: its row with the rows read, the diagnosis and the plan (null where not traced). */
export interface InstanceView extends InstanceRow {
  snapshot: InstanceSnapshot | null;
  diagnosis: Diagnosis | null;
  plan: RepairPlan | null;
}

export type DoctorEvent =
  | { type: 'scan-progress'; progress: ScanProgress }
  | { type: 'scan-done'; report: ScanReport }
  | { type: 'cells'; cells: CellStatus[] }
  /** What opening the databases noted but did not stop (NovaDatabases.warnings). */
  | { type: 'db-warnings'; warnings: readonly string[] }
  | { type: 'trace-progress'; done: number; total: number | null }
  | { type: 'instance'; view: InstanceRow }
  | { type: 'apply-progress'; uuid: string; done: number; total: number }
  | {
      type: 'error';
      where: string;
      message: string;
      hint: string | null;
      /** What the same failure exits with on the command line (a summary without a terminal exits with it). */
      exitCode?: ExitCodeValue;
    };

export interface RepairOutcome {
  journalPath: string | null; // null on a dry run
  /** The command that undoes it, with the session's database options; null when nothing was written. */
  undoCommand: string | null;
  /** In the order repaired, plans let go. */
  results: AppliedOutcome[];
}

/**
 * What both faces call. Long operations report through subscribe(); results also come back as values.
 * Implementations live in doctor/; faces hold one and never reach below it.
 */
export interface DoctorApi {
  readonly config: DoctorConfig;
  subscribe(listener: (event: DoctorEvent) => void): () => void;
  /**
   * With a db: open it and check what was asked (checkRequest; a usage error ends the start there, before any log
   * is scanned). Then scan the logs (if any) and trace the instances found (and every instance with --all).
   */
  start(signal?: AbortSignal): Promise<InstanceRow[]>;
  /** One instance in full, read again from the databases (its row alone when it cannot be traced). */
  detail(uuid: string): Promise<InstanceView>;
  /** Reads the instances again, plans them as they are now, and applies (or dry-runs) the plans. */
  repair(uuids: string[], options: { apply: boolean; journalPath?: string }): Promise<RepairOutcome>;
  undo(journalPath: string, options: { apply: boolean }): Promise<UndoResult[]>;
  close(): Promise<void>;
}
