// What a Xen-to-KVM move leaves behind, in one place: every property and column that matters, where nova keeps
// it, when a value there is a Xen leftover, and what it becomes. trace reports exactly what findLeftovers()
// returns and repair changes exactly that (plus what the operator widens by name): the two cannot disagree.
//
// Only Xen leftovers change by default. A non-Xen value that keeps some hosts out (an image made for qemu, in a
// cell where one host offers only kvm) was set by someone on purpose: it is reported as narrowing, and only
// rewritten when the operator names its property (--widen).
import { canonicalArchitecture, canonicalHvType, canonicalVmMode } from './canonical.js';
import { instanceSupported } from './imagePropsFilter.js';
import { chooseHvType, RepairTargets, type TuplePosition } from './repairTargets.js';
import { pointer, SPEC_PROPS_PATH, type SpecReading } from './requestSpec.js';
import type { InstanceSnapshot, StaleLocation, StaleValue, SystemMetadataRow } from './snapshot.js';
import type { HostCapabilities, ImageProps } from './types.js';

/** The ImageMetaProps fields ImagePropertiesFilter reads that Xen leaves values in. */
export type ImageProperty = 'img_hv_type' | 'hw_vm_mode' | 'hw_architecture' | 'img_hv_requested_version';

/** Properties whose narrowing (non-Xen) values an operator may ask to rewrite. */
export const WIDENABLE: readonly ImageProperty[] = ['img_hv_type', 'hw_vm_mode', 'img_hv_requested_version'];

interface PropertyEntry {
  property: ImageProperty;
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
}

/** The table. */
export const IMAGE_PROPERTIES: readonly PropertyEntry[] = [
  {
    property: 'img_hv_type',
    sysmeta: { current: 'image_img_hv_type', legacy: 'image_hypervisor_type' },
    position: 1,
    canonical: canonicalHvType,
    xenValue: (v) => v === 'xen',
    becomes: 'hv-type-choice',
  },
  {
    property: 'hw_vm_mode',
    sysmeta: { current: 'image_hw_vm_mode', legacy: 'image_vm_mode' },
    position: 2,
    canonical: canonicalVmMode,
    xenValue: (v) => v === 'xen',
    becomes: 'vm-mode-choice',
  },
  {
    property: 'hw_architecture',
    sysmeta: { current: 'image_hw_architecture', legacy: 'image_architecture' },
    position: 0,
    canonical: canonicalArchitecture,
    xenValue: null,
    becomes: 'never',
  },
  {
    // A version requirement of the old hypervisor: a leftover when no target host meets it (the instance cannot
    // move at all); one that some hosts meet narrows, like any value set on purpose.
    property: 'img_hv_requested_version',
    sysmeta: { current: 'image_img_hv_requested_version', legacy: 'image_hypervisor_version_requires' },
    position: null,
    canonical: null,
    xenValue: null,
    becomes: 'removed',
  },
];

/** Cell columns and keys that are not image properties but only make sense on Xen. */
export const XEN_KERNEL_KEYS: readonly string[] = ['image_kernel_id', 'image_ramdisk_id'];
const KERNEL_COLUMNS = ['kernel_id', 'ramdisk_id'] as const;

/** /dev/xvdX[N]: Xen's block device names; KVM guests see /dev/vdX. */
const XEN_DEVICE = /^(\/dev\/)?xvd([a-z]+)(\d*)$/;
const renamedDevice = (name: string) => name.replace(XEN_DEVICE, '$1vd$2$3');

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
const cleaned = (raw: string) => raw.replace(STRAY, '').trim();

/** The canonical form of a property value, read through stray characters. */
function canonicalOf(entry: PropertyEntry, raw: string): string | null {
  return entry.canonical ? entry.canonical(cleaned(raw)) : raw;
}

/** Whether a value of the property is one Xen wrote (xen, xapi, pv, 'xen ' …). */
export function isXenValue(property: ImageProperty, raw: string | null | undefined): boolean {
  if (raw === null || raw === undefined) return false;
  const entry = IMAGE_PROPERTIES.find((e) => e.property === property);
  if (!entry?.xenValue) return false;
  const canon = canonicalOf(entry, raw);
  return canon !== null && entry.xenValue(canon);
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

export interface LeftoverOptions {
  /** --hv-type: img_hv_type to write; null/undefined: chosen from the hosts; 'remove': drop it. */
  hvType?: string | null;
}

/** What findLeftovers() sees in one instance's rows. */
export interface Leftovers {
  /** Xen leftovers; `becomes` is absent where nothing can be written (no target host, a name clash). */
  stale: StaleValue[];
  /** Non-Xen values that keep some target hosts out: reported, changed only when widened by name. */
  narrowing: StaleValue[];
  /** Whether any row shows the instance came from Xen. */
  xenOrigin: boolean;
  targets: RepairTargets;
  /** What a Xen img_hv_type / hw_vm_mode becomes in this cell (absent: no choice possible). */
  hvTarget?: string | null;
  vmTarget?: string | null;
  /** Notes for the operator: architecture not offered everywhere, a chosen --hv-type some hosts lack. */
  notes: string[];
  /** --hv-type that cannot be used for this instance's cell. */
  optionError: string | null;
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

type Site = StaleLocation & { value: string; property: ImageProperty | null; where: string };

/** Every place in the instance's rows that holds a value of an image property, spec first. */
function propertySites(snapshot: InstanceSnapshot, reading: SpecReading | null): Site[] {
  const sites: Site[] = [];
  const spec = snapshot.requestSpec;
  if (spec && reading?.ok) {
    for (const e of IMAGE_PROPERTIES) {
      const v = reading.props[e.property];
      if (typeof v !== 'string') continue;
      sites.push({
        database: 'api',
        table: 'request_specs',
        rowId: spec.id,
        column: 'spec',
        pointer: pointer([...SPEC_PROPS_PATH, 'nova_object.data', e.property]),
        value: v,
        property: e.property,
        where: 'the request spec',
      });
    }
  }
  for (const r of snapshot.systemMetadata) {
    const feed = BY_SYSMETA_KEY.get(r.key);
    if (!feed || r.value === null) continue;
    sites.push({
      database: 'cell',
      table: 'instance_system_metadata',
      rowId: r.id,
      key: r.key,
      value: r.value,
      property: feed.entry.property,
      where: `system metadata${r.deleted !== 0 ? ' (soft-deleted, but nova still loads it)' : ''}`,
    });
  }
  return sites;
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

  const xenOrigin =
    sites.some((s) => s.property !== null && isXenValue(s.property, s.value)) ||
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
  const push = (list: StaleValue[], site: Site, reason: string, becomes: string | null | undefined) => {
    const { where: _where, ...location } = site;
    list.push(becomes === undefined ? { ...location, reason } : { ...location, reason, becomes });
  };

  for (const site of sites) {
    const entry = IMAGE_PROPERTIES.find((e) => e.property === site.property) as PropertyEntry;
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
      const winner = site.table === 'instance_system_metadata' ? sysKeys.get(entry.property) : undefined;
      const overridden =
        winner !== undefined && 'key' in site && winner !== site.key
          ? `; today ${winner}='${sysProps[entry.property]}' takes precedence, but this row still says Xen`
          : '';
      const feeds =
        site.table === 'instance_system_metadata'
          ? `; nova rebuilds the image properties from these rows (nova-manage image_property, the instance image_meta, a new request spec)${overridden}`
          : specFit(hosts, reading, cellName);
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

  // Kernel and ramdisk ids, and Xen device names: only leftovers on an instance that came from Xen (a KVM
  // instance booted from an AMI keeps its kernel).
  for (const r of snapshot.systemMetadata) {
    if (!XEN_KERNEL_KEYS.includes(r.key) || !r.value || !xenOrigin) continue;
    stale.push({
      database: 'cell',
      table: 'instance_system_metadata',
      rowId: r.id,
      key: r.key,
      value: r.value,
      property: null,
      becomes: '',
      reason: `${r.key} in system metadata${r.deleted !== 0 ? ' (soft-deleted, but nova still loads it)' : ''}: the Xen PV ${r.key === 'image_kernel_id' ? 'kernel' : 'ramdisk'} image; a KVM guest should boot its own`,
    });
  }
  if (inst) {
    for (const column of KERNEL_COLUMNS) {
      const value = column === 'kernel_id' ? inst.kernelId : inst.ramdiskId;
      if (!value || !xenOrigin) continue;
      stale.push({
        database: 'cell',
        table: 'instances',
        rowId: inst.id,
        column,
        value,
        property: null,
        becomes: '',
        reason: `instances.${column}: the Xen PV ${column === 'kernel_id' ? 'kernel' : 'ramdisk'} image; libvirt would boot the guest with it`,
      });
    }
    if (isXenValue('hw_vm_mode', inst.vmMode)) {
      stale.push({
        database: 'cell',
        table: 'instances',
        rowId: inst.id,
        column: 'vm_mode',
        value: inst.vmMode ?? '',
        property: null,
        becomes: 'hvm',
        reason: `instances.vm_mode '${inst.vmMode}'${strays(inst.vmMode ?? '')}: libvirt would define the guest as <os><type>xen</type>`,
      });
    }
    if (inst.rootDeviceName && XEN_DEVICE.test(inst.rootDeviceName)) {
      stale.push({
        database: 'cell',
        table: 'instances',
        rowId: inst.id,
        column: 'root_device_name',
        value: inst.rootDeviceName,
        property: null,
        becomes: renamedDevice(inst.rootDeviceName),
        reason: `instances.root_device_name '${inst.rootDeviceName}' is a Xen device name; KVM guests see /dev/vd* or /dev/sd*`,
      });
    }
  }
  const finalNames = new Map(liveBdms.map((b) => [b.id, b.deviceName]));
  for (const b of liveBdms) {
    if (!b.deviceName || !XEN_DEVICE.test(b.deviceName)) continue;
    const renamed = renamedDevice(b.deviceName);
    const clash = liveBdms.find((o) => o.id !== b.id && finalNames.get(o.id) === renamed);
    if (!clash) finalNames.set(b.id, renamed);
    stale.push({
      database: 'cell',
      table: 'block_device_mapping',
      rowId: b.id,
      column: 'device_name',
      value: b.deviceName,
      property: null,
      ...(clash ? {} : { becomes: renamed }),
      reason: `block_device_mapping.device_name '${b.deviceName}' is a Xen device name${clash ? `; not renamed: id ${clash.id} already uses ${renamed}` : ''}`,
    });
  }

  return {
    stale,
    narrowing,
    xenOrigin,
    targets,
    ...(hvTarget !== undefined ? { hvTarget } : {}),
    ...(vmTarget !== undefined ? { vmTarget } : {}),
    notes,
    optionError,
  };
}

/** The image properties a spec reading holds (empty when it could not be read). */
export function specProps(reading: SpecReading | null): ImageProps {
  return reading?.ok ? reading.props : {};
}
