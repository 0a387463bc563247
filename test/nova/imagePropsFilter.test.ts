import { describe, expect, it } from 'vitest';
import {
  canonicalArchitecture,
  canonicalHvType,
  canonicalVmMode,
  isValidArchitecture,
  isValidHvType,
  isValidVmMode,
} from '../../src/nova/canonical.js';
import { findMismatches, hostMismatches, instanceSupported } from '../../src/nova/imagePropsFilter.js';
import type { HostCapabilities } from '../../src/nova/types.js';
import { parseVersionPredicate } from '../../src/nova/versionPredicate.js';
import { oracle } from './oracle.js';

const KVM: HostCapabilities = {
  host: 'kvm1',
  node: 'kvm1.example.org',
  supportedInstances: [
    ['i686', 'qemu', 'hvm'],
    ['i686', 'kvm', 'hvm'],
    ['x86_64', 'qemu', 'hvm'],
    ['x86_64', 'kvm', 'hvm'],
  ],
  hypervisorVersion: 2011001,
};

describe('canonicalisation (nova.objects.fields)', () => {
  const fns = {
    Architecture: [canonicalArchitecture, isValidArchitecture],
    HVType: [canonicalHvType, isValidHvType],
    VMMode: [canonicalVmMode, isValidVmMode],
  } as const;
  it.each(oracle.canonical.map((c) => [c.enum, c.name, c] as const))('%s.canonicalize(%s)', (_, name, c) => {
    const [canon, valid] = fns[c.enum];
    if (c.error) expect(valid(name)).toBe(false);
    else {
      expect(canon(name)).toBe(c.value);
      expect(valid(name)).toBe(true);
    }
  });
});

describe('instanceSupported = ImagePropertiesFilter._instance_supported (nova Zed)', () => {
  it.each(oracle.filter.map((c) => [JSON.stringify(c.props), c.host, c] as const))('%s on %s', (_, __, c) => {
    expect(
      instanceSupported(c.props, { supportedInstances: c.supported, hypervisorVersion: c.hypervisorVersion }),
    ).toBe(c.passes);
  });

  it('uses the default architecture only when hw_architecture is unset', () => {
    const arm = { supportedInstances: [['aarch64', 'kvm', 'hvm'] as const], hypervisorVersion: null };
    expect(instanceSupported({}, arm)).toBe(true);
    expect(instanceSupported({}, arm, { defaultArchitecture: 'x86_64' })).toBe(false);
    expect(instanceSupported({ hw_architecture: 'aarch64' }, arm, { defaultArchitecture: 'x86_64' })).toBe(true);
  });

  it('checks hw_maxphysaddr_bits when the host reports its limit (2024.1+)', () => {
    const host = { ...KVM, maxphysaddrBits: 46 };
    expect(instanceSupported({ img_hv_type: 'kvm', hw_maxphysaddr_bits: 48 }, host)).toBe(false);
    expect(instanceSupported({ img_hv_type: 'kvm', hw_maxphysaddr_bits: 46 }, host)).toBe(true);
  });
});

describe('version predicates (distutils VersionPredicate as the filter uses it)', () => {
  it.each(oracle.versions.map((v) => [v.predicate, v.asString, v] as const))('%s on %s', (pred, ver, v) => {
    expect(parseVersionPredicate(pred)?.satisfiedBy(ver)).toBe(v.satisfied);
  });

  it('refuses what nova refuses', () => {
    expect(parseVersionPredicate('2.6')).toBeNull();
    expect(parseVersionPredicate('>=2')).toBeNull();
    expect(parseVersionPredicate('')).toBeNull();
    expect(parseVersionPredicate('>=2.6)')).toBeNull();
    expect(parseVersionPredicate('>=2.6')?.satisfiedBy('1.2.3.4')).toBeNull();
  });
});

describe('diagnosis', () => {
  it('names the Xen leftovers and what would pass on a KVM host', () => {
    const m = hostMismatches({ hw_architecture: 'x86_64', img_hv_type: 'xen', hw_vm_mode: 'xen' }, KVM);
    expect(m).toEqual([
      { property: 'img_hv_type', value: 'xen', passingValues: [null, 'qemu', 'kvm'] },
      { property: 'hw_vm_mode', value: 'xen', passingValues: [null, 'hvm'] },
    ]);
  });

  it('is empty when the host passes', () => {
    expect(hostMismatches({ img_hv_type: 'qemu' }, KVM)).toEqual([]);
  });

  it('blames the combination when each value exists but never in one tuple', () => {
    const host = {
      supportedInstances: [
        ['x86_64', 'xen', 'xen'],
        ['x86_64', 'kvm', 'hvm'],
      ] as const,
      hypervisorVersion: null,
    };
    const m = hostMismatches(
      { img_hv_type: 'kvm', hw_vm_mode: 'xen' },
      { ...host, supportedInstances: [...host.supportedInstances] },
    );
    expect(m.map((x) => x.property)).toEqual(['img_hv_type', 'hw_vm_mode']);
    for (const x of m) expect(x.passingValues).toContain(null);
  });

  it('says only removal helps on a host that advertises nothing', () => {
    expect(hostMismatches({ img_hv_type: 'xen' }, { supportedInstances: [], hypervisorVersion: null })).toEqual([
      { property: 'img_hv_type', value: 'xen', passingValues: [null] },
    ]);
  });

  it('flags an unmet version predicate', () => {
    expect(hostMismatches({ img_hv_type: 'kvm', img_hv_requested_version: '>=6.0' }, KVM)).toEqual([
      { property: 'img_hv_requested_version', value: '>=6.0', passingValues: [null] },
    ]);
  });

  it('every passing value it offers really passes (checked against the same oracle hosts)', () => {
    for (const c of oracle.filter) {
      const host = { supportedInstances: c.supported, hypervisorVersion: c.hypervisorVersion };
      const ms = hostMismatches(c.props, host);
      expect(ms.length === 0).toBe(c.passes);
      for (const m of ms) {
        const others = Object.fromEntries(Object.entries(c.props).filter(([k]) => !ms.some((x) => x.property === k)));
        for (const v of m.passingValues) {
          const props = v === null ? others : { ...others, [m.property]: v };
          expect(instanceSupported(props, host)).toBe(true);
        }
      }
    }
  });

  it('unions passing values over several hosts', () => {
    const xenOnly = { supportedInstances: [['x86_64', 'xen', 'xen'] as const], hypervisorVersion: null };
    const m = findMismatches({ img_hv_type: 'kvm' }, [
      { ...xenOnly, supportedInstances: [...xenOnly.supportedInstances] },
      KVM,
    ]);
    expect(m).toEqual([{ property: 'img_hv_type', value: 'kvm', passingValues: [null, 'xen'] }]);
  });
});
