// What a Xen-to-KVM move leaves behind, in one place: every property and column that matters, where nova keeps
// it, when a value there is a Xen leftover, and what it becomes. trace reports exactly what findLeftovers()
// returns and repair changes exactly that (plus what the operator widens by name): the two cannot disagree. Which
// instances a repair leaves alone whatever their rows hold (cell0, deleted, a spec nova cannot load…) is decided
// here too (whyNotRepaired), so trace never shows a value becoming what no repair writes.
//
// Only Xen leftovers change by default. A non-Xen value that keeps some hosts out (an image made for qemu, in a
// cell where one host offers only kvm) was set by someone on purpose: it is reported as narrowing, and only
// rewritten when the operator names its property (--widen).
import { canonicalArchitecture, canonicalHvType, canonicalVmMode } from './canonical.js';
import { instanceSupported } from './imagePropsFilter.js';
import { chooseHvType, RepairTargets, type TuplePosition } from './repairTargets.js';
import { pointer, SPEC_PROPS_PATH, type SpecReading } from './requestSpec.js';
import type {
  BlockDeviceMappingRow,
  InstanceRow,
  InstanceSnapshot,
  StaleLocation,
  StaleValue,
  SystemMetadataRow,
} from './snapshot.js';
import type { HostCapabilities, ImageProps } from './types.js';

/** The ImageMetaProps fields ImagePropertiesFilter reads that Xen leaves values in. */
export type ImageProperty = 'img_hv_type' | 'hw_vm_mode' | 'hw_architecture' | 'img_hv_requested_version';

/** Properties whose narrowing (non-Xen) values an operator may ask to rewrite. */
export const WIDENABLE: readonly ImageProperty[] = ['img_hv_type', 'hw_vm_mode', 'img_hv_requested_version'];

interface PropertyEntry {
  property: ImageProperty;
  /** Its JSON Pointer inside request_specs.spec. */
  specPointer: string;
  /** system_metadata keys, image_<Glance name>: nova applies the legacy one first, so the current one wins. */
  sysmeta: { current: string; legacy: string };
  /** The supported_instances position it is matched against; null: the hypervisor version instead. */
  position: TuplePosition | null;
  /** Its canonical form (nova/objects/fields.py canonicalize()); null for free text. */
  canonical: ((v: string) => string | null) | null;
  /** A value Xen wrote: hypervisor xen/xapi, VM mode xen/pv. The version is judged against the hosts instead. */
  xenValue: ((canonical: string) => boolean) | null;
  /** What a leftover becomes: the cell's choice, hvm (or removed), removed, or never touched (an instance fact). */
  becomes: 'hv-type-choice' | 'vm-mode-choice' | 'removed' | 'never';
  /** For the README: which values are leftovers, and what they become. */
  doc: { stale: string; becomes: string };
}

/** The table. */
export const IMAGE_PROPERTIES: readonly PropertyEntry[] = [
  {
    property: 'img_hv_type',
    specPointer: pointer([...SPEC_PROPS_PATH, 'nova_object.data', 'img_hv_type']),
    sysmeta: { current: 'image_img_hv_type', legacy: 'image_hypervisor_type' },
    position: 1,
    canonical: canonicalHvType,
    xenValue: (v) => v === 'xen',
    becomes: 'hv-type-choice',
    doc: {
      stale: '`xen`, `xapi` (any case, stray spaces or escape sequences)',
      becomes: '`--hv-type`, else a type every host of the cell lists (`kvm`), else removed',
    },
  },
  {
    property: 'hw_vm_mode',
    specPointer: pointer([...SPEC_PROPS_PATH, 'nova_object.data', 'hw_vm_mode']),
    sysmeta: { current: 'image_hw_vm_mode', legacy: 'image_vm_mode' },
    position: 2,
    canonical: canonicalVmMode,
    xenValue: (v) => v === 'xen',
    becomes: 'vm-mode-choice',
    doc: { stale: '`xen`, `pv`', becomes: '`hvm` (removed where a host lacks it)' },
  },
  {
    property: 'hw_architecture',
    specPointer: pointer([...SPEC_PROPS_PATH, 'nova_object.data', 'hw_architecture']),
    sysmeta: { current: 'image_hw_architecture', legacy: 'image_architecture' },
    position: 0,
    canonical: canonicalArchitecture,
    xenValue: null,
    becomes: 'never',
    doc: { stale: 'never: an architecture some hosts lack is noted', becomes: 'unchanged' },
  },
  {
    // A version requirement of the old hypervisor: a leftover when no target host meets it (the instance cannot
    // move at all); one that some hosts meet narrows, like any value set on purpose.
    property: 'img_hv_requested_version',
    specPointer: pointer([...SPEC_PROPS_PATH, 'nova_object.data', 'img_hv_requested_version']),
    sysmeta: { current: 'image_img_hv_requested_version', legacy: 'image_hypervisor_version_requires' },
    position: null,
    canonical: null,
    xenValue: null,
    becomes: 'removed',
    doc: { stale: 'a version no enabled host of the cell meets', becomes: 'removed' },
  },
];

/** /dev/xvdX[N]: Xen's block device names; KVM guests see /dev/vdX. */
const XEN_DEVICE = /^(\/dev\/)?xvd([a-z]+)(\d*)$/;
// A sweep renames the same few names (/dev/xvda…) on most instances: each rename is remembered.
const renamedMemo = new Map<string, string>();
function renamedDevice(name: string): string {
  let renamed = renamedMemo.get(name);
  if (renamed === undefined) {
    renamed = name.replace(XEN_DEVICE, '$1vd$2$3');
    if (renamedMemo.size > 4096) renamedMemo.clear();
    renamedMemo.set(name, renamed);
  }
  return renamed;
}

/** A cell column or system metadata key that is not an image property but only makes sense on Xen. */
interface CellPlace {
  table: 'instance_system_metadata' | 'instances' | 'block_device_mapping';
  /** The system metadata key, or the column. */
  name: string;
  /** When a value there is a leftover: on any instance that came from Xen, or when it is in Xen's spelling. */
  leftover: 'on-xen-instance' | 'xen-vm-mode' | 'xen-device';
  becomes: (value: string) => string;
  why: string;
  doc: { stale: string; becomes: string };
}

const KERNEL_DOC = { stale: 'a Xen PV kernel or ramdisk id, on an instance that came from Xen', becomes: "`''`" };

export const CELL_PLACES: readonly CellPlace[] = [
  ...(['kernel', 'ramdisk'] as const).flatMap((what): CellPlace[] => [
    {
      table: 'instance_system_metadata',
      name: `image_${what}_id`,
      leftover: 'on-xen-instance',
      becomes: () => '',
      why: `the Xen PV ${what} image; a KVM guest should boot its own`,
      doc: KERNEL_DOC,
    },
    {
      table: 'instances',
      name: `${what}_id`,
      leftover: 'on-xen-instance',
      becomes: () => '',
      why: `the Xen PV ${what} image; libvirt would boot the guest with it`,
      doc: KERNEL_DOC,
    },
  ]),
  {
    table: 'instances',
    name: 'vm_mode',
    leftover: 'xen-vm-mode',
    becomes: () => 'hvm',
    why: 'libvirt would define the guest as <os><type>xen</type>',
    doc: { stale: '`xen`, `pv`', becomes: '`hvm`' },
  },
  {
    table: 'instances',
    name: 'root_device_name',
    leftover: 'xen-device',
    becomes: renamedDevice,
    why: 'a Xen device name; KVM guests see /dev/vd* or /dev/sd*',
    doc: { stale: '`/dev/xvdX`', becomes: '`/dev/vdX`' },
  },
  {
    table: 'block_device_mapping',
    name: 'device_name',
    leftover: 'xen-device',
    becomes: renamedDevice,
    why: 'a Xen device name; KVM guests see /dev/vd* or /dev/sd*',
    doc: {
      stale: '`/dev/xvdX` (live rows)',
      becomes: '`/dev/vdX`, unless another mapping of the instance has that name',
    },
  },
];

export const XEN_KERNEL_KEYS: readonly string[] = CELL_PLACES.filter((p) => p.table === 'instance_system_metadata').map(
  (p) => p.name,
);

const INSTANCE_FIELD: Record<string, keyof InstanceRow> = {
  kernel_id: 'kernelId',
  ramdisk_id: 'ramdiskId',
  vm_mode: 'vmMode',
  root_device_name: 'rootDeviceName',
};

/** The values a snapshot holds at a cell place: system metadata rows (soft-deleted too), the instance, live BDMs. */
function cellValues(
  place: CellPlace,
  snapshot: InstanceSnapshot,
  liveBdms: readonly BlockDeviceMappingRow[],
): { value: string | null; rowId: number; deleted: boolean }[] {
  if (place.table === 'instance_system_metadata')
    return snapshot.systemMetadata
      .filter((r) => r.key === place.name)
      .map((r) => ({ value: r.value, rowId: r.id, deleted: r.deleted !== 0 }));
  if (place.table === 'block_device_mapping')
    return liveBdms.map((b) => ({ value: b.deviceName, rowId: b.id, deleted: false }));
  const inst = snapshot.instance;
  const field = INSTANCE_FIELD[place.name] as keyof InstanceRow;
  return inst ? [{ value: (inst[field] as string | null | undefined) ?? null, rowId: inst.id, deleted: false }] : [];
}

const BY_SYSMETA_KEY = new Map<string, { entry: PropertyEntry; current: boolean }>(
  IMAGE_PROPERTIES.flatMap((e) => [
    [e.sysmeta.current, { entry: e, current: true }],
    [e.sysmeta.legacy, { entry: e, current: false }],
  ]),
);

/** The system_metadata keys the diagnosis reads; a whole-cloud sweep may read only these rows. */
export const DIAGNOSED_SYSMETA_KEYS: readonly string[] = [...BY_SYSMETA_KEY.keys(), ...XEN_KERNEL_KEYS];

// An escape sequence or control character around a value is how a hand edit or a paste from a terminal leaves
// it; nova's canonicalize() cannot read such a value, and what is left once they go is what was meant.
const STRAY = /\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]|[\u0000-\u001f\u007f-\u009f]/g;
const MAYBE_STRAY = /[\u0000-\u0020\u007f-\u009f]/;
const cleaned = (raw: string) => (MAYBE_STRAY.test(raw) ? raw.replace(STRAY, '').trim() : raw);

const BY_PROPERTY = new Map(IMAGE_PROPERTIES.map((e) => [e.property, e]));

// A sweep meets the same few spellings (xen, hvm, x86_64…) a million times: canonical forms are remembered.
const canonicalMemo = new Map<PropertyEntry, Map<string, string | null>>();

/** The canonical form of a property value, read through stray characters. */
function canonicalOf(entry: PropertyEntry, raw: string): string | null {
  if (!entry.canonical) return raw;
  let memo = canonicalMemo.get(entry);
  if (!memo) canonicalMemo.set(entry, (memo = new Map()));
  let canon = memo.get(raw);
  if (canon === undefined) {
    canon = entry.canonical(cleaned(raw));
    if (memo.size > 4096) memo.clear();
    memo.set(raw, canon);
  }
  return canon;
}

function xenIn(entry: PropertyEntry, raw: string): boolean {
  if (!entry.xenValue) return false;
  const canon = canonicalOf(entry, raw);
  return canon !== null && entry.xenValue(canon);
}

/** Whether a value of the property is one Xen wrote (xen, xapi, pv, 'xen ' …). */
export function isXenValue(property: ImageProperty, raw: string | null | undefined): boolean {
  if (raw === null || raw === undefined) return false;
  const entry = BY_PROPERTY.get(property);
  return entry !== undefined && xenIn(entry, raw);
}

const strays = (raw: string) => (cleaned(raw) === raw ? '' : ' (with stray characters that nova cannot read)');

/**
 * The image properties nova rebuilds from system metadata (nova.utils.get_image_from_system_metadata, then
 * ImageMetaProps.from_dict): every row, soft-deleted ones too, in id order (a later row of a key wins), legacy
 * names applied before current ones. `valueAfter` lets a plan ask what they will be after its changes.
 */
export function systemMetadataProps(
  rows: readonly SystemMetadataRow[],
  valueAfter: (row: SystemMetadataRow) => string | null | undefined = (r) => r.value,
): { props: Record<string, string>; keys: Map<string, string> } {
  const values = new Map<string, string | null>();
  const ordered = rows.every((r, i) => i === 0 || (rows[i - 1] as SystemMetadataRow).id < r.id)
    ? rows
    : [...rows].sort((a, b) => a.id - b.id);
  for (const row of ordered) {
    const value = valueAfter(row);
    if (value === undefined) values.delete(row.key);
    else values.set(row.key, value);
  }
  const props: Record<string, string> = {};
  const keys = new Map<string, string>();
  for (const current of [false, true]) {
    for (const [key, value] of values) {
      const feed = BY_SYSMETA_KEY.get(key);
      if (!feed || feed.current !== current || value === null) continue;
      props[feed.entry.property] = value;
      keys.set(feed.entry.property, key);
    }
  }
  return { props, keys };
}

/** nova_api.cell_mappings' uuid for cell0: where nova keeps the instances it never scheduled to a host. */
export const CELL0_UUID = '00000000-0000-0000-0000-000000000000';

/** Why a repair leaves an instance alone, as far as its rows tell. */
export interface NotRepaired {
  /** In the operator's words; a skipped plan's reason. */
  reason: string;
  /**
   * Nova is working on the instance (task_state set): a repair once the task has finished writes what `becomes`
   * says, so its leftovers keep it, and a run that skips it has not made a planned change. Otherwise no repair
   * run can act on the instance: its leftovers have no `becomes` (reported, not a failure).
   */
  untilTaskEnds: boolean;
}

/**
 * Why a repair leaves this instance alone, from its rows alone (no options; those can only add reasons): null when
 * a repair may act on it. The one rule: findLeftovers() asks it, so trace shows no `becomes` where the plan,
 * which skips with this reason, writes nothing.
 */
export function whyNotRepaired(
  snapshot: InstanceSnapshot,
  reading: SpecReading | null,
  targets: RepairTargets = RepairTargets.of(snapshot.hosts),
): NotRepaired | null {
  const never = (reason: string): NotRepaired => ({ reason, untilTaskEnds: false });
  const instance = snapshot.instance;
  const problems = () => (snapshot.problems.length > 0 ? ` (${snapshot.problems.join('; ')})` : '');
  if (!snapshot.cell) return never(`the instance is not mapped to a cell yet (still building?)${problems()}`);
  const cellName = snapshot.cell.name ?? snapshot.cell.uuid;
  if (snapshot.cell.uuid === CELL0_UUID)
    return never(
      'the instance is in cell0: it was never scheduled to a host, so nothing can move it (rebuild or delete it)',
    );
  if (!instance) return never(`no instances row in ${cellName}${problems()}`);
  if (instance.deleted !== 0) return never('the instance is deleted: nothing to repair');
  if (instance.taskState)
    return {
      reason: `task_state is ${instance.taskState}: nova is working on this instance; repair it once the task has finished`,
      untilTaskEnds: true,
    };
  const spec = snapshot.requestSpec;
  if (spec && reading && !reading.ok) return never(`nova_api.request_specs id ${spec.id}: ${reading.problem}`);
  if (targets.hosts.length === 0)
    return never(`${cellName} has no non-Xen compute node advertising supported_instances to repair towards`);
  return null;
}

export interface LeftoverOptions {
  /** --hv-type: img_hv_type to write; null/undefined: chosen from the hosts; 'remove': drop it. */
  hvType?: string | null;
}

/** What findLeftovers() sees in one instance's rows. */
export interface Leftovers {
  /**
   * Xen leftovers; `becomes` is absent where nothing can be written (a name clash, or an instance no repair run
   * acts on: notRepaired).
   */
  stale: StaleValue[];
  /** Non-Xen values that keep some target hosts out: reported, changed only when widened by name. */
  narrowing: StaleValue[];
  /** Whether any row shows the instance came from Xen. */
  xenOrigin: boolean;
  /** The image properties nova rebuilds from system metadata today (systemMetadataProps of the snapshot's rows). */
  systemMetadataProps: Record<string, string>;
  targets: RepairTargets;
  /** What a Xen img_hv_type / hw_vm_mode becomes in this cell (absent: no choice possible). */
  hvTarget?: string | null;
  vmTarget?: string | null;
  /** Notes for the operator: architecture not offered everywhere, a chosen --hv-type some hosts lack. */
  notes: string[];
  /** --hv-type that cannot be used for this instance's cell. */
  optionError: string | null;
  /** Why a repair leaves the instance alone (whyNotRepaired), null when it may act on it. */
  notRepaired: NotRepaired | null;
}

function hostList(hosts: readonly HostCapabilities[]): string {
  return hosts.length === 0
    ? 'no enabled compute node'
    : `${hosts.length} enabled compute node${hosts.length === 1 ? '' : 's'}`;
}

/** How the spec as it stands fares on the cell's hosts, with nova's own matching. */
function specFit(hosts: readonly HostCapabilities[], reading: SpecReading | null, cellName: string): string {
  if (hosts.length === 0 || !reading?.ok) return '';
  const passing = hosts.filter((h) => instanceSupported(reading.props, h)).length;
  return `; the spec as it is passes on ${passing} of ${hostList(hosts)} in ${cellName}`;
}

interface Site {
  location: StaleLocation;
  value: string;
  entry: PropertyEntry;
  where: string;
}

/** Every place in the instance's rows that holds a value of an image property, spec first. */
function propertySites(snapshot: InstanceSnapshot, reading: SpecReading | null): Site[] {
  const sites: Site[] = [];
  const spec = snapshot.requestSpec;
  if (spec && reading?.ok) {
    for (const entry of IMAGE_PROPERTIES) {
      const value = reading.props[entry.property];
      if (typeof value !== 'string') continue;
      const location: StaleLocation = {
        database: 'api',
        table: 'request_specs',
        rowId: spec.id,
        column: 'spec',
        pointer: entry.specPointer,
      };
      sites.push({ location, value, entry, where: 'the request spec' });
    }
  }
  for (const r of snapshot.systemMetadata) {
    const feed = BY_SYSMETA_KEY.get(r.key);
    if (!feed || r.value === null) continue;
    const location: StaleLocation = { database: 'cell', table: 'instance_system_metadata', rowId: r.id, key: r.key };
    sites.push({
      location,
      value: r.value,
      entry: feed.entry,
      where: r.deleted !== 0 ? 'system metadata (soft-deleted, but nova still loads it)' : 'system metadata',
    });
  }
  return sites;
}

/**
 * A stale value, built field by field: a sweep makes millions, and spreading four shapes of location into one
 * object was most of a diagnosis's time. `becomes` is always present (undefined: nothing can be written).
 */
function staleAt(
  location: StaleLocation,
  value: string,
  property: string | null,
  reason: string,
  becomes: string | null | undefined,
): StaleValue {
  switch (location.table) {
    case 'request_specs':
      return {
        database: 'api',
        table: 'request_specs',
        rowId: location.rowId,
        column: 'spec',
        pointer: location.pointer,
        value,
        property,
        reason,
        becomes,
      };
    case 'instance_system_metadata':
      return {
        database: 'cell',
        table: 'instance_system_metadata',
        rowId: location.rowId,
        key: location.key,
        value,
        property,
        reason,
        becomes,
      };
    case 'instances':
      return {
        database: 'cell',
        table: 'instances',
        rowId: location.rowId,
        column: location.column,
        value,
        property,
        reason,
        becomes,
      };
    case 'block_device_mapping':
      return {
        database: 'cell',
        table: 'block_device_mapping',
        rowId: location.rowId,
        column: 'device_name',
        value,
        property,
        reason,
        becomes,
      };
  }
}

/** Find every Xen leftover, and every narrowing value, in one instance's rows. Pure; never throws. */
export function findLeftovers(
  snapshot: InstanceSnapshot,
  reading: SpecReading | null,
  options: LeftoverOptions = {},
): Leftovers {
  const hosts = snapshot.hosts;
  const targets = RepairTargets.of(hosts);
  const cellName = snapshot.cell?.name ?? snapshot.cell?.uuid ?? 'its cell';
  const inst = snapshot.instance;
  const liveBdms = snapshot.blockDeviceMappings.filter((b) => b.deleted === 0);
  const sites = propertySites(snapshot, reading);
  const notes: string[] = [];
  const notRepaired = whyNotRepaired(snapshot, reading, targets);
  // What a value becomes is what a repair writes: nothing, on an instance no repair run acts on.
  const writes = notRepaired === null || notRepaired.untilTaskEnds;

  const xenOrigin =
    sites.some((s) => xenIn(s.entry, s.value)) ||
    isXenValue('hw_vm_mode', inst?.vmMode) ||
    XEN_DEVICE.test(inst?.rootDeviceName ?? '') ||
    liveBdms.some((b) => XEN_DEVICE.test(b.deviceName ?? ''));

  const hasTargets = targets.hosts.length > 0;
  const { props: sysProps, keys: sysKeys } = systemMetadataProps(snapshot.systemMetadata);
  const preferredRaw = sysProps.img_hv_type;
  const preferred =
    preferredRaw !== undefined && !isXenValue('img_hv_type', preferredRaw) ? canonicalHvType(preferredRaw) : null;
  let hvTarget: string | null | undefined;
  let optionError: string | null = null;
  if (hasTargets) {
    const choice = chooseHvType(options.hvType, targets, preferred);
    if ('error' in choice) optionError = choice.error;
    else {
      hvTarget = choice.value;
      if (choice.note) notes.push(choice.note);
    }
  }
  const vmTarget = hasTargets ? targets.vmModeTarget() : undefined;

  const stale: StaleValue[] = [];
  const narrowing: StaleValue[] = [];
  const push = (list: StaleValue[], site: Site, reason: string, becomes: string | null | undefined) =>
    list.push(staleAt(site.location, site.value, site.entry.property, reason, writes ? becomes : undefined));
  let fit: string | undefined;
  const specFitOnce = () => {
    fit ??= specFit(hosts, reading, cellName);
    return fit;
  };

  for (const site of sites) {
    const entry = site.entry;
    const raw = site.value;
    const label = `${entry.property} '${raw}'${strays(raw)} in ${site.where}`;
    if (entry.position === null) {
      // img_hv_requested_version: judged against the target hosts' hypervisor versions.
      if (!hasTargets) continue;
      const meeting = targets.hostsSatisfying(raw);
      if (meeting.length === targets.hosts.length) continue;
      const versions = targets.hosts
        .filter((h) => !meeting.includes(h))
        .map((h) => `${h.host} runs ${RepairTargets.versionOf(h)}`)
        .join(', ');
      if (meeting.length === 0) {
        push(
          stale,
          site,
          `${label}: a requirement of an old hypervisor that no enabled compute node of ${cellName} meets (${versions}), so resize and migrate find no valid host`,
          null,
        );
      } else {
        push(
          narrowing,
          site,
          `${label} passes on ${meeting.length} of ${hostList(targets.hosts)} in ${cellName} (${versions}); left as set`,
          null,
        );
      }
      continue;
    }
    const canon = canonicalOf(entry, raw);
    if (entry.xenValue && canon !== null && entry.xenValue(canon)) {
      const becomes = !hasTargets
        ? undefined
        : entry.becomes === 'hv-type-choice'
          ? hvTarget
          : entry.becomes === 'vm-mode-choice'
            ? vmTarget
            : undefined;
      const why =
        entry.property === 'img_hv_type'
          ? 'ImagePropertiesFilter rejects every KVM host (they offer qemu and kvm), so resize and migrate find no valid host'
          : 'Xen paravirtual; KVM hosts only offer hvm, so resize and migrate find no valid host';
      const loc = site.location;
      const winner = loc.table === 'instance_system_metadata' ? sysKeys.get(entry.property) : undefined;
      const overridden =
        winner !== undefined && loc.table === 'instance_system_metadata' && winner !== loc.key
          ? `; today ${winner}='${sysProps[entry.property]}' takes precedence, but this row still says Xen`
          : '';
      const feeds =
        loc.table === 'instance_system_metadata'
          ? `; nova rebuilds the image properties from these rows (nova-manage image_property, the instance image_meta, a new request spec)${overridden}`
          : specFitOnce();
      push(stale, site, `${label}: ${why}${feeds}`, becomes);
      continue;
    }
    if (!hasTargets || canon === null) continue;
    const listing = targets.hostsListing(entry.position, raw);
    if (listing.length === targets.hosts.length) continue;
    const lacking = targets.hosts.filter((h) => !listing.includes(h)).map((h) => h.host);
    if (entry.becomes === 'never') {
      notes.push(
        `${label}: ${canon} is not offered by ${lacking.join(', ')}; not changed (an instance's architecture is not a Xen leftover)`,
      );
      continue;
    }
    const becomes = entry.becomes === 'hv-type-choice' ? hvTarget : vmTarget;
    push(
      narrowing,
      site,
      `${label} passes on ${listing.length} of ${hostList(targets.hosts)} in ${cellName} (${lacking.join(', ')} lack it); left as set, not a Xen leftover (--widen ${entry.property} rewrites it)`,
      becomes,
    );
  }

  // The cell places that are not image properties: only leftovers on an instance that came from Xen (a KVM
  // instance booted from an AMI keeps its kernel) or in Xen's own spelling.
  const finalNames = new Map(liveBdms.map((b) => [b.id, b.deviceName]));
  for (const place of CELL_PLACES) {
    for (const found of cellValues(place, snapshot, liveBdms)) {
      const { value, rowId, deleted } = found;
      if (!value) continue;
      const leftover =
        place.leftover === 'on-xen-instance'
          ? xenOrigin
          : place.leftover === 'xen-vm-mode'
            ? isXenValue('hw_vm_mode', value)
            : XEN_DEVICE.test(value);
      if (!leftover) continue;
      let becomes: string | undefined = place.becomes(value);
      let clash = '';
      if (place.table === 'block_device_mapping') {
        // Two mappings must not end up with one name: the second is reported, not renamed.
        const other = liveBdms.find((o) => o.id !== rowId && finalNames.get(o.id) === becomes);
        if (other) {
          clash = `; not renamed: id ${other.id} already uses ${becomes}`;
          becomes = undefined;
        } else finalNames.set(rowId, becomes);
      }
      const gone = deleted ? ' (soft-deleted, but nova still loads it)' : '';
      const reason = `${place.table === 'instance_system_metadata' ? `${place.name} in system metadata` : `${place.table}.${place.name}`} '${value}'${strays(value)}${gone}: ${place.why}${clash}`;
      const location: StaleLocation =
        place.table === 'instance_system_metadata'
          ? { database: 'cell', table: place.table, rowId, key: place.name }
          : ({ database: 'cell', table: place.table, rowId, column: place.name } as StaleLocation);
      stale.push(staleAt(location, value, null, reason, writes ? becomes : undefined));
    }
  }
  if (notRepaired && (stale.length > 0 || narrowing.length > 0))
    notes.push(
      `${notRepaired.untilTaskEnds ? 'repair skips this instance for now' : 'repair leaves this instance alone'}: ${notRepaired.reason}`,
    );

  return {
    stale,
    narrowing,
    xenOrigin,
    systemMetadataProps: sysProps,
    targets,
    ...(hvTarget !== undefined ? { hvTarget } : {}),
    ...(vmTarget !== undefined ? { vmTarget } : {}),
    notes,
    optionError,
    notRepaired,
  };
}

/**
 * The README's "What a repair changes" table, from the tables above. A value that is not Xen's but keeps some
 * hosts out (qemu where a host offers only kvm) is never in it: it changes only with --widen PROPERTY.
 */
export function leftoversMarkdown(): string {
  const rows = [
    '| where | stale | becomes |',
    '|---|---|---|',
    ...IMAGE_PROPERTIES.map(
      (e) =>
        `| \`${e.property}\`: the spec's image properties, system metadata \`${e.sysmeta.current}\` / \`${e.sysmeta.legacy}\` | ${e.doc.stale} | ${e.doc.becomes} |`,
    ),
    ...CELL_PLACES.map(
      (p) =>
        `| ${p.table === 'instance_system_metadata' ? `system metadata \`${p.name}\`` : `\`${p.table}.${p.name}\``} | ${p.doc.stale} | ${p.doc.becomes} |`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}

/** The image properties a spec reading holds (empty when it could not be read). */
export function specProps(reading: SpecReading | null): ImageProps {
  return reading?.ok ? reading.props : {};
}
