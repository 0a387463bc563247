// How healthy an instance's rows leave it: the diagnosis behind trace. What is stale comes from
// findLeftovers() (xenLeftovers.ts), the same function the repair plan is built from; this adds what is
// wrong besides (unreadable spec, duplicate rows, a node that is not its host's) and the verdict.
// Pure: reads an InstanceSnapshot, never a database.

import { readSpec, type SpecReading } from './requestSpec.js';
import type {
  Diagnosis,
  InstanceHealth,
  InstanceRow,
  InstanceSnapshot,
  StaleValue,
  SystemMetadataRow,
} from './snapshot.js';
import type { HostCapabilities } from './types.js';
import { findLeftovers, type ImageProperty, isXenValue } from './xenLeftovers.js';

/** Start of the problem db/ reports when a reachable cell has no instances row for the instance. */
export const MISSING_INSTANCE_ROW = 'no row in the instances table';

/** Whether two rows share a key: a pairwise look for the few rows an instance has, without two Sets each. */
function anyDuplicateKey(rows: readonly SystemMetadataRow[]): boolean {
  if (rows.length > 32) return true; // the Sets below decide
  for (let i = 1; i < rows.length; i++) {
    const key = (rows[i] as SystemMetadataRow).key;
    for (let j = 0; j < i; j++) if ((rows[j] as SystemMetadataRow).key === key) return true;
  }
  return false;
}

function duplicateKeys(rows: readonly SystemMetadataRow[]): string[] {
  if (!anyDuplicateKey(rows)) return [];
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const r of rows) {
    if (seen.has(r.key)) dups.add(r.key);
    else seen.add(r.key);
  }
  const out: string[] = [];
  for (const key of dups) {
    const list = rows.filter((r) => r.key === key);
    const deleted = list.filter((r) => r.deleted !== 0).length;
    out.push(
      `instance_system_metadata has ${list.length} rows for ${key} (ids ${list.map((r) => r.id).join(', ')}${deleted ? `; ${deleted} soft-deleted` : ''}): nova loads them all, soft-deleted ones too`,
    );
  }
  return out;
}

/**
 * Diagnose one instance. Never throws: anything unreadable becomes a problem. `specReading`: readSpec() of the
 * snapshot's spec when it was already done (a sweep reads specs on another thread).
 */
export function diagnose(snapshot: InstanceSnapshot, specReading?: SpecReading | null): Diagnosis {
  const problems = [...snapshot.problems];
  const spec = snapshot.requestSpec;
  const reading = spec ? (specReading ?? readSpec(spec.spec)) : null;
  if (reading && !reading.ok) problems.push(reading.problem);
  problems.push(...duplicateKeys(snapshot.systemMetadata));
  const found = findLeftovers(snapshot, reading);
  const inst = snapshot.instance;
  if (inst) problems.push(...placementProblems(inst, snapshot.hosts));
  return {
    uuid: snapshot.uuid,
    cell: snapshot.cell,
    health: health(snapshot, reading, found.stale, found.systemMetadataProps),
    stale: found.stale,
    narrowing: found.narrowing,
    notes: found.notes,
    problems,
  };
}

/**
 * Where the instance record says it runs, against its cell's compute nodes. The field report's fix set
 * instances.host by hand and left node naming the Xen node (and on nova 2023.2+ compute_id, which nova
 * keeps in step with node); nova's resource tracker finds a host's instances by host and node, so such an
 * instance is not counted where it runs. Only a host in the list is judged: a disabled one is not there.
 */
function placementProblems(inst: InstanceRow, hosts: readonly HostCapabilities[]): string[] {
  if (inst.deleted !== 0 || !inst.host) return [];
  const nodes = hosts.filter((h) => h.host === inst.host);
  if (nodes.length === 0) return [];
  const fix =
    nodes.length === 1
      ? `; repair --set-host ${inst.host} sets it`
      : ` (the host has ${nodes.length} nodes: set it by hand, nova-doctor cannot tell which)`;
  const node = nodes.find((h) => h.node === inst.node);
  if (!node) {
    return [
      `instances.node '${inst.node ?? ''}' is not a compute node of its host ${inst.host} (${nodes.map((n) => n.node).join(', ')}): nova's resource tracker does not count the instance there${fix}`,
    ];
  }
  // NULL is what nova 2023.2+ itself leaves on instances it has not moved since the upgrade.
  if (
    inst.computeId !== undefined &&
    inst.computeId !== null &&
    node.id !== undefined &&
    inst.computeId !== String(node.id)
  ) {
    return [
      `instances.compute_id ${inst.computeId} is not the id of its node ${node.node} (${node.id}): nova 2023.2+ keeps the two in step${fix}`,
    ];
  }
  return [];
}

function health(
  snapshot: InstanceSnapshot,
  reading: SpecReading | null,
  stale: readonly StaleValue[],
  /** systemMetadataProps(snapshot.systemMetadata).props, as findLeftovers() read them. */
  props: Record<string, string>,
): InstanceHealth {
  if (snapshot.instance && snapshot.instance.deleted !== 0) return 'deleted';
  // The mapping names a cell we could read, yet the instance is not there.
  if (snapshot.cell && !snapshot.instance && snapshot.problems.some((p) => p.startsWith(MISSING_INSTANCE_ROW))) {
    return 'unreadable';
  }
  if (reading && !reading.ok) return 'unreadable';
  if (stale.length === 0) return reading ? 'ok' : 'unreadable';
  // No spec: its cell rows are stale all the same (they are what any later spec is built from).
  if (!reading) return 'stale';
  const specStale = stale.filter((s) => s.table === 'request_specs');
  if (specStale.length === 0) return 'half-fixed';
  // Someone fixed system metadata (e.g. nova-manage image_property set before bug 2078999) but not the spec.
  const fixedElsewhere = specStale.some((s) => {
    const value = s.property ? props[s.property] : undefined;
    return value !== undefined && !isXenValue(s.property as ImageProperty, value);
  });
  return fixedElsewhere ? 'half-fixed' : 'stale';
}
