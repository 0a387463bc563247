// Hand-built snapshots for pure tests of diagnosis and planning: an instance row, a KVM host, a snapshot
// with a spec nova wrote. Values nova stores in its rows come from the fixture cloud (fixtureRows.ts).
import type { InstanceRow, InstanceSnapshot } from '../../src/nova/snapshot.js';
import type { HostCapabilities, SupportedInstance } from '../../src/nova/types.js';

/** What a libvirt/KVM compute node advertises (qemu and kvm, hvm). */
export const QEMU_KVM: SupportedInstance[] = [
  ['x86_64', 'qemu', 'hvm'],
  ['x86_64', 'kvm', 'hvm'],
];

export const KVM_HOST: HostCapabilities = {
  host: 'kvm1',
  node: 'kvm1.example',
  supportedInstances: QEMU_KVM,
  hypervisorVersion: 6002000,
};

export function instanceRow(over: Partial<InstanceRow> = {}): InstanceRow {
  return {
    id: 7,
    uuid: 'u',
    displayName: 'vm',
    vmState: 'active',
    taskState: null,
    host: 'kvm1',
    node: 'kvm1.example',
    kernelId: null,
    ramdiskId: null,
    rootDeviceName: '/dev/vda',
    vmMode: null,
    imageRef: 'img',
    deleted: 0,
    ...over,
  };
}

/** A snapshot of one instance in cell1 on KVM_HOST with the given spec text. */
export function snapshotWith(spec: string | null, over: Partial<InstanceSnapshot> = {}): InstanceSnapshot {
  return {
    uuid: 'u',
    cell: { uuid: 'c', name: 'cell1' },
    requestSpec: spec === null ? null : { id: 1, instanceUuid: 'u', spec },
    instance: instanceRow(),
    systemMetadata: [],
    blockDeviceMappings: [],
    hosts: [KVM_HOST],
    problems: [],
    ...over,
  };
}
