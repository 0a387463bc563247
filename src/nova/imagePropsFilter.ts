// ImagePropertiesFilter._instance_supported (nova/scheduler/filters/image_props_filter.py) as pure
// functions, plus the diagnosis nova does not do: which property failed on a host, and which values
// (null = remove the property) would have passed there.
import { canonicalArchitecture, canonicalHvType, canonicalVmMode } from './canonical.js';
import { hypervisorVersionToString } from './supportedInstances.js';
import type { FilteredProperty, HostCapabilities, ImageProps, PropertyMismatch, SupportedInstance } from './types.js';
import { parseVersionPredicate } from './versionPredicate.js';

export interface FilterOptions {
  /** [filter_scheduler]image_properties_default_architecture (Rocky+): used when hw_architecture is unset. */
  defaultArchitecture?: string | null;
}

/** What the filter needs to know about a host. `maxphysaddrBits`: cpu_info maxphysaddr bits (2024.1+ check). */
export type FilterHost = Pick<HostCapabilities, 'supportedInstances' | 'hypervisorVersion'> & {
  maxphysaddrBits?: number | null;
};

/** The properties ImagePropertiesFilter reads, canonicalised as it canonicalises them. */
export interface CheckedProps {
  arch: string | null;
  hvType: string | null;
  vmMode: string | null;
  requestedVersion: string | null;
  maxphysaddrBits: number | null;
}

function str(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : String(v);
}

export function checkedProps(props: ImageProps, opts: FilterOptions = {}): CheckedProps {
  const arch = props.hw_architecture !== undefined ? str(props.hw_architecture) : (opts.defaultArchitecture ?? null);
  const bits = props.hw_maxphysaddr_bits;
  return {
    arch: canonicalArchitecture(arch),
    hvType: canonicalHvType(str(props.img_hv_type)),
    vmMode: canonicalVmMode(str(props.hw_vm_mode)),
    requestedVersion: str(props.img_hv_requested_version),
    maxphysaddrBits:
      typeof bits === 'number' ? bits : typeof bits === 'string' && /^\d+$/.test(bits) ? Number(bits) : null,
  };
}

/** `_compare_props`: every requested value must be a member of the tuple (membership, not position). */
function tupleMatches(c: CheckedProps, tuple: SupportedInstance): boolean {
  for (const v of [c.arch, c.hvType, c.vmMode]) {
    if (v && !tuple.includes(v)) return false;
  }
  return true;
}

/** `_compare_product_version`; an unparsable predicate or version does not pass (nova would raise). */
export function versionSatisfied(requested: string | null, hypervisorVersion: number | null): boolean {
  if (!hypervisorVersion || !requested) return true;
  const pred = parseVersionPredicate(requested);
  if (!pred) return false;
  return pred.satisfiedBy(hypervisorVersionToString(hypervisorVersion)) === true;
}

function maxphysaddrSatisfied(bits: number | null, host: FilterHost): boolean {
  if (!bits || host.maxphysaddrBits === undefined || host.maxphysaddrBits === null) return true;
  return bits <= host.maxphysaddrBits;
}

/** True when ImagePropertiesFilter would let `host` through for an image with `props`. */
export function instanceSupported(props: ImageProps, host: FilterHost, opts: FilterOptions = {}): boolean {
  return checkedSupported(checkedProps(props, opts), host);
}

function checkedSupported(c: CheckedProps, host: FilterHost): boolean {
  if (!c.arch && !c.hvType && !c.vmMode) return true;
  const supp = host.supportedInstances;
  if (supp.length === 0) return false;
  for (const tuple of supp) {
    if (
      tupleMatches(c, tuple) &&
      versionSatisfied(c.requestedVersion, host.hypervisorVersion) &&
      maxphysaddrSatisfied(c.maxphysaddrBits, host)
    ) {
      return true;
    }
  }
  return false;
}

const COLUMN: Partial<Record<FilteredProperty, 0 | 1 | 2>> = { hw_architecture: 0, img_hv_type: 1, hw_vm_mode: 2 };
const TUPLE_PROPS: FilteredProperty[] = ['hw_architecture', 'img_hv_type', 'hw_vm_mode'];

function requestedValue(c: CheckedProps, p: FilteredProperty): string | null {
  switch (p) {
    case 'hw_architecture':
      return c.arch;
    case 'img_hv_type':
      return c.hvType;
    case 'hw_vm_mode':
      return c.vmMode;
    case 'img_hv_requested_version':
      return c.requestedVersion;
    case 'hw_maxphysaddr_bits':
      return c.maxphysaddrBits === null ? null : String(c.maxphysaddrBits);
  }
}

function withValue(c: CheckedProps, p: FilteredProperty, v: string | null): CheckedProps {
  switch (p) {
    case 'hw_architecture':
      return { ...c, arch: v };
    case 'img_hv_type':
      return { ...c, hvType: v };
    case 'hw_vm_mode':
      return { ...c, vmMode: v };
    case 'img_hv_requested_version':
      return { ...c, requestedVersion: v };
    case 'hw_maxphysaddr_bits':
      return { ...c, maxphysaddrBits: v === null ? null : Number(v) };
  }
}

/** Whether property `p` alone can be satisfied on the host (ignoring the other properties). */
function aloneSatisfiable(c: CheckedProps, p: FilteredProperty, host: FilterHost): boolean {
  const v = requestedValue(c, p);
  if (v === null) return true;
  switch (p) {
    case 'img_hv_requested_version':
      return versionSatisfied(v, host.hypervisorVersion);
    case 'hw_maxphysaddr_bits':
      return maxphysaddrSatisfied(c.maxphysaddrBits, host);
    default:
      return host.supportedInstances.some((t) => t.includes(v));
  }
}

/**
 * Why one host rejects the image: each set property that the host cannot satisfy on its own, or, when
 * only the combination fails (each value exists, never in one tuple), every set tuple property. Each
 * mismatch lists the values that would pass on this host with the other properties unchanged
 * (null = remove the property), checked with instanceSupported. Empty when the host passes.
 */
export function hostMismatches(props: ImageProps, host: FilterHost, opts: FilterOptions = {}): PropertyMismatch[] {
  const c = checkedProps(props, opts);
  if (checkedSupported(c, host)) return [];
  const set = (
    [
      'hw_architecture',
      'img_hv_type',
      'hw_vm_mode',
      'img_hv_requested_version',
      'hw_maxphysaddr_bits',
    ] as FilteredProperty[]
  ).filter((p) => requestedValue(c, p) !== null);
  let failing = set.filter((p) => !aloneSatisfiable(c, p, host));
  if (failing.length === 0) failing = set.filter((p) => TUPLE_PROPS.includes(p));
  return failing.map((p) => ({
    property: p,
    value: requestedValue(c, p) as string,
    passingValues: passingValues(c, p, host, failing),
  }));
}

function passingValues(
  c: CheckedProps,
  p: FilteredProperty,
  host: FilterHost,
  failing: FilteredProperty[],
): (string | null)[] {
  // The other failing properties are assumed fixed too (removed), so a value here is judged on its own merit.
  let base = c;
  for (const q of failing) if (q !== p) base = withValue(base, q, null);
  const candidates: (string | null)[] = [null];
  const col = COLUMN[p];
  if (col !== undefined) {
    for (const t of host.supportedInstances) {
      const v = t[col];
      if (!candidates.includes(v)) candidates.push(v);
    }
  }
  return candidates.filter((v) => v !== requestedValue(c, p) && checkedSupported(withValue(base, p, v), host));
}

/**
 * Mismatches over several hosts: per property, the requested value and the union of values that pass on
 * at least one of them. A property appears when it fails on at least one host that rejects the image.
 */
export function findMismatches(
  props: ImageProps,
  hosts: readonly FilterHost[],
  opts: FilterOptions = {},
): PropertyMismatch[] {
  const byProp = new Map<FilteredProperty, PropertyMismatch>();
  for (const host of hosts) {
    for (const m of hostMismatches(props, host, opts)) {
      const seen = byProp.get(m.property);
      if (!seen) byProp.set(m.property, { ...m, passingValues: [...m.passingValues] });
      else for (const v of m.passingValues) if (!seen.passingValues.includes(v)) seen.passingValues.push(v);
    }
  }
  return [...byProp.values()];
}

/** Properties the filter reads that the image sets, under their field names, canonicalised. */
export function filteredValues(props: ImageProps, opts: FilterOptions = {}): Partial<Record<FilteredProperty, string>> {
  const c = checkedProps(props, opts);
  const out: Partial<Record<FilteredProperty, string>> = {};
  for (const p of [
    'hw_architecture',
    'img_hv_type',
    'hw_vm_mode',
    'img_hv_requested_version',
    'hw_maxphysaddr_bits',
  ] as FilteredProperty[]) {
    const v = requestedValue(c, p);
    if (v !== null) out[p] = v;
  }
  return out;
}
