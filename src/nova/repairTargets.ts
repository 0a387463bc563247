// The hosts a repair must pass on, and the values it repairs towards: what every one of them offers.
// Pure; shared by the diagnosis (what a stale value becomes) and the plan (what it writes).
import { canonicalArchitecture, canonicalHvType, canonicalVmMode, HV_TYPES, isValidHvType } from './canonical.js';
import { versionSatisfied } from './imagePropsFilter.js';
import { hypervisorVersionToString } from './supportedInstances.js';
import type { HostCapabilities } from './types.js';

/** The --hv-type value that removes img_hv_type instead of setting it. */
export const REMOVE_HV_TYPE = 'remove';

/** Position in a supported_instances tuple `[arch, hv_type, vm_mode]`. */
export type TuplePosition = 0 | 1 | 2;

const CANON: Record<TuplePosition, (v: string) => string | null> = {
  0: canonicalArchitecture,
  1: canonicalHvType,
  2: canonicalVmMode,
};

const byHostList = new WeakMap<readonly HostCapabilities[], RepairTargets>();

/**
 * What the cell's non-Xen compute nodes advertise, in canonical form. A sweep asks the same questions of the
 * same cell for every instance: answers are kept per host list (snapshots of one cell share it).
 */
export class RepairTargets {
  readonly hosts: HostCapabilities[];
  private readonly answers = new Map<string, HostCapabilities[] | string[]>();

  /** The targets of a cell's host list, computed once per list. */
  static of(all: readonly HostCapabilities[]): RepairTargets {
    let t = byHostList.get(all);
    if (!t) byHostList.set(all, (t = new RepairTargets(all)));
    return t;
  }

  private constructor(all: readonly HostCapabilities[]) {
    // A host that only advertises xen (the drained Xen host of a migrating cell) is not a target.
    this.hosts = all.filter((h) => h.supportedInstances.some((t) => canonicalHvType(t[1]) !== 'xen'));
  }

  private remember<T extends HostCapabilities[] | string[]>(key: string, compute: () => T): T {
    let v = this.answers.get(key) as T | undefined;
    if (!v) this.answers.set(key, (v = compute()));
    return v;
  }

  /** Target hosts listing the value at that tuple position (every host for an absent value). */
  hostsListing(position: TuplePosition, raw: string | null): HostCapabilities[] {
    const canon = CANON[position];
    const value = raw === null ? null : canon(raw);
    if (value === null) return this.hosts;
    return this.remember(`${position}:${value}`, () =>
      this.hosts.filter((h) => h.supportedInstances.some((t) => canon(t[position]) === value)),
    );
  }
  /** Target hosts whose hypervisor version satisfies an img_hv_requested_version. */
  hostsSatisfying(required: string): HostCapabilities[] {
    return this.remember(`v:${required}`, () =>
      this.hosts.filter((h) => versionSatisfied(required, h.hypervisorVersion)),
    );
  }
  /** Why a version requirement fails on a host, for messages. */
  static versionOf(host: HostCapabilities): string {
    return host.hypervisorVersion === null ? 'no version' : hypervisorVersionToString(host.hypervisorVersion);
  }
  /** Values (lower case) every target host lists at that position. */
  listedByAll(position: 1 | 2): string[] {
    return this.remember(`all:${position}`, () => {
      const sets = this.hosts.map((h) => new Set(h.supportedInstances.map((t) => t[position].toLowerCase())));
      return [...(sets[0] ?? [])].filter((v) => sets.every((s) => s.has(v))).sort();
    });
  }
  /** hw_vm_mode a Xen mode becomes: hvm where every target offers it, else removed (absence passes). */
  vmModeTarget(): string | null {
    return this.listedByAll(2).includes('hvm') ? 'hvm' : null;
  }
}

export type HvTypeChoice = { value: string | null; note: string | null } | { error: string };

/** Whether an --hv-type value is one nova knows and not the one being repaired away from; null when fine. */
export function hvTypeOptionProblem(requested: string): string | null {
  if (requested.toLowerCase() === REMOVE_HV_TYPE) return null;
  if (!isValidHvType(requested))
    return `--hv-type '${requested}' is not a hypervisor type nova knows (one of ${HV_TYPES.join(', ')}, or ${REMOVE_HV_TYPE})`;
  if (canonicalHvType(requested) === 'xen') return `--hv-type ${requested} is what the repair moves away from`;
  return null;
}

/**
 * img_hv_type a Xen value becomes: the operator's --hv-type, else the one the instance's current-name system
 * metadata already names (`preferred`), else kvm, qemu or any type every target host lists; removed when they
 * list none in common (absence passes everywhere).
 */
export function chooseHvType(
  requested: string | null | undefined,
  targets: RepairTargets,
  preferred: string | null,
): HvTypeChoice {
  const common = targets.listedByAll(1).filter((v) => v !== 'xen');
  if (requested !== null && requested !== undefined && requested !== '') {
    const problem = hvTypeOptionProblem(requested);
    if (problem) return { error: problem };
    if (requested.toLowerCase() === REMOVE_HV_TYPE) return { value: null, note: null };
    const canon = canonicalHvType(requested) as string;
    const listing = targets.hostsListing(1, canon);
    if (listing.length === 0) {
      return {
        error: `--hv-type ${canon}: no compute node of the cell lists it (they list ${common.join(', ') || 'nothing in common'})`,
      };
    }
    if (listing.length < targets.hosts.length) {
      const lacking = targets.hosts.filter((h) => !listing.includes(h));
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
