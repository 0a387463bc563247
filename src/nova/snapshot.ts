// The rows nova keeps about one instance, as read from nova_api and its cell database.
// Pure data: db/ fills it, nova/ diagnoses it, repair/ plans from it.
import type { HostCapabilities } from './types.js';

export interface CellRef {
  uuid: string;
  name: string | null;
}

export interface RequestSpecRow {
  id: number;
  instanceUuid: string;
  /** The column exactly as stored: repairs edit this text, never a re-serialisation. */
  spec: string;
}

export interface InstanceRow {
  id: number;
  uuid: string;
  displayName: string | null;
  vmState: string | null;
  taskState: string | null;
  host: string | null;
  node: string | null;
  kernelId: string | null;
  ramdiskId: string | null;
  rootDeviceName: string | null;
  vmMode: string | null;
  imageRef: string | null;
  deleted: number;
  /**
   * instances.compute_id as text (2023.2+: the compute node's id, kept in step with `node`); absent when
   * the cell's schema has no such column.
   */
  computeId?: string | null;
}

export interface SystemMetadataRow {
  id: number;
  key: string;
  value: string | null;
  deleted: number;
}

export interface BlockDeviceMappingRow {
  id: number;
  deviceName: string | null;
  bootIndex: number | null;
  deleted: number;
}

/** Everything trace reads for one instance. Missing pieces are null with a reason in `problems`. */
export interface InstanceSnapshot {
  uuid: string;
  cell: CellRef | null;
  requestSpec: RequestSpecRow | null;
  instance: InstanceRow | null;
  systemMetadata: SystemMetadataRow[]; // every row, soft-deleted ones included: nova loads them all
  blockDeviceMappings: BlockDeviceMappingRow[]; // live rows only
  /** Compute nodes of the instance's cell: the targets a repair must pass on. */
  hosts: HostCapabilities[];
  problems: string[];
}

export type StaleLocation =
  | { database: 'api'; table: 'request_specs'; rowId: number; column: 'spec'; pointer: string }
  | { database: 'cell'; table: 'instance_system_metadata'; rowId: number; key: string }
  | {
      database: 'cell';
      table: 'instances';
      rowId: number;
      column: 'kernel_id' | 'ramdisk_id' | 'root_device_name' | 'vm_mode';
    }
  | { database: 'cell'; table: 'block_device_mapping'; rowId: number; column: 'device_name' };

/** One value left behind by Xen that keeps the instance from being scheduled (or would mislead a KVM host). */
export type StaleValue = StaleLocation & {
  value: string;
  /** Why it is stale, in words an operator understands. */
  reason: string;
  /** The ImageMetaProps field this value feeds, when it feeds one (img_hv_type, hw_vm_mode, …). */
  property: string | null;
  /** What a repair writes instead (null: the property or row goes); absent when nothing can be written. */
  becomes?: string | null;
};

export type InstanceHealth =
  | 'stale' // stale values in the spec (the scheduler fails)
  | 'half-fixed' // some places fixed, others not
  | 'ok'
  | 'deleted'
  | 'unreadable'; // spec not JSON / not a RequestSpec / missing rows

export interface Diagnosis {
  uuid: string;
  cell: CellRef | null;
  health: InstanceHealth;
  /** Xen leftovers: what a repair changes. */
  stale: StaleValue[];
  /** Values that are not Xen's but keep some hosts out: reported, changed only when widened by name. */
  narrowing: StaleValue[];
  /** What the operator should know that is neither stale nor a problem (an architecture some hosts lack). */
  notes: string[];
  problems: string[];
}
