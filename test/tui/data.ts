// Instance views built around real nova output: the spec text is what nova's RequestSpec wrote for
// the fixture cloud's web01 (test/fixtures/nova/cloud, made by nova's own code), the rejection is the
// line nova's ImagePropertiesFilter logged (shared/docs/nova-facts.md §1). The repair's after-text is
// the byte-minimal edit repair/ makes.
import { readFileSync } from 'node:fs';
import type { Operation } from 'fast-json-patch';
import { planSummary } from '../../src/doctor/session.js';
import type { DoctorConfig, InstanceStatus, InstanceView } from '../../src/doctor/types.js';
import type { Incident, Rejection } from '../../src/logscan/types.js';
import type { HostCapabilities, SupportedInstance } from '../../src/nova/types.js';
import type { RepairPlan } from '../../src/repair/types.js';
import { fixtureSpec } from '../helpers/fixtureRows.js';

const manifest = JSON.parse(readFileSync(new URL('../fixtures/nova/cloud/manifest.json', import.meta.url), 'utf8')) as {
  instances: { uuid: string; displayName: string; repair: boolean }[];
};
const web01 = manifest.instances.find((i) => i.displayName === 'web01' && i.repair);
if (!web01) throw new Error('the fixture cloud has no web01 to repair');

export const FIXTURE_UUID = web01.uuid;
export const REAL_SPEC = fixtureSpec(FIXTURE_UUID);

export const PROPS = '/nova_object.data/image/nova_object.data/properties/nova_object.data';

export const KVM_HOST: SupportedInstance[] = [
  ['i686', 'qemu', 'hvm'],
  ['i686', 'kvm', 'hvm'],
  ['x86_64', 'qemu', 'hvm'],
  ['x86_64', 'kvm', 'hvm'],
];

export function uuidOf(i: number): string {
  return i === 0 ? FIXTURE_UUID : `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

export function specFor(uuid: string): string {
  return REAL_SPEC.replaceAll(FIXTURE_UUID, uuid);
}

/** The byte-minimal edit: img_hv_type xen → kvm, hw_vm_mode removed; every other byte kept. */
export function repairedSpec(spec: string): string {
  const out = spec.replace('"img_hv_type": "xen"', '"img_hv_type": "kvm"').replace('"hw_vm_mode": "xen", ', '');
  if (out === spec) throw new Error('fixture spec has no Xen values to repair');
  return out;
}

export const DEFAULT_CONFIG: DoctorConfig = {
  logs: ['/var/log/nova/nova-scheduler.log'],
  db: { configFiles: ['/etc/nova/nova.conf'], configDirs: [], apiDbUrl: null, cellDbUrls: [] },
  all: false,
  readOnly: false,
  hvType: null,
  since: null,
  until: null,
};

export function config(overrides: Partial<DoctorConfig> = {}): DoctorConfig {
  return { ...DEFAULT_CONFIG, ...overrides };
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** A time 1 s apart per i, in oslo.log's format. */
export function timeOf(i: number): string {
  const s = 46 + i;
  return `2026-11-27 14:${pad(46 + (Math.floor(s / 60) % 14))}:${pad(s % 60)}.693`;
}

export function rejection(
  i: number,
  host = 'kvm-compute1',
  requestId = `req-11111111-2222-3333-4444-${pad(i, 12)}`,
): Rejection {
  return {
    requestId,
    time: timeOf(i),
    host,
    node: `${host}.example.org`,
    requested: { hw_architecture: 'x86_64', hw_vm_mode: 'xen', img_hv_type: 'xen' },
    supportedInstances: KVM_HOST,
    hypervisorVersion: 2011001,
    mismatches: [
      { property: 'img_hv_type', value: 'xen', passingValues: ['qemu', 'kvm', null] },
      { property: 'hw_vm_mode', value: 'xen', passingValues: ['hvm', null] },
    ],
    location: { file: '/var/log/nova/nova-scheduler.log', line: 1000 + i * 3 },
  };
}

export function incident(uuid: string, i: number, hosts = ['kvm-compute1', 'kvm-compute2']): Incident {
  const rejections = hosts.map((h, k) => rejection(i + k, h, `req-11111111-2222-3333-4444-${pad(i, 12)}`));
  return {
    uuid,
    requestIds: [...new Set(rejections.map((r) => r.requestId ?? ''))],
    mismatches: [
      { property: 'img_hv_type', value: 'xen' },
      { property: 'hw_vm_mode', value: 'xen' },
    ],
    passingValues: { img_hv_type: ['qemu', 'kvm', null], hw_vm_mode: ['hvm', null] },
    hostsRejected: hosts,
    firstSeen: rejections[0]?.time ?? timeOf(i),
    lastSeen: rejections.at(-1)?.time ?? timeOf(i),
    rejections,
    evidence: rejections.map((r) => r.location),
  };
}

export const HOSTS: HostCapabilities[] = [
  { host: 'kvm-compute1', node: 'kvm-compute1.example.org', supportedInstances: KVM_HOST, hypervisorVersion: 2011001 },
  { host: 'kvm-compute2', node: 'kvm-compute2.example.org', supportedInstances: KVM_HOST, hypervisorVersion: 2011001 },
];

export const CELL1 = { uuid: 'a0c3e7d5-1111-4c2e-9d8f-000000000001', name: 'cell1' };

export function plan(uuid: string, i: number): RepairPlan {
  const before = specFor(uuid);
  const ops: Operation[] = [
    { op: 'test', path: `${PROPS}/img_hv_type`, value: 'xen' },
    { op: 'replace', path: `${PROPS}/img_hv_type`, value: 'kvm' },
    { op: 'test', path: `${PROPS}/hw_vm_mode`, value: 'xen' },
    { op: 'remove', path: `${PROPS}/hw_vm_mode` },
  ];
  return {
    uuid,
    cell: CELL1,
    status: 'planned',
    reason: null,
    requestSpecPatch: ops,
    specBefore: before,
    specAfter: repairedSpec(before),
    rowChanges: [
      {
        database: 'cell',
        table: 'instance_system_metadata',
        rowId: 800 + i,
        column: 'value',
        key: 'image_hypervisor_type',
        action: 'delete',
        oldValue: 'xen',
        newValue: null,
      },
      {
        database: 'cell',
        table: 'instances',
        rowId: 100 + i,
        column: 'root_device_name',
        action: 'update',
        oldValue: '/dev/xvda',
        newValue: '/dev/vda',
      },
    ],
    warnings: [],
  };
}

/** A stale instance as the doctor reports it after scan and trace. */
export function staleView(i: number, overrides: Partial<InstanceView> = {}): InstanceView {
  const uuid = uuidOf(i);
  const specRowId = 17 + i;
  const view: InstanceView = {
    uuid,
    status: 'stale',
    cellName: 'cell1',
    displayName: `web-${pad(i, 3)}`,
    incident: incident(uuid, i),
    snapshot: {
      uuid,
      cell: CELL1,
      requestSpec: { id: specRowId, instanceUuid: uuid, spec: specFor(uuid) },
      instance: null,
      systemMetadata: [],
      blockDeviceMappings: [],
      hosts: HOSTS,
      problems: [],
    },
    diagnosis: {
      uuid,
      cell: CELL1,
      health: 'stale',
      stale: [
        {
          database: 'api',
          table: 'request_specs',
          rowId: specRowId,
          column: 'spec',
          pointer: `${PROPS}/img_hv_type`,
          value: 'xen',
          reason: 'no KVM host advertises hypervisor type xen',
          property: 'img_hv_type',
        },
        {
          database: 'cell',
          table: 'instance_system_metadata',
          rowId: 800 + i,
          key: 'image_hypervisor_type',
          value: 'xen',
          reason: 'rebuilds the image properties from system metadata',
          property: 'img_hv_type',
        },
        {
          database: 'cell',
          table: 'instances',
          rowId: 100 + i,
          column: 'root_device_name',
          value: '/dev/xvda',
          reason: 'Xen device name; KVM guests boot from /dev/vda',
          property: null,
        },
      ],
      narrowing: [],
      notes: [],
      problems: [],
    },
    plan: plan(uuid, i),
    staleCount: 3,
    hasStaleValues: true,
    planSummary: null,
    lastResult: null,
    ...overrides,
  };
  // The row's summary of the plan, as the doctor makes it, unless the test says otherwise.
  if (!('planSummary' in overrides)) view.planSummary = view.plan ? planSummary(view.plan) : null;
  if (!('staleCount' in overrides)) view.staleCount = view.diagnosis ? view.diagnosis.stale.length : null;
  if (!('hasStaleValues' in overrides))
    view.hasStaleValues = view.diagnosis ? view.diagnosis.stale.some((s) => s.becomes !== undefined) : null;
  return view;
}

export function withStatus(view: InstanceView, status: InstanceStatus): InstanceView {
  return { ...view, status };
}

/** n views with a mix of statuses, for the list tests. */
export function manyViews(n: number): InstanceView[] {
  const statuses: InstanceStatus[] = ['stale', 'half-fixed', 'ok', 'repaired', 'skipped'];
  return Array.from({ length: n }, (_, i) => withStatus(staleView(i), statuses[i % statuses.length] ?? 'stale'));
}
