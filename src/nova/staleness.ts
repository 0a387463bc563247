// Which of an instance's rows still carry Xen, and how healthy that leaves it: the diagnosis behind trace.
// Pure: reads an InstanceSnapshot, never a database. The spec is read as the nova_object it is (only the
// image properties path counts: a scheduler hint called img_hv_type is not an image property).

import { canonicalHvType, canonicalVmMode } from './canonical.js';
import { instanceSupported } from './imagePropsFilter.js';
import type {
  BlockDeviceMappingRow,
  Diagnosis,
  InstanceHealth,
  InstanceRow,
  InstanceSnapshot,
  StaleValue,
  SystemMetadataRow,
} from './snapshot.js';
import type { HostCapabilities, ImageProps } from './types.js';

/** Start of the problem db/ reports when a reachable cell has no instances row for the instance. */
export const MISSING_INSTANCE_ROW = 'no row in the instances table';

/** JSON Pointer (RFC 6901) of the image properties object inside request_specs.spec. */
export const SPEC_PROPS_POINTER = '/nova_object.data/image/nova_object.data/properties/nova_object.data';

/** RFC 6901 escaping of one reference token. */
export function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

/** The request spec, read as nova would read it, or why it cannot be. */
export type SpecReading = { ok: true; props: ImageProps } | { ok: false; problem: string };

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse request_specs.spec as a RequestSpec primitive and find its ImageMetaProps data. Never throws. */
export function readSpec(spec: string): SpecReading {
  let root: unknown;
  try {
    root = JSON.parse(spec);
  } catch {
    const shown = spec.length > 40 ? `${spec.slice(0, 40)}…` : spec;
    return {
      ok: false,
      problem: `request_specs.spec is not JSON (starts ${JSON.stringify(shown)}): nova cannot load it`,
    };
  }
  if (!isObject(root) || root['nova_object.name'] !== 'RequestSpec') {
    const name = isObject(root) ? root['nova_object.name'] : undefined;
    return {
      ok: false,
      problem: `request_specs.spec is JSON but not a RequestSpec${typeof name === 'string' ? ` (it is a ${name})` : ''}`,
    };
  }
  const data = root['nova_object.data'];
  if (!isObject(data)) return { ok: false, problem: 'request_specs.spec has no nova_object.data' };
  if (!('image' in data)) {
    return {
      ok: false,
      problem: "request_specs.spec has no image: Zed's scheduler cannot load it (report, don't patch)",
    };
  }
  const image = data.image;
  if (image === null) {
    return {
      ok: false,
      problem: `request_specs.spec has "image": null: Zed's scheduler fails on it (report, don't patch)`,
    };
  }
  if (!isObject(image) || !isObject(image['nova_object.data'])) {
    return { ok: false, problem: 'request_specs.spec image is not an ImageMeta object' };
  }
  const props = image['nova_object.data'].properties;
  if (props === undefined) {
    return {
      ok: false,
      problem:
        "request_specs.spec image has no properties: Zed's scheduler raises NotImplementedError (report, don't patch)",
    };
  }
  if (!isObject(props) || !isObject(props['nova_object.data'])) {
    return { ok: false, problem: 'request_specs.spec image properties are not an ImageMetaProps object' };
  }
  return { ok: true, props: props['nova_object.data'] };
}

// system_metadata keys (image_<Glance name>) that feed the filtered properties: current names win over legacy ones.
const SYSMETA_PROPERTY: Readonly<Record<string, { property: string; current: boolean }>> = {
  image_img_hv_type: { property: 'img_hv_type', current: true },
  image_hypervisor_type: { property: 'img_hv_type', current: false },
  image_hw_vm_mode: { property: 'hw_vm_mode', current: true },
  image_vm_mode: { property: 'hw_vm_mode', current: false },
  image_hw_architecture: { property: 'hw_architecture', current: true },
  image_architecture: { property: 'hw_architecture', current: false },
};
const KERNEL_KEYS = new Set(['image_kernel_id', 'image_ramdisk_id']);

/** The system_metadata keys diagnose() reads; a whole-cloud sweep may read only these rows. */
export const DIAGNOSED_SYSMETA_KEYS: readonly string[] = [...Object.keys(SYSMETA_PROPERTY), ...KERNEL_KEYS];

/** Xen by nova's canonical names: hypervisor xen/xapi, VM mode xen/pv. */
function isXenValue(property: string, value: string | null | undefined): boolean {
  if (value === null || value === undefined) return false;
  if (property === 'img_hv_type') return canonicalHvType(value) === 'xen';
  if (property === 'hw_vm_mode') return canonicalVmMode(value) === 'xen';
  return false;
}

const XEN_DEVICE = /^\/dev\/xvd/;

function hostList(hosts: readonly HostCapabilities[]): string {
  return hosts.length === 0
    ? 'no enabled compute node'
    : `${hosts.length} enabled compute node${hosts.length === 1 ? '' : 's'}`;
}

/** Why a spec property is stale, checked against the cell's hosts with nova's own matching. */
function specReason(
  property: string,
  value: string,
  props: ImageProps,
  hosts: readonly HostCapabilities[],
  cellName: string,
): string {
  const passing = hosts.filter((h) => instanceSupported(props, h)).length;
  const fit = hosts.length === 0 ? '' : `; the spec as it is passes on ${passing} of ${hostList(hosts)} in ${cellName}`;
  if (property === 'img_hv_type') {
    return `img_hv_type '${value}' in the request spec: ImagePropertiesFilter rejects every KVM host (they offer qemu and kvm), so resize and migrate find no valid host${fit}`;
  }
  if (property === 'hw_vm_mode') {
    return `hw_vm_mode '${value}' (Xen paravirtual) in the request spec: KVM hosts only offer hvm, so resize and migrate find no valid host${fit}`;
  }
  return `${property} '${value}' in the request spec fails on every enabled host of ${cellName}${fit}`;
}

interface EffectiveSysmeta {
  /** property → the value nova uses (current name wins; among duplicates the last row read). */
  values: Map<string, { value: string | null; key: string }>;
}

function effectiveSysmeta(rows: readonly SystemMetadataRow[]): EffectiveSysmeta {
  const values = new Map<string, { value: string | null; key: string; current: boolean }>();
  // Among duplicates the row read last wins; nova reads them in id order.
  const ordered = rows.every((r, i) => i === 0 || (rows[i - 1] as SystemMetadataRow).id < r.id)
    ? rows
    : [...rows].sort((a, b) => a.id - b.id);
  for (const r of ordered) {
    const feed = SYSMETA_PROPERTY[r.key];
    if (!feed) continue;
    const seen = values.get(feed.property);
    if (seen?.current && !feed.current) continue;
    values.set(feed.property, { value: r.value, key: r.key, current: feed.current });
  }
  return { values };
}

function duplicateKeys(rows: readonly SystemMetadataRow[]): string[] {
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
export function diagnose(snapshot: InstanceSnapshot, specReading?: SpecReading): Diagnosis {
  const problems = [...snapshot.problems];
  const stale: StaleValue[] = [];
  const cellName = snapshot.cell?.name ?? snapshot.cell?.uuid ?? 'its cell';
  const hosts = snapshot.hosts;

  // 1. The request spec: what the scheduler reads.
  let specReadable = false;
  let specProps: ImageProps = {};
  const spec = snapshot.requestSpec;
  if (spec) {
    const reading = specReading ?? readSpec(spec.spec);
    if (reading.ok) {
      specReadable = true;
      specProps = reading.props;
      for (const property of ['img_hv_type', 'hw_vm_mode'] as const) {
        const v = specProps[property];
        if (typeof v === 'string' && isXenValue(property, v)) {
          stale.push({
            database: 'api',
            table: 'request_specs',
            rowId: spec.id,
            column: 'spec',
            pointer: `${SPEC_PROPS_POINTER}/${pointerToken(property)}`,
            value: v,
            property,
            reason: specReason(property, v, specProps, hosts, cellName),
          });
        }
      }
      // A hypervisor version requirement is a leftover of the old hypervisor when, with the Xen values gone, it
      // alone keeps every enabled host out (nova only checks it when arch, hv type or VM mode is requested).
      const req = specProps.img_hv_requested_version;
      const fixed: Record<string, unknown> = { ...specProps };
      for (const s of stale) if (s.property) delete fixed[s.property];
      const { img_hv_requested_version: _req, ...noVersion } = fixed;
      if (
        typeof req === 'string' &&
        hosts.length > 0 &&
        hosts.every((h) => !instanceSupported(fixed, h) && instanceSupported(noVersion, h))
      ) {
        stale.push({
          database: 'api',
          table: 'request_specs',
          rowId: spec.id,
          column: 'spec',
          pointer: `${SPEC_PROPS_POINTER}/img_hv_requested_version`,
          value: req,
          property: 'img_hv_requested_version',
          reason: specReason('img_hv_requested_version', req, specProps, hosts, cellName),
        });
      }
    } else {
      problems.push(reading.problem);
    }
  }

  // 2. The cell rows. Kernel and ramdisk ids are only Xen leftovers on an instance that came from Xen.
  const inst = snapshot.instance;
  const sysmeta = snapshot.systemMetadata;
  problems.push(...duplicateKeys(sysmeta));
  const liveBdms: BlockDeviceMappingRow[] = snapshot.blockDeviceMappings.filter((b) => b.deleted === 0);
  const xenOrigin =
    stale.some((s) => s.property === 'img_hv_type' || s.property === 'hw_vm_mode') ||
    sysmeta.some((r) => {
      const feed = SYSMETA_PROPERTY[r.key];
      return feed !== undefined && isXenValue(feed.property, r.value);
    }) ||
    isXenValue('hw_vm_mode', inst?.vmMode) ||
    XEN_DEVICE.test(inst?.rootDeviceName ?? '') ||
    liveBdms.some((b) => XEN_DEVICE.test(b.deviceName ?? ''));

  const effective = effectiveSysmeta(sysmeta);
  for (const r of sysmeta) {
    const feed = SYSMETA_PROPERTY[r.key];
    const gone = r.deleted !== 0 ? ' (soft-deleted, but nova still loads it)' : '';
    if (feed && isXenValue(feed.property, r.value)) {
      const eff = effective.values.get(feed.property);
      const overridden =
        eff && eff.key !== r.key
          ? `; today ${eff.key}='${eff.value}' takes precedence, but this row still says Xen`
          : '';
      stale.push({
        database: 'cell',
        table: 'instance_system_metadata',
        rowId: r.id,
        key: r.key,
        value: r.value ?? '',
        property: feed.property,
        reason: `${r.key} '${r.value}' in system metadata${gone}: nova rebuilds the image properties from these rows (nova-manage image_property, the instance's image_meta)${overridden}`,
      });
    } else if (KERNEL_KEYS.has(r.key) && r.value && xenOrigin) {
      stale.push({
        database: 'cell',
        table: 'instance_system_metadata',
        rowId: r.id,
        key: r.key,
        value: r.value,
        property: null,
        reason: `${r.key} in system metadata${gone}: the Xen PV ${r.key === 'image_kernel_id' ? 'kernel' : 'ramdisk'} image; a KVM guest should boot its own`,
      });
    }
  }
  if (inst) {
    if (xenOrigin) {
      for (const [column, value] of [
        ['kernel_id', inst.kernelId],
        ['ramdisk_id', inst.ramdiskId],
      ] as const) {
        if (value) {
          stale.push({
            database: 'cell',
            table: 'instances',
            rowId: inst.id,
            column,
            value,
            property: null,
            reason: `instances.${column}: the Xen PV ${column === 'kernel_id' ? 'kernel' : 'ramdisk'} image; libvirt would boot the guest with it`,
          });
        }
      }
    }
    if (isXenValue('hw_vm_mode', inst.vmMode)) {
      stale.push({
        database: 'cell',
        table: 'instances',
        rowId: inst.id,
        column: 'vm_mode',
        value: inst.vmMode ?? '',
        property: null,
        reason: `instances.vm_mode '${inst.vmMode}': libvirt would define the guest as <os><type>xen</type>`,
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
        reason: `instances.root_device_name '${inst.rootDeviceName}' is a Xen device name; KVM guests see /dev/vd* or /dev/sd*`,
      });
    }
  }
  for (const b of liveBdms) {
    if (b.deviceName && XEN_DEVICE.test(b.deviceName)) {
      stale.push({
        database: 'cell',
        table: 'block_device_mapping',
        rowId: b.id,
        column: 'device_name',
        value: b.deviceName,
        property: null,
        reason: `block_device_mapping.device_name '${b.deviceName}' is a Xen device name`,
      });
    }
  }

  if (inst) problems.push(...placementProblems(inst, hosts));

  return {
    uuid: snapshot.uuid,
    cell: snapshot.cell,
    health: health(snapshot, specReadable, stale, effective),
    stale,
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
  specReadable: boolean,
  stale: readonly StaleValue[],
  effective: EffectiveSysmeta,
): InstanceHealth {
  if (snapshot.instance && snapshot.instance.deleted !== 0) return 'deleted';
  if (!specReadable) return 'unreadable';
  // The mapping names a cell we could read, yet the instance is not there.
  if (snapshot.cell && !snapshot.instance && snapshot.problems.some((p) => p.startsWith(MISSING_INSTANCE_ROW))) {
    return 'unreadable';
  }
  if (stale.length === 0) return 'ok';
  const specStale = stale.filter((s) => s.table === 'request_specs');
  if (specStale.length === 0) return 'half-fixed';
  // Someone fixed system metadata (e.g. nova-manage image_property set before bug 2078999) but not the spec.
  const fixedElsewhere = specStale.some((s) => {
    const eff = s.property ? effective.values.get(s.property) : undefined;
    return eff !== undefined && eff.value !== null && !isXenValue(s.property ?? '', eff.value);
  });
  return fixedElsewhere ? 'half-fixed' : 'stale';
}
