// Per instance: what a repair changes, computed from the rows trace read. Pure: no I/O.
//
// Rules (nova semantics, see docs/nova-facts.md §5-8, §11):
// - The hosts that matter are the cell's non-Xen compute nodes (a drained Xen host may still be listed).
// - Only values that fail ImagePropertiesFilter on those hosts change, compared in canonical form
//   ('xapi' is 'xen', 'pv' is 'xen', 'amd64' is 'x86_64').
// - img_hv_type goes to a value every target host lists (kvm by default), hw_vm_mode to 'hvm',
//   an unsatisfiable img_hv_requested_version is removed. The architecture is an instance fact, not a Xen
//   leftover: it is reported, never rewritten.
// - system metadata rows are updated in place, soft-deleted ones included (nova loads those too, and the
//   last row of a key wins). Rows are only hard-deleted when a property is removed, as nova itself does.
// - kernel/ramdisk ids and /dev/xvd* names are Xen leftovers only on instances that show Xen markers; a KVM
//   instance booted from an AMI keeps its kernel.
import type { Operation } from 'fast-json-patch';
import { canonicalArchitecture, canonicalHvType, canonicalVmMode, HV_TYPES, isValidHvType } from '../nova/canonical.js';
import type { InstanceSnapshot, SystemMetadataRow } from '../nova/snapshot.js';
import { hypervisorVersionToString } from '../nova/supportedInstances.js';
import type { HostCapabilities, ImageProps } from '../nova/types.js';
import { checkHost, requestedVersionPasses } from './matching.js';
import { editSpecText, pointer } from './specEdit.js';
import type { HostCheck, RepairPlan, RowChange } from './types.js';

export interface PlanOptions {
  /** img_hv_type to write; null/undefined: chosen from the hosts; 'remove': drop the property. */
  hvType?: string | null;
  /** Also point instances.host (and node) at this compute node of the instance's cell. */
  setHost?: string | null;
}

/** The --hv-type value that removes img_hv_type instead of setting it. */
export const REMOVE_HV_TYPE = 'remove';

const CELL0_UUID = '00000000-0000-0000-0000-000000000000';
const PROPS = ['nova_object.data', 'image', 'nova_object.data', 'properties'];
const PROPS_DATA = [...PROPS, 'nova_object.data'];
const PROPS_CHANGES = [...PROPS, 'nova_object.changes'];

/** The ImageMetaProps fields ImagePropertiesFilter reads, with the sysmeta keys that feed them. */
const SYSMETA_FIELD: Readonly<Record<string, FilterField>> = {
  image_hypervisor_type: 'img_hv_type',
  image_img_hv_type: 'img_hv_type',
  image_vm_mode: 'hw_vm_mode',
  image_hw_vm_mode: 'hw_vm_mode',
  image_architecture: 'hw_architecture',
  image_hw_architecture: 'hw_architecture',
  image_hypervisor_version_requires: 'img_hv_requested_version',
  image_img_hv_requested_version: 'img_hv_requested_version',
};
/** Legacy sysmeta keys; nova applies these first, so current names win (ImageMetaProps.from_dict). */
const LEGACY_KEYS = new Set([
  'image_hypervisor_type',
  'image_vm_mode',
  'image_architecture',
  'image_hypervisor_version_requires',
]);
const KERNEL_KEYS = new Set(['image_kernel_id', 'image_ramdisk_id']);
type FilterField = 'img_hv_type' | 'hw_vm_mode' | 'hw_architecture' | 'img_hv_requested_version';
const FILTER_FIELDS: readonly FilterField[] = [
  'img_hv_type',
  'hw_vm_mode',
  'hw_architecture',
  'img_hv_requested_version',
];

const XEN_DEVICE = /^(\/dev\/)?xvd([a-z]+)(\d*)$/;

type SpecRead =
  | { kind: 'missing' }
  | { kind: 'unusable'; reason: string }
  | { kind: 'no-image' }
  | { kind: 'ok'; props: Record<string, unknown>; changes: unknown[] | null };

function isXenValue(field: FilterField, raw: string): boolean {
  if (field === 'img_hv_type') return canonicalHvType(raw) === 'xen';
  if (field === 'hw_vm_mode') return canonicalVmMode(raw) === 'xen';
  return false;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The RequestSpec and, where present, its ImageMeta and ImageMetaProps envelopes. */
function objectChain(doc: Record<string, unknown>): [string, Record<string, unknown>][] {
  const chain: [string, Record<string, unknown>][] = [['RequestSpec', doc]];
  const data = doc['nova_object.data'];
  const image = isObject(data) ? data.image : null;
  if (isObject(image)) {
    chain.push(['ImageMeta', image]);
    const props = isObject(image['nova_object.data']) ? image['nova_object.data'].properties : null;
    if (isObject(props)) chain.push(['ImageMetaProps', props]);
  }
  return chain;
}

function readSpec(snapshot: InstanceSnapshot): SpecRead {
  const row = snapshot.requestSpec;
  if (!row) return { kind: 'missing' };
  const where = `nova_api.request_specs id ${row.id}`;
  let doc: unknown;
  try {
    doc = JSON.parse(row.spec);
  } catch {
    return { kind: 'unusable', reason: `${where}: spec is not JSON (starts ${JSON.stringify(row.spec.slice(0, 32))})` };
  }
  if (!isObject(doc) || doc['nova_object.name'] !== 'RequestSpec' || !isObject(doc['nova_object.data'])) {
    return { kind: 'unusable', reason: `${where}: spec is JSON but not a nova RequestSpec object` };
  }
  // oslo.versionedobjects refuses a major version it does not know: so must we, or we would edit a format we
  // cannot vouch for. Every RequestSpec/ImageMeta/ImageMetaProps nova has written is 1.x.
  for (const [name, obj] of objectChain(doc)) {
    const version = obj['nova_object.version'];
    if (typeof version !== 'string' || !/^1\.\d+$/.test(version)) {
      return {
        kind: 'unusable',
        reason: `${where}: ${name} object version ${JSON.stringify(version)} is not one nova writes (1.x)`,
      };
    }
  }
  const data = doc['nova_object.data'];
  if (!('image' in data)) {
    return { kind: 'unusable', reason: `${where}: spec has no image; nova's scheduler raises instead of filtering` };
  }
  const image = data.image;
  if (image === null) return { kind: 'no-image' };
  if (!isObject(image) || !isObject(image['nova_object.data'])) {
    return { kind: 'unusable', reason: `${where}: spec image is not an ImageMeta object` };
  }
  const imageData = image['nova_object.data'];
  if (!('properties' in imageData)) {
    return {
      kind: 'unusable',
      reason: `${where}: spec image has no properties; Zed's scheduler raises NotImplementedError on it (rebuild the instance or recreate the spec)`,
    };
  }
  const properties = imageData.properties;
  if (!isObject(properties) || !isObject(properties['nova_object.data'])) {
    return { kind: 'unusable', reason: `${where}: spec image properties are not an ImageMetaProps object` };
  }
  const props = properties['nova_object.data'];
  for (const field of FILTER_FIELDS) {
    if (field in props && typeof props[field] !== 'string') {
      return { kind: 'unusable', reason: `${where}: spec ${field} is ${JSON.stringify(props[field])}, not a string` };
    }
  }
  const changes = properties['nova_object.changes'];
  return { kind: 'ok', props, changes: Array.isArray(changes) ? changes : null };
}

/** What the target hosts advertise, in canonical form. */
class Targets {
  readonly hosts: HostCapabilities[];
  constructor(all: readonly HostCapabilities[]) {
    // A host that only advertises xen (the drained Xen host of a migrating cell) is not a target.
    this.hosts = all.filter((h) => h.supportedInstances.some((t) => canonicalHvType(t[1]) !== 'xen'));
  }
  private everyLists(position: 0 | 1 | 2, value: string | null, canon: (v: string) => string | null): boolean {
    if (value === null) return true;
    return this.hosts.every((h) => h.supportedInstances.some((t) => canon(t[position]) === value));
  }
  hvOk(raw: string): boolean {
    return this.everyLists(1, canonicalHvType(raw), canonicalHvType);
  }
  vmOk(raw: string): boolean {
    return this.everyLists(2, canonicalVmMode(raw), canonicalVmMode);
  }
  archOk(raw: string): boolean {
    return this.everyLists(0, canonicalArchitecture(raw), canonicalArchitecture);
  }
  /** Why a version requirement fails on some target host, or null when it passes on all of them. */
  versionProblem(required: string): string | null {
    const failing = this.hosts.find((h) => !requestedVersionPasses(required, h));
    if (!failing) return null;
    return `${failing.host} runs hypervisor version ${hypervisorVersionToString(failing.hypervisorVersion ?? 0)}`;
  }
  listedByAll(position: 1 | 2): string[] {
    const sets = this.hosts.map((h) => new Set(h.supportedInstances.map((t) => t[position].toLowerCase())));
    return [...(sets[0] ?? [])].filter((v) => sets.every((s) => s.has(v))).sort();
  }
}

type Choice = { value: string | null; note: string | null } | { error: string };

function chooseHvType(requested: string | null | undefined, targets: Targets, preferred: string | null): Choice {
  const common = targets.listedByAll(1).filter((v) => v !== 'xen');
  if (requested !== null && requested !== undefined && requested !== '') {
    if (requested.toLowerCase() === REMOVE_HV_TYPE) return { value: null, note: null };
    const canon = canonicalHvType(requested);
    if (!canon || !isValidHvType(requested)) {
      return { error: `--hv-type ${requested} is not a hypervisor type nova knows (${HV_TYPES.join(', ')})` };
    }
    if (canon === 'xen') return { error: '--hv-type xen is what is being repaired away from' };
    const lacking = targets.hosts.filter((h) => !h.supportedInstances.some((t) => canonicalHvType(t[1]) === canon));
    if (lacking.length === targets.hosts.length) {
      return {
        error: `--hv-type ${canon}: no compute node of the cell lists it (they list ${common.join(', ') || 'nothing in common'})`,
      };
    }
    if (lacking.length > 0) {
      return {
        value: canon,
        note: `--hv-type ${canon} is not listed by ${lacking.map((h) => h.host).join(', ')}: the instance cannot move there`,
      };
    }
    return { value: canon, note: null };
  }
  if (preferred && common.includes(preferred)) return { value: preferred, note: null };
  for (const candidate of ['kvm', 'qemu', ...common])
    if (common.includes(candidate)) return { value: candidate, note: null };
  return {
    value: null,
    note: 'the target hosts list no hypervisor type in common: img_hv_type is removed (absence passes on every host)',
  };
}

function systemMetadataProps(rows: readonly SystemMetadataRow[], changes: readonly RowChange[]): ImageProps {
  // nova loads every row, soft-deleted ones too, in id order; a later row of the same key wins; then legacy
  // names are applied before current ones (ImageMetaProps.from_dict).
  const values = new Map<string, string | null>();
  for (const row of [...rows].sort((a, b) => a.id - b.id)) {
    const change = changes.find((c) => c.table === 'instance_system_metadata' && c.rowId === row.id);
    if (change?.action === 'delete') continue;
    values.set(row.key, change ? change.newValue : row.value);
  }
  const props: Record<string, string> = {};
  for (const legacyFirst of [true, false]) {
    for (const [key, value] of values) {
      const field = SYSMETA_FIELD[key];
      if (!field || LEGACY_KEYS.has(key) !== legacyFirst || value === null) continue;
      props[field] = value;
    }
  }
  return props;
}

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

function specOps(
  read: Extract<SpecRead, { kind: 'ok' }>,
  decisions: { field: FilterField; old: string; next: string | null }[],
): Operation[] {
  const ops: Operation[] = [];
  for (const d of decisions) {
    const path = pointer([...PROPS_DATA, d.field]);
    ops.push({ op: 'test', path, value: d.old });
    ops.push(d.next === null ? { op: 'remove', path } : { op: 'replace', path, value: d.next });
  }
  // Keep the stored changes list in step, as nova would write it after setting or deleting the field.
  const changes = read.changes;
  if (changes) {
    const removed = decisions.filter((d) => d.next === null).map((d) => d.field);
    const added = decisions.filter((d) => d.next !== null && !changes.includes(d.field)).map((d) => d.field);
    const remaining = changes.filter((c) => !removed.includes(c as FilterField));
    const changesPath = pointer(PROPS_CHANGES);
    if (removed.length > 0 && remaining.length === 0 && added.length === 0) {
      // obj_to_primitive writes no changes key when nothing changed: drop the emptied list entirely.
      ops.push({ op: 'test', path: changesPath, value: changes }, { op: 'remove', path: changesPath });
    } else {
      const indices = changes
        .map((c, i) => (removed.includes(c as FilterField) ? i : -1))
        .filter((i) => i >= 0)
        .reverse(); // highest first, so earlier indices stay valid
      for (const i of indices) {
        const path = pointer([...PROPS_CHANGES, String(i)]);
        ops.push({ op: 'test', path, value: changes[i] }, { op: 'remove', path });
      }
      for (const field of added) ops.push({ op: 'add', path: `${changesPath}/-`, value: field });
    }
  }
  return ops;
}

function patchedProps(specAfter: string): ImageProps {
  let node: unknown = JSON.parse(specAfter);
  for (const key of PROPS_DATA) node = (node as Record<string, unknown>)[key];
  return node as ImageProps;
}

/** The repair for one instance. Never throws for bad data: it returns a skipped plan with the reason. */
export function planRepair(snapshot: InstanceSnapshot, options: PlanOptions = {}): RepairPlan {
  const instance = snapshot.instance;
  const problems = snapshot.problems.length > 0 ? ` (${snapshot.problems.join('; ')})` : '';
  if (!snapshot.cell)
    return emptyPlan(snapshot, 'skipped', `the instance is not mapped to a cell yet (still building?)${problems}`);
  const cellName = snapshot.cell.name ?? snapshot.cell.uuid;
  if (snapshot.cell.uuid === CELL0_UUID) {
    return emptyPlan(
      snapshot,
      'skipped',
      'the instance is in cell0: it was never scheduled to a host, so nothing can move it (rebuild or delete it)',
    );
  }
  if (!instance) return emptyPlan(snapshot, 'skipped', `no instances row in ${cellName}${problems}`);
  if (instance.deleted !== 0) return emptyPlan(snapshot, 'skipped', 'the instance is deleted: nothing to repair');
  if (instance.taskState) {
    return emptyPlan(
      snapshot,
      'skipped',
      `task_state is ${instance.taskState}: nova is working on this instance; repair it once the task has finished`,
    );
  }
  const spec = readSpec(snapshot);
  if (spec.kind === 'unusable') return emptyPlan(snapshot, 'skipped', spec.reason);
  if (spec.kind === 'missing') {
    // Since Stein nova refuses to move an instance without a request spec (RequestSpecNotFound): fixing the cell
    // rows alone would not make it movable, and recreating a spec is nova's job, not a repair's.
    return emptyPlan(
      snapshot,
      'skipped',
      'no request_specs row: nova cannot resize or migrate this instance (RequestSpecNotFound); nothing is changed',
    );
  }
  if (spec.kind === 'no-image') {
    return emptyPlan(
      snapshot,
      'skipped',
      `nova_api.request_specs id ${snapshot.requestSpec!.id}: the spec's image is null; Zed's scheduler raises AttributeError on it (report, not a Xen leftover to patch)`,
    );
  }

  const targets = new Targets(snapshot.hosts);
  if (targets.hosts.length === 0) {
    return emptyPlan(
      snapshot,
      'skipped',
      `${cellName} has no non-Xen compute node advertising supported_instances to repair towards`,
    );
  }
  const warnings: string[] = [];
  const preferred = snapshot.systemMetadata.find(
    (r) =>
      r.deleted === 0 &&
      r.key === 'image_img_hv_type' &&
      r.value !== null &&
      canonicalHvType(r.value) !== 'xen' &&
      targets.hvOk(r.value),
  );
  const hvChoice = chooseHvType(options.hvType, targets, preferred?.value ? canonicalHvType(preferred.value) : null);
  if ('error' in hvChoice) return emptyPlan(snapshot, 'skipped', hvChoice.error);
  if (hvChoice.note) warnings.push(hvChoice.note);
  const hvTarget = hvChoice.value;
  const vmTarget = targets.listedByAll(2).includes('hvm') ? 'hvm' : null;

  /** The new value for a stale filter field (undefined: not stale; null: remove it). */
  const fix = (field: FilterField, raw: string): string | null | undefined => {
    switch (field) {
      case 'img_hv_type':
        return targets.hvOk(raw) ? undefined : hvTarget;
      case 'hw_vm_mode':
        return targets.vmOk(raw) ? undefined : vmTarget;
      case 'img_hv_requested_version':
        return targets.versionProblem(raw) === null ? undefined : null;
      case 'hw_architecture':
        return undefined; // reported below, never rewritten
    }
  };
  const archWarnings = new Set<string>();
  const noteArchitecture = (raw: string, where: string) => {
    if (!targets.archOk(raw)) {
      archWarnings.add(
        `${where} hw_architecture ${canonicalArchitecture(raw)} is not offered by every target host; not changed (an instance's architecture is not a Xen leftover)`,
      );
    }
  };

  // ---- the request spec (nova_api)
  let requestSpecPatch: Operation[] = [];
  let specAfter: string | null = null;
  const xenMarkers: string[] = [];
  {
    const decisions: { field: FilterField; old: string; next: string | null }[] = [];
    for (const field of FILTER_FIELDS) {
      const raw = spec.props[field];
      if (typeof raw !== 'string') continue;
      if (field === 'hw_architecture') noteArchitecture(raw, 'request spec');
      if (isXenValue(field, raw)) xenMarkers.push(`spec ${field}`);
      const next = fix(field, raw);
      if (next !== undefined && next !== raw) decisions.push({ field, old: raw, next });
    }
    if (decisions.length > 0) {
      requestSpecPatch = specOps(spec, decisions);
      const edited = editSpecText(snapshot.requestSpec!.spec, requestSpecPatch);
      if (!edited.ok) {
        return emptyPlan(
          snapshot,
          'skipped',
          `nova_api.request_specs id ${snapshot.requestSpec!.id}: cannot edit the spec safely: ${edited.reason}`,
        );
      }
      specAfter = edited.text;
    }
  }

  // ---- system metadata (cell), every row including soft-deleted ones
  const rowChanges: RowChange[] = [];
  if (specAfter !== null) {
    // The spec is one row change too: apply compares the whole stored text, byte for byte, before writing.
    rowChanges.push({
      database: 'api',
      table: 'request_specs',
      rowId: snapshot.requestSpec!.id,
      column: 'spec',
      action: 'update',
      oldValue: snapshot.requestSpec!.spec,
      newValue: specAfter,
    });
  }
  const rows = [...snapshot.systemMetadata].sort((a, b) => a.id - b.id);
  for (const row of rows) {
    const field = SYSMETA_FIELD[row.key];
    if (!field || row.value === null) continue;
    if (field && isXenValue(field, row.value)) xenMarkers.push(`system metadata ${row.key}`);
  }
  if (instance.vmMode !== null && canonicalVmMode(instance.vmMode) === 'xen') xenMarkers.push('instances.vm_mode');
  if (instance.rootDeviceName && XEN_DEVICE.test(instance.rootDeviceName))
    xenMarkers.push('instances.root_device_name');
  if (snapshot.blockDeviceMappings.some((b) => b.deleted === 0 && b.deviceName && XEN_DEVICE.test(b.deviceName))) {
    xenMarkers.push('block_device_mapping.device_name');
  }
  const isXenLeftover = xenMarkers.length > 0;

  for (const row of rows) {
    if (row.value === null) continue;
    const field = SYSMETA_FIELD[row.key];
    const cell = (next: string | null): RowChange => ({
      database: 'cell',
      table: 'instance_system_metadata',
      rowId: row.id,
      column: 'value',
      key: row.key,
      action: next === null ? 'delete' : 'update',
      oldValue: row.value,
      newValue: next,
    });
    if (field === 'hw_architecture') noteArchitecture(row.value, `system metadata ${row.key}`);
    if (field) {
      const next = fix(field, row.value);
      if (next !== undefined && next !== row.value) rowChanges.push(cell(next));
    } else if (KERNEL_KEYS.has(row.key) && isXenLeftover && row.value !== '') {
      rowChanges.push(cell(''));
    }
  }
  warnings.push(...archWarnings);

  // ---- instances row (cell)
  const instanceChange = (column: string, oldValue: string | null, newValue: string): RowChange => ({
    database: 'cell',
    table: 'instances',
    rowId: instance.id,
    column,
    action: 'update',
    oldValue,
    newValue,
  });
  if (isXenLeftover) {
    if (instance.kernelId) rowChanges.push(instanceChange('kernel_id', instance.kernelId, ''));
    if (instance.ramdiskId) rowChanges.push(instanceChange('ramdisk_id', instance.ramdiskId, ''));
  }
  if (instance.rootDeviceName && XEN_DEVICE.test(instance.rootDeviceName)) {
    rowChanges.push(
      instanceChange(
        'root_device_name',
        instance.rootDeviceName,
        instance.rootDeviceName.replace(XEN_DEVICE, '$1vd$2$3'),
      ),
    );
  }
  if (instance.vmMode !== null && canonicalVmMode(instance.vmMode) === 'xen') {
    rowChanges.push(instanceChange('vm_mode', instance.vmMode, 'hvm'));
  }

  // ---- block device mappings (cell), live rows
  const live = snapshot.blockDeviceMappings.filter((b) => b.deleted === 0);
  const finalNames = new Map(live.map((b) => [b.id, b.deviceName]));
  for (const b of live) {
    if (!b.deviceName || !XEN_DEVICE.test(b.deviceName)) continue;
    const renamed = b.deviceName.replace(XEN_DEVICE, '$1vd$2$3');
    const clash = live.find((o) => o.id !== b.id && finalNames.get(o.id) === renamed);
    if (clash) {
      warnings.push(
        `block_device_mapping id ${b.id}: ${b.deviceName} not renamed, id ${clash.id} already uses ${renamed}`,
      );
      continue;
    }
    finalNames.set(b.id, renamed);
    rowChanges.push({
      database: 'cell',
      table: 'block_device_mapping',
      rowId: b.id,
      column: 'device_name',
      action: 'update',
      oldValue: b.deviceName,
      newValue: renamed,
    });
  }

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

  const target = { hvType: hvTarget, vmMode: vmTarget, hosts: targets.hosts.map((h) => h.host) };
  if (rowChanges.length === 0) {
    const plan = emptyPlan(
      snapshot,
      'nothing-to-do',
      `nothing stale: ImagePropertiesFilter passes on every compute node of ${cellName} (${target.hosts.join(', ')})`,
    );
    plan.warnings = warnings;
    return plan;
  }

  // ---- prove it: nova's filter on every target host with the patched properties
  const verification: HostCheck[] = [];
  const propsToCheck: { what: string; props: ImageProps }[] = [];
  propsToCheck.push({ what: 'request spec', props: specAfter ? patchedProps(specAfter) : spec.props });
  propsToCheck.push({ what: 'system metadata', props: systemMetadataProps(snapshot.systemMetadata, rowChanges) });
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

  return {
    uuid: snapshot.uuid,
    cell: snapshot.cell,
    status: 'planned',
    reason: null,
    requestSpecPatch,
    specBefore: specAfter ? snapshot.requestSpec!.spec : null,
    specAfter,
    rowChanges,
    warnings,
    target,
    verification,
  };
}
