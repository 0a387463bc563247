// Per instance: what a repair changes, computed from the rows trace read. Pure: no I/O.
//
// What changes is exactly what trace reports as stale: both come from findLeftovers() (src/nova/xenLeftovers.ts,
// the one table of what Xen leaves behind and what it becomes), plus the narrowing values the operator widens
// by name. This module only turns that list into an RFC 6902 patch on the spec text and row changes, and
// proves the result with nova's filter. Rules it adds (nova semantics, see docs/nova-facts.md §5-8, §11):
// - system metadata rows are updated in place, soft-deleted ones included (nova loads those too, and the
//   last row of a key wins). Rows are only hard-deleted when a property is removed, as nova itself does.
// - the spec's nova_object.changes list is kept in step, as nova would write it.
import type { Operation } from 'fast-json-patch';
import {
  pointer,
  readSpec,
  SPEC_PROPS_CHANGES_POINTER,
  SPEC_PROPS_PATH,
  type SpecReading,
} from '../nova/requestSpec.js';
import type { InstanceSnapshot, StaleValue } from '../nova/snapshot.js';
import type { ImageProps } from '../nova/types.js';
import { findLeftovers, type ImageProperty, systemMetadataProps, WIDENABLE } from '../nova/xenLeftovers.js';
import { checkHost } from './matching.js';
import { editSpecText } from './specEdit.js';
import type { HostCheck, RepairPlan, RowChange } from './types.js';

export { REMOVE_HV_TYPE } from '../nova/repairTargets.js';

export interface PlanOptions {
  /** img_hv_type to write; null/undefined: chosen from the hosts; 'remove': drop the property. */
  hvType?: string | null;
  /** Also point instances.host (and node) at this compute node of the instance's cell. */
  setHost?: string | null;
  /** Non-Xen properties whose narrowing values are rewritten too (--widen): the operator asked by name. */
  widen?: readonly ImageProperty[];
}

export { WIDENABLE };

const PROPS_DATA = [...SPEC_PROPS_PATH, 'nova_object.data'];

function emptyPlan(snapshot: InstanceSnapshot, status: RepairPlan['status'], reason: string): RepairPlan {
  return {
    uuid: snapshot.uuid,
    cell: snapshot.cell,
    status,
    reason,
    requestSpecPatch: [],
    specBefore: null,
    specAfter: null,
    rowChanges: [],
    warnings: [],
  };
}

type SpecDecision = { field: string; old: string; next: string | null };

function specOps(changes: string[] | null, decisions: SpecDecision[]): Operation[] {
  const ops: Operation[] = [];
  for (const d of decisions) {
    const path = pointer([...PROPS_DATA, d.field]);
    ops.push({ op: 'test', path, value: d.old });
    ops.push(d.next === null ? { op: 'remove', path } : { op: 'replace', path, value: d.next });
  }
  // Keep the stored changes list in step, as nova would write it after setting or deleting the field.
  if (changes) {
    const removed = decisions.filter((d) => d.next === null).map((d) => d.field);
    const added = decisions.filter((d) => d.next !== null && !changes.includes(d.field)).map((d) => d.field);
    const remaining = changes.filter((c) => !removed.includes(c));
    if (removed.length > 0 && remaining.length === 0 && added.length === 0) {
      // obj_to_primitive writes no changes key when nothing changed: drop the emptied list entirely.
      ops.push(
        { op: 'test', path: SPEC_PROPS_CHANGES_POINTER, value: changes },
        { op: 'remove', path: SPEC_PROPS_CHANGES_POINTER },
      );
    } else {
      const indices = changes
        .map((c, i) => (removed.includes(c) ? i : -1))
        .filter((i) => i >= 0)
        .reverse(); // highest first, so earlier indices stay valid
      for (const i of indices) {
        const path = `${SPEC_PROPS_CHANGES_POINTER}/${i}`;
        ops.push({ op: 'test', path, value: changes[i] }, { op: 'remove', path });
      }
      for (const field of added) ops.push({ op: 'add', path: `${SPEC_PROPS_CHANGES_POINTER}/-`, value: field });
    }
  }
  return ops;
}

function patchedProps(specAfter: string): ImageProps {
  const reading = readSpec(specAfter);
  return reading.ok ? reading.props : {};
}

/** The row change that writes a stale value's `becomes`. */
function rowChangeFor(s: StaleValue & { becomes: string | null }): RowChange | null {
  switch (s.table) {
    case 'request_specs':
      return null; // the spec is one change of its whole text, built from the patch
    case 'instance_system_metadata':
      return {
        database: 'cell',
        table: 'instance_system_metadata',
        rowId: s.rowId,
        column: 'value',
        key: s.key,
        action: s.becomes === null ? 'delete' : 'update',
        oldValue: s.value,
        newValue: s.becomes,
      };
    default:
      return {
        database: 'cell',
        table: s.table,
        rowId: s.rowId,
        column: s.column,
        action: 'update',
        oldValue: s.value,
        newValue: s.becomes,
      };
  }
}

const fixable = (s: StaleValue): s is StaleValue & { becomes: string | null } => s.becomes !== undefined;

/**
 * The values a plan with these options changes: every Xen leftover that has something to become, and the
 * narrowing values of the properties the operator widened. Exported so tests can hold the plan to it.
 */
export function valuesToChange(
  leftovers: { stale: StaleValue[]; narrowing: StaleValue[] },
  options: PlanOptions = {},
): (StaleValue & { becomes: string | null })[] {
  const widen = options.widen ?? [];
  return [
    ...leftovers.stale.filter(fixable),
    ...leftovers.narrowing
      .filter((n) => n.property !== null && widen.includes(n.property as ImageProperty))
      .filter(fixable),
  ];
}

/** The repair for one instance. Never throws for bad data: it returns a skipped plan with the reason. */
export function planRepair(
  snapshot: InstanceSnapshot,
  options: PlanOptions = {},
  specReading?: SpecReading,
): RepairPlan {
  return plan(snapshot, options, specReading, false);
}

/**
 * planRepair's decisions without their costly half, for a list of 100k instances (the TUI's sweep): the same
 * status, reason and rows written, but the spec text is not edited (its row change keeps the old text as the new,
 * specAfter is null) and the repaired properties are not checked against the hosts (verification is absent).
 * Where that half would decide, the brief can be wrong: a spec whose edit proves unsafe is 'planned' here and
 * 'skipped' in full, and with setHost the full plan is made. Never applied: a repair plans in full first.
 */
export function planBrief(
  snapshot: InstanceSnapshot,
  options: PlanOptions = {},
  specReading?: SpecReading,
): RepairPlan {
  return options.setHost ? planRepair(snapshot, options, specReading) : plan(snapshot, options, specReading, true);
}

function plan(
  snapshot: InstanceSnapshot,
  options: PlanOptions,
  specReading: SpecReading | undefined,
  brief: boolean,
): RepairPlan {
  const specRow = snapshot.requestSpec;
  const reading = specRow ? (specReading ?? readSpec(specRow.spec)) : null;
  const found = findLeftovers(snapshot, reading, options);
  // Not mapped, cell0, no row, deleted, a task in progress, a spec nova cannot load, no host to repair towards: the
  // rule trace shows too (its leftovers have nothing they become, and a note with this reason).
  // (whyNotRepaired says null only of an instance mapped to a cell, whose row was read: the rest is for the types.)
  const instance = snapshot.instance;
  if (found.notRepaired || !instance || !snapshot.cell)
    return emptyPlan(snapshot, 'skipped', found.notRepaired?.reason ?? `no instances row for ${snapshot.uuid}`);
  if (found.optionError) return emptyPlan(snapshot, 'skipped', found.optionError);
  const cellName = snapshot.cell.name ?? snapshot.cell.uuid;
  const warnings: string[] = [...found.notes];
  const change = valuesToChange(found, options);
  for (const s of found.stale.filter((x) => !fixable(x))) warnings.push(`not changed: ${s.reason}`);
  for (const n of found.narrowing) if (!change.some((c) => c === n)) warnings.push(n.reason);
  for (const n of change.filter((c) => found.narrowing.some((x) => x === c))) {
    warnings.push(
      `widened on request (--widen ${n.property}): ${n.property} '${n.value}' becomes ${n.becomes === null ? 'removed' : `'${n.becomes}'`}`,
    );
  }

  // ---- the request spec (nova_api): one byte-minimal edit of the stored text
  let requestSpecPatch: Operation[] = [];
  let specAfter: string | null = null;
  const rowChanges: RowChange[] = [];
  const specDecisions: SpecDecision[] = change
    .filter((c) => c.table === 'request_specs')
    .map((c) => ({ field: c.property as string, old: c.value, next: c.becomes }));
  if (specDecisions.length > 0 && specRow && reading?.ok) {
    requestSpecPatch = specOps(reading.changes, specDecisions);
    const edited = brief
      ? { ok: true as const, text: specRow.spec, edits: [] }
      : editSpecText(specRow.spec, requestSpecPatch);
    if (!edited.ok) {
      return emptyPlan(
        snapshot,
        'skipped',
        `nova_api.request_specs id ${specRow.id}: cannot edit the spec safely: ${edited.reason}`,
      );
    }
    specAfter = brief ? null : edited.text;
    // The spec is one row change too: apply compares the whole stored text, byte for byte, before writing.
    rowChanges.push({
      database: 'api',
      table: 'request_specs',
      rowId: specRow.id,
      column: 'spec',
      action: 'update',
      oldValue: specRow.spec,
      newValue: specAfter,
      ...(brief ? {} : { spans: edited.edits }),
    });
  }

  // ---- the cell rows: system metadata (soft-deleted rows included), instances, block device mappings
  for (const c of change) {
    const rc = rowChangeFor(c);
    if (rc) rowChanges.push(rc);
  }
  if (!specRow && rowChanges.length > 0) {
    warnings.push(
      'no request_specs row: resize and migrate fail (RequestSpecNotFound) until the instance has one; its cell rows are repaired because any spec made for it later is built from them',
    );
  }

  const instanceChange = (column: string, oldValue: string | null, newValue: string): RowChange => ({
    database: 'cell',
    table: 'instances',
    rowId: instance.id,
    column,
    action: 'update',
    oldValue,
    newValue,
  });
  const targets = found.targets;

  // ---- optional: point the instance at the host it now runs on
  if (options.setHost) {
    const nodes = snapshot.hosts.filter((h) => h.host === options.setHost);
    if (nodes.length === 0) {
      const known = snapshot.hosts.map((h) => h.host).join(', ');
      return emptyPlan(
        snapshot,
        'skipped',
        `--set-host ${options.setHost} is not a compute node of ${cellName} (hosts: ${known || 'none'})`,
      );
    }
    if (!nodes.every((n) => targets.hosts.includes(n))) {
      return emptyPlan(
        snapshot,
        'skipped',
        `--set-host ${options.setHost} is a Xen host; the repair moves instances off Xen`,
      );
    }
    if (nodes.length > 1) {
      return emptyPlan(
        snapshot,
        'skipped',
        `--set-host ${options.setHost} has ${nodes.length} nodes (${nodes.map((n) => n.node).join(', ')}); cannot tell which`,
      );
    }
    const node = nodes[0]!;
    if (instance.host !== node.host) rowChanges.push(instanceChange('host', instance.host, node.host));
    if (instance.node !== node.node) rowChanges.push(instanceChange('node', instance.node, node.node));
    // Nova 2023.2+ keeps instances.compute_id in step with node (its compute manager sets both): a record
    // moved by host and node only would still be counted on the old compute node.
    const nodeId = node.id === undefined ? null : String(node.id);
    if (instance.computeId !== undefined && nodeId !== null && instance.computeId !== nodeId)
      rowChanges.push(instanceChange('compute_id', instance.computeId, nodeId));
  }

  const target = {
    hvType: found.hvTarget ?? null,
    vmMode: found.vmTarget ?? null,
    hosts: targets.hosts.map((h) => h.host),
  };
  if (rowChanges.length === 0) {
    const left = found.narrowing.length;
    const plan = emptyPlan(
      snapshot,
      'nothing-to-do',
      left === 0
        ? `nothing stale: ImagePropertiesFilter passes on every compute node of ${cellName} (${target.hosts.join(', ')})`
        : `no Xen leftovers; ${left} value${left === 1 ? '' : 's'} set on purpose keep${left === 1 ? 's' : ''} some hosts of ${cellName} out and ${left === 1 ? 'is' : 'are'} left as set`,
    );
    plan.warnings = warnings;
    return plan;
  }

  const planned: RepairPlan = {
    uuid: snapshot.uuid,
    cell: snapshot.cell,
    status: 'planned',
    reason: null,
    requestSpecPatch,
    specBefore: specAfter ? (specRow?.spec ?? null) : null,
    specAfter,
    rowChanges,
    warnings,
    target,
  };
  if (brief) return planned;

  // ---- prove it: nova's filter on every target host with the patched properties
  const verification: HostCheck[] = [];
  const propsToCheck: { what: string; props: ImageProps }[] = [];
  if (reading?.ok)
    propsToCheck.push({ what: 'request spec', props: specAfter ? patchedProps(specAfter) : reading.props });
  const sysmetaAfter = (row: { id: number; value: string | null }) => {
    const c = rowChanges.find((x) => x.table === 'instance_system_metadata' && x.rowId === row.id);
    return c === undefined ? row.value : c.action === 'delete' ? undefined : c.newValue;
  };
  propsToCheck.push({
    what: 'system metadata',
    props: systemMetadataProps(snapshot.systemMetadata, sysmetaAfter).props,
  });
  for (const h of targets.hosts) {
    const failures = propsToCheck
      .map(({ what, props }) => ({ what, verdict: checkHost(props, h) }))
      .filter((v) => !v.verdict.passes)
      .map((v) => `${v.what}: ${v.verdict.why}`);
    verification.push({
      host: h.host,
      node: h.node,
      passes: failures.length === 0,
      why: failures.length ? failures.join('; ') : null,
    });
  }
  for (const v of verification) {
    if (!v.passes) warnings.push(`after the repair ImagePropertiesFilter would still reject ${v.host}: ${v.why}`);
  }
  if (options.setHost && !verification.find((v) => v.host === options.setHost)?.passes) {
    return emptyPlan(
      snapshot,
      'skipped',
      `--set-host ${options.setHost}: the repaired instance would still not pass ImagePropertiesFilter there`,
    );
  }
  if (instance.vmState === 'active') {
    warnings.push(
      "the instance is ACTIVE: the repair changes only nova's records (the running guest is untouched); device names take effect at the next hard reboot or move",
    );
  }

  return { ...planned, verification };
}
