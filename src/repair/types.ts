import type { Operation } from 'fast-json-patch';
import type { CellRef } from '../nova/snapshot.js';
import type { SpecSpan } from './specEdit.js';

/** One row change with the exact old value it compares against (CAS). */
export interface RowChange {
  database: 'api' | 'cell';
  table: 'request_specs' | 'instance_system_metadata' | 'instances' | 'block_device_mapping';
  rowId: number;
  /** Column changed; for instance_system_metadata this is 'value' (the row is identified by rowId and key). */
  column: string;
  key?: string;
  /** 'insert' only appears in undo results: a row the repair hard-deleted is put back. */
  action: 'update' | 'delete' | 'insert';
  oldValue: string | null;
  newValue: string | null; // null with action 'delete'
  /** request_specs: the edits from oldValue to newValue (what the journal keeps instead of both texts). */
  spans?: SpecSpan[];
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
  /** What the plan repairs towards (absent on plans that change nothing). null value: the property is removed. */
  target?: { hvType: string | null; vmMode: string | null; hosts: string[] };
  /** ImagePropertiesFilter on each target host with the patched properties (absent when not planned). */
  verification?: HostCheck[];
}

/** One host's ImagePropertiesFilter answer for an instance's image properties. */
export interface HostCheck {
  host: string;
  node: string;
  passes: boolean;
  why: string | null;
}

export type ApplyStatus = 'repaired' | 'dry-run' | 'skipped' | 'conflict' | 'failed' | 'nothing-to-do';

export interface ApplyResult {
  uuid: string;
  status: ApplyStatus;
  reason: string | null;
  plan: RepairPlan;
  /** The journal's id for this instance's change set (absent on dry runs and plans that were not applied). */
  changeSetId?: string;
  /** Rows that no longer held the planned old value (status 'conflict'). */
  conflicts?: { change: RowChange; currentValue: string | null }[];
  /** After COMMIT: rows re-read and the instance re-diagnosed as passing. */
  verified?: boolean;
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
