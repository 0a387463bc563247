// diagnose() (src/nova/staleness.ts) on snapshots built from nova's own spec text (the fixture dump), with the
// edge cases nova can produce: legacy and current sysmeta names, duplicates, half-fixed instances, hints.
import { describe, expect, it } from 'vitest';
import { pointerToken, readSpec, SPEC_PROPS_POINTER } from '../../src/nova/requestSpec.js';
import type { InstanceSnapshot, SystemMetadataRow } from '../../src/nova/snapshot.js';
import { diagnose } from '../../src/nova/staleness.js';
import manifest from '../fixtures/nova/cloud/manifest.json' with { type: 'json' };
import { fixtureSpec } from '../helpers/fixtureRows.js';
import { instanceRow, snapshotWith } from '../helpers/snapshots.js';

const byScenario = (s: string) => {
  const i = manifest.instances.find((x) => x.scenario === s);
  if (!i) throw new Error(s);
  return i;
};
const XEN_SPEC = fixtureSpec(byScenario('xen-pv-active').uuid);
const KVM_SPEC = fixtureSpec(byScenario('kvm-healthy-hv-qemu').uuid);
const HINTS_SPEC = fixtureSpec(byScenario('xen-xenial-hints').uuid);

let nextId = 100;
const meta = (key: string, value: string | null, deleted = 0): SystemMetadataRow => ({
  id: nextId++,
  key,
  value,
  deleted,
});

function snapshot(over: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return snapshotWith(KVM_SPEC, {
    blockDeviceMappings: [{ id: 1, deviceName: '/dev/vda', bootIndex: 0, deleted: 0 }],
    ...over,
  });
}

describe('readSpec', () => {
  it('finds the ImageMetaProps data of a real spec', () => {
    const r = readSpec(XEN_SPEC);
    expect(r.ok && r.props).toMatchObject({ img_hv_type: 'xen', hw_vm_mode: 'xen', hw_architecture: 'x86_64' });
  });

  it('says what is wrong with specs it cannot read, and never throws', () => {
    const cases: [string, RegExp][] = [
      ['717668dd-215e-5f45-bec6-06b3c7693a65', /is not JSON \(starts "717668dd/],
      ['', /is not JSON/],
      ['[1,2]', /not a RequestSpec/],
      ['{"nova_object.name": "Flavor", "nova_object.data": {}}', /not a RequestSpec \(it is a Flavor\)/],
      [XEN_SPEC.replace(/"image": \{.*?"numa_topology"/s, '"image": null, "numa_topology"'), /"image": null/],
      [XEN_SPEC.replace('"image": {', '"imagex": {'), /has no image/],
      [XEN_SPEC.replace('"properties": {', '"propertiez": {'), /image has no properties/],
      [XEN_SPEC.slice(0, 500), /is not JSON/],
    ];
    for (const [text, want] of cases) {
      const r = readSpec(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.problem).toMatch(want);
    }
  });
});

describe('diagnose', () => {
  it('a healthy KVM instance is ok', () => {
    expect(diagnose(snapshot())).toMatchObject({ health: 'ok', stale: [], problems: [] });
  });

  it('Xen values in the spec make it stale, with JSON Pointers and the host check in the reason', () => {
    const d = diagnose(snapshot({ requestSpec: { id: 9, instanceUuid: 'u', spec: XEN_SPEC } }));
    expect(d.health).toBe('stale');
    expect(d.stale.map((s) => (s.table === 'request_specs' ? s.pointer : ''))).toEqual([
      `${SPEC_PROPS_POINTER}/img_hv_type`,
      `${SPEC_PROPS_POINTER}/hw_vm_mode`,
    ]);
    expect(d.stale[0]?.rowId).toBe(9);
    expect(d.stale[0]?.reason).toContain('passes on 0 of 1 enabled compute node in cell1');
  });

  it('scheduler hints are never image properties', () => {
    const withHint = HINTS_SPEC.replace(
      '"scheduler_hints": {',
      '"scheduler_hints": {"img_hv_type": ["xen"], "hw_vm_mode": ["xen"], ',
    );
    expect(withHint).not.toBe(HINTS_SPEC);
    const d = diagnose(snapshot({ requestSpec: { id: 1, instanceUuid: 'u', spec: withHint } }));
    expect(d.stale.filter((s) => s.table === 'request_specs')).toHaveLength(2); // the image ones only
    expect(d.stale.every((s) => s.table !== 'request_specs' || s.pointer.startsWith(SPEC_PROPS_POINTER))).toBe(true);
  });

  it('raw Glance values xapi and pv in system metadata count as Xen; current names win for the effective value', () => {
    const rows = [
      meta('image_hypervisor_type', 'xapi'),
      meta('image_vm_mode', 'pv'),
      meta('image_architecture', 'x86_64'),
    ];
    const d = diagnose(snapshot({ systemMetadata: rows }));
    expect(d.health).toBe('half-fixed'); // spec clean, sysmeta not
    expect(d.stale.map((s) => (s.table === 'instance_system_metadata' ? `${s.key}=${s.value}` : ''))).toEqual([
      'image_hypervisor_type=xapi',
      'image_vm_mode=pv',
    ]);
  });

  it('nova-manage image_property set before the 2078999 fix: sysmeta fixed, spec still Xen → half-fixed', () => {
    const rows = [
      meta('image_hypervisor_type', 'xen'),
      meta('image_vm_mode', 'xen'),
      meta('image_img_hv_type', 'qemu'),
      meta('image_hw_vm_mode', 'hvm'),
    ];
    const d = diagnose(snapshot({ requestSpec: { id: 1, instanceUuid: 'u', spec: XEN_SPEC }, systemMetadata: rows }));
    expect(d.health).toBe('half-fixed');
    const legacy = d.stale.find((s) => s.table === 'instance_system_metadata' && s.key === 'image_hypervisor_type');
    expect(legacy?.reason).toContain("image_img_hv_type='qemu' takes precedence");
  });

  it('kernel and ramdisk ids are Xen leftovers only on an instance that came from Xen', () => {
    const kernel = [meta('image_kernel_id', 'aki-1'), meta('image_ramdisk_id', 'ari-1')];
    const kvm = diagnose(
      snapshot({ systemMetadata: kernel, instance: instanceRow({ kernelId: 'aki-1', ramdiskId: 'ari-1' }) }),
    );
    expect(kvm.health).toBe('ok');
    const xen = diagnose(
      snapshot({
        systemMetadata: kernel,
        instance: instanceRow({ kernelId: 'aki-1', ramdiskId: '', rootDeviceName: '/dev/xvda', vmMode: 'xen' }),
      }),
    );
    expect(xen.health).toBe('half-fixed');
    expect(xen.stale.map((s) => ('column' in s ? `${s.table}.${s.column}` : `${s.table}.${s.key}`)).sort()).toEqual([
      'instance_system_metadata.image_kernel_id',
      'instance_system_metadata.image_ramdisk_id',
      'instances.kernel_id',
      'instances.root_device_name',
      'instances.vm_mode',
    ]);
  });

  it('Xen device names in live BDMs are stale; soft-deleted BDMs are ignored', () => {
    const d = diagnose(
      snapshot({
        blockDeviceMappings: [
          { id: 1, deviceName: '/dev/xvda', bootIndex: 0, deleted: 0 },
          { id: 2, deviceName: '/dev/xvdb', bootIndex: null, deleted: 2 },
          { id: 3, deviceName: '/dev/vdc', bootIndex: null, deleted: 0 },
        ],
      }),
    );
    expect(d.stale.map((s) => s.rowId)).toEqual([1]);
  });

  it('duplicate keys are reported, soft-deleted rows included; the highest id is the one nova ends with', () => {
    const rows = [meta('image_img_hv_type', 'xen', 1), meta('image_img_hv_type', 'qemu')];
    const d = diagnose(snapshot({ systemMetadata: rows }));
    expect(d.problems).toEqual([
      expect.stringMatching(/2 rows for image_img_hv_type \(ids \d+, \d+; 1 soft-deleted\)/),
    ]);
    expect(d.stale).toHaveLength(1);
    expect(d.stale[0]?.reason).toContain('soft-deleted, but nova still loads it');
  });

  it('a hypervisor version requirement no host meets is stale; one that some host meets is not', () => {
    const withReq = (req: string) =>
      XEN_SPEC.replace('"img_hv_type": "xen"', `"img_hv_requested_version": "${req}", "img_hv_type": "qemu"`).replace(
        '"hw_vm_mode": "xen", ',
        '',
      );
    const old = diagnose(snapshot({ requestSpec: { id: 1, instanceUuid: 'u', spec: withReq('<4.2') } }));
    expect(old.stale.map((s) => s.property)).toEqual(['img_hv_requested_version']);
    const fine = diagnose(snapshot({ requestSpec: { id: 1, instanceUuid: 'u', spec: withReq('>=4.2') } }));
    expect(fine.health).toBe('ok');
  });

  it('deleted, unreadable and missing pieces', () => {
    expect(diagnose(snapshot({ instance: instanceRow({ deleted: 7 }) })).health).toBe('deleted');
    expect(diagnose(snapshot({ requestSpec: null })).health).toBe('unreadable');
    expect(diagnose(snapshot({ requestSpec: { id: 1, instanceUuid: 'u', spec: 'oops' } })).problems[0]).toMatch(
      /not JSON/,
    );
    expect(
      diagnose(snapshot({ instance: null, problems: ['no row in the instances table of cell cell1'] })).health,
    ).toBe('unreadable');
    // building: no cell yet, spec fine
    expect(diagnose(snapshot({ cell: null, instance: null, blockDeviceMappings: [] })).health).toBe('ok');
  });

  it('JSON Pointer tokens are escaped', () => {
    expect(pointerToken('a/b~c')).toBe('a~1b~0c');
  });
});
