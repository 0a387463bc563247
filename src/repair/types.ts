import type { Operation } from 'fast-json-patch';
import type { CellRef } from '../nova/snapshot.js';

/** One row change with the exact old value it compares against (CAS). */
export interface RowChange {
  database: 'api' | 'cell';
  table: 'request_specs' | 'instance_system_metadata' | 'instances' | 'block_device_mapping';
  rowId: number;
  /** Column changed; for instance_system_metadata this is 'value' (the row is identified by rowId and key). */
  column: string;
  key?: string;
  action: 'update' | 'delete';
  oldValue: string | null;
  newValue: string | null; // null with action 'delete'
}

export type PlanStatus =
  | 'planned' // there is something to change
  | 'nothing-to-do' // healthy
  | 'skipped'; // deleted, task_state set, unreadable spec, …

/** Per instance: what a repair would change, and why not when it would not. */
export interface RepairPlan {
  uuid: string;
  cell: CellRef | null;
  status: PlanStatus;
  reason: string | null;
  /** RFC 6902 ops on the parsed spec, each replace/remove preceded by a test pinning the old value. */
  requestSpecPatch: Operation[];
  /** The spec text before and after the byte-minimal edit (null when the spec does not change). */
  specBefore: string | null;
  specAfter: string | null;
  rowChanges: RowChange[];
  warnings: string[];
}

export type ApplyStatus = 'repaired' | 'dry-run' | 'skipped' | 'conflict' | 'failed' | 'nothing-to-do';

export interface ApplyResult {
  uuid: string;
  status: ApplyStatus;
  reason: string | null;
  plan: RepairPlan;
}

export type UndoStatus = 'restored' | 'dry-run' | 'conflict' | 'nothing-to-do' | 'failed';

export interface UndoResult {
  uuid: string;
  status: UndoStatus;
  reason: string | null;
  /** Rows that would be / were restored, and rows left alone because they changed since. */
  restored: RowChange[];
  conflicts: { change: RowChange; currentValue: string | null }[];
}
