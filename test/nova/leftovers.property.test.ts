// One truth of what is stale: over generated snapshots, the repair plan changes exactly the values the diagnosis
// reports as stale (value for value, with the value each becomes), never a narrowing value unless widened by
// name, and never anything on an instance that shows no Xen leftover. Specs start from one nova wrote.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SPEC_PROPS_PATH } from '../../src/nova/requestSpec.js';
import type { InstanceSnapshot, StaleValue, SystemMetadataRow } from '../../src/nova/snapshot.js';
import { diagnose } from '../../src/nova/staleness.js';
import type { HostCapabilities, SupportedInstance } from '../../src/nova/types.js';
import { DIAGNOSED_SYSMETA_KEYS } from '../../src/nova/xenLeftovers.js';
import { type PlanOptions, planRepair } from '../../src/repair/plan.js';
import { type PyJsonValue, pyDumps } from '../../src/repair/pyJson.js';
import type { RepairPlan } from '../../src/repair/types.js';
import manifest from '../fixtures/nova/cloud/manifest.json' with { type: 'json' };
import { fixtureSpec } from '../helpers/fixtureRows.js';
import { instanceRow, QEMU_KVM, snapshotWith } from '../helpers/snapshots.js';

const KVM_SPEC = fixtureSpec(
  (manifest.instances.find((i) => i.scenario === 'kvm-healthy-hv-qemu') as { uuid: string }).uuid,
);

const KVM_ONLY: SupportedInstance[] = [['x86_64', 'kvm', 'hvm']];
const XEN: SupportedInstance[] = [
  ['x86_64', 'xen', 'xen'],
  ['x86_64', 'xen', 'hvm'],
];
const HOST_KINDS: [string, SupportedInstance[], number][] = [
  ['kvm', QEMU_KVM, 6002000],
  ['kvmonly', KVM_ONLY, 6002000],
  ['oldkvm', QEMU_KVM, 4002001],
  ['xen', XEN, 4011000],
];

const hvValues = [undefined, 'xen', 'xapi', 'XEN', 'xen ', 'xen\x1b[31m', 'qemu', 'kvm', 'QEMU'];
const vmValues = [undefined, 'xen', 'pv', 'hvm', 'HVM'];
const archValues = [undefined, 'x86_64', 'amd64', 'aarch64'];
const versionValues = [undefined, '>=6.0', '<4.2', '>=5.0'];
const pick = <T>(values: T[]) => fc.constantFrom(...values);

/** The spec nova wrote, with the image properties replaced by `props`, written as nova writes JSON. */
function specWith(props: Record<string, string | undefined>): string {
  const doc = JSON.parse(KVM_SPEC) as PyJsonValue;
  let data = doc as Record<string, PyJsonValue>;
  for (const key of [...SPEC_PROPS_PATH, 'nova_object.data']) data = data[key] as Record<string, PyJsonValue>;
  for (const key of ['img_hv_type', 'hw_vm_mode', 'hw_architecture', 'img_hv_requested_version']) delete data[key];
  for (const [k, v] of Object.entries(props)) if (v !== undefined) data[k] = v;
  return pyDumps(doc);
}

const snapshotArb = fc
  .record({
    hosts: fc.uniqueArray(fc.integer({ min: 0, max: HOST_KINDS.length - 1 }), { minLength: 0, maxLength: 3 }),
    hasSpec: fc.boolean(),
    spec: fc.record({
      img_hv_type: pick(hvValues),
      hw_vm_mode: pick(vmValues),
      hw_architecture: pick(archValues),
      img_hv_requested_version: pick(versionValues),
    }),
    sysmeta: fc.array(
      fc.record({
        key: pick([...DIAGNOSED_SYSMETA_KEYS, 'image_min_ram']),
        value: pick(['xen', 'xapi', 'pv', 'hvm', 'qemu', 'kvm', 'xen ', '', 'aki-1', '<4.2', null]),
        deleted: fc.constantFrom(0, 0, 0, 5),
      }),
      { maxLength: 6 },
    ),
    kernelId: pick([null, '', 'aki-xen']),
    ramdiskId: pick([null, 'ari-xen']),
    rootDeviceName: pick([null, '/dev/vda', '/dev/xvda', '/dev/sda']),
    vmMode: pick([null, 'hvm', 'xen', 'pv']),
    bdms: fc.array(pick(['/dev/vda', '/dev/xvda', '/dev/xvdb', 'xvdc', '/dev/sdb', null]), { maxLength: 3 }),
    // What makes repair leave an instance alone, now and then: cell0, no cell, deleted, a task, a spec not JSON.
    cell: pick(['cell1', 'cell1', 'cell1', 'cell1', 'cell0', null]),
    deleted: pick([0, 0, 0, 0, 0, 3]),
    taskState: pick([null, null, null, null, null, 'migrating']),
    specNotJson: pick([false, false, false, false, false, true]),
  })
  .map((g): InstanceSnapshot => {
    const hosts: HostCapabilities[] = g.hosts.map((k, i) => {
      const [name, tuples, version] = HOST_KINDS[k] as [string, SupportedInstance[], number];
      return { host: `${name}${i}`, node: `${name}${i}.node`, supportedInstances: tuples, hypervisorVersion: version };
    });
    const systemMetadata: SystemMetadataRow[] = g.sysmeta.map((r, i) => ({ id: 100 + i, ...r }));
    return {
      uuid: 'u',
      cell:
        g.cell === null
          ? null
          : g.cell === 'cell0'
            ? { uuid: '00000000-0000-0000-0000-000000000000', name: 'cell0' }
            : { uuid: 'c1', name: 'cell1' },
      requestSpec: g.hasSpec
        ? { id: 1, instanceUuid: 'u', spec: g.specNotJson ? `not json ${specWith(g.spec)}` : specWith(g.spec) }
        : null,
      instance: {
        id: 7,
        uuid: 'u',
        displayName: 'vm',
        vmState: 'stopped',
        taskState: g.taskState,
        host: null,
        node: null,
        kernelId: g.kernelId,
        ramdiskId: g.ramdiskId,
        rootDeviceName: g.rootDeviceName,
        vmMode: g.vmMode,
        imageRef: 'img',
        deleted: g.deleted,
      },
      systemMetadata,
      blockDeviceMappings: g.bdms.map((deviceName, i) => ({ id: 200 + i, deviceName, bootIndex: i, deleted: 0 })),
      hosts,
      problems: g.hasSpec ? [] : ['no row in nova_api.request_specs'],
    };
  });

/** One change, as a comparable string: where, old value, new value (null: removed). */
function staleKey(s: StaleValue, becomes: string | null | undefined = s.becomes): string {
  const where = s.table === 'request_specs' ? s.pointer : 'key' in s ? `${s.rowId}/${s.key}` : `${s.rowId}/${s.column}`;
  return JSON.stringify([s.table, where, s.value, becomes]);
}

function planKeys(plan: RepairPlan): string[] {
  const out: string[] = [];
  const ops = plan.requestSpecPatch;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i]!;
    if (op.op !== 'test' || op.path.includes('nova_object.changes')) continue;
    const next = ops[i + 1]!;
    out.push(
      JSON.stringify([
        'request_specs',
        op.path,
        op.value,
        next.op === 'replace' ? (next as { value: string }).value : null,
      ]),
    );
  }
  for (const c of plan.rowChanges) {
    if (c.table === 'request_specs') continue;
    const where = c.table === 'instance_system_metadata' ? `${c.rowId}/${c.key}` : `${c.rowId}/${c.column}`;
    out.push(JSON.stringify([c.table, where, c.oldValue, c.newValue]));
  }
  return out.sort();
}

const sorted = (xs: string[]) => [...xs].sort();

describe('trace and repair agree on what is stale', () => {
  it('the plan changes exactly the stale values that have something to become', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const d = diagnose(snapshot);
        const plan = planRepair(snapshot);
        if (plan.status === 'skipped') {
          expect(plan.rowChanges).toEqual([]);
          expect(plan.reason).toBeTruthy();
          const written = [...d.stale, ...d.narrowing].filter((s) => s.becomes !== undefined);
          if (snapshot.instance?.taskState && plan.reason?.startsWith('task_state')) {
            // Busy: trace shows what a repair writes once the task has finished, and says it skips it for now.
            const later = planRepair({ ...snapshot, instance: { ...snapshot.instance, taskState: null } });
            const fixable = d.stale.filter((s) => s.becomes !== undefined);
            if (later.status === 'planned') expect(planKeys(later)).toEqual(sorted(fixable.map((s) => staleKey(s))));
            if (d.stale.length > 0) expect(d.notes).toContain(`repair skips this instance for now: ${plan.reason}`);
          } else {
            // Left alone: nothing it would write is shown, and trace says why in the plan's words.
            expect(written).toEqual([]);
            if (d.stale.length > 0) expect(d.notes).toContain(`repair leaves this instance alone: ${plan.reason}`);
          }
          return;
        }
        const expected = d.stale.filter((s) => s.becomes !== undefined).map((s) => staleKey(s));
        expect(planKeys(plan)).toEqual(sorted(expected));
        // Reported leftovers with nothing to become are said in the plan, not silently dropped.
        for (const s of d.stale.filter((x) => x.becomes === undefined))
          expect(plan.warnings.some((w) => w.includes(s.reason))).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it('a narrowing value changes only when its property is widened by name', () => {
    fc.assert(
      fc.property(
        snapshotArb,
        fc.subarray(['img_hv_type', 'hw_vm_mode', 'img_hv_requested_version'] as const),
        (snapshot, widen) => {
          const d = diagnose(snapshot);
          const options: PlanOptions = { widen };
          const plan = planRepair(snapshot, options);
          if (plan.status === 'skipped') return;
          const expected = [
            ...d.stale.filter((s) => s.becomes !== undefined),
            ...d.narrowing.filter(
              (n) => n.becomes !== undefined && widen.includes(n.property as (typeof widen)[number]),
            ),
          ].map((s) => staleKey(s));
          expect(planKeys(plan)).toEqual(sorted(expected));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('an instance with nothing stale is never touched, whatever it narrows', () => {
    fc.assert(
      fc.property(snapshotArb, (snapshot) => {
        const d = diagnose(snapshot);
        fc.pre(d.stale.length === 0);
        const plan = planRepair(snapshot);
        expect(plan.rowChanges).toEqual([]);
        expect(plan.requestSpecPatch).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('a qemu image in a cell where one host offers only kvm is narrowing, left alone, and said so', () => {
    const spec = specWith({ img_hv_type: 'qemu', hw_vm_mode: 'hvm', hw_architecture: 'x86_64' });
    const hosts: HostCapabilities[] = ['a', 'b', 'c'].map((h, i) => ({
      host: h,
      node: `${h}.node`,
      supportedInstances: i === 2 ? KVM_ONLY : QEMU_KVM,
      hypervisorVersion: 6002000,
    }));
    const snapshot = snapshotWith(spec, {
      instance: instanceRow({ host: 'a', node: 'a.node', vmMode: 'hvm' }),
      systemMetadata: [{ id: 1, key: 'image_hypervisor_type', value: 'qemu', deleted: 0 }],
      hosts,
    });
    const d = diagnose(snapshot);
    expect(d.health).toBe('ok');
    expect(d.stale).toEqual([]);
    expect(d.narrowing.map((n) => [n.table, n.value])).toEqual([
      ['request_specs', 'qemu'],
      ['instance_system_metadata', 'qemu'],
    ]);
    expect(d.narrowing[0]?.reason).toMatch(/passes on 2 of 3 enabled compute nodes in cell1 \(c lack/);
    const plan = planRepair(snapshot);
    expect(plan.status).toBe('nothing-to-do');
    expect(plan.warnings.join('\n')).toMatch(/--widen img_hv_type/);
    const widened = planRepair(snapshot, { widen: ['img_hv_type'] });
    expect(widened.status).toBe('planned');
    expect(
      widened.rowChanges.map((c) => [c.table, c.oldValue === spec ? 'spec' : c.oldValue, c.newValue === c.oldValue]),
    ).toEqual([
      ['request_specs', 'spec', false],
      ['instance_system_metadata', 'qemu', false],
    ]);
    expect(widened.warnings.join('\n')).toMatch(/widened on request \(--widen img_hv_type\)/);
  });

  it("'xen ' and 'xen\\x1b[31m' in system metadata are Xen leftovers, for trace and repair alike", () => {
    for (const value of ['xen ', 'xen\x1b[31m', ' XAPI']) {
      const snapshot = snapshotWith(specWith({ img_hv_type: 'kvm', hw_vm_mode: 'hvm' }), {
        instance: instanceRow({ vmState: 'stopped' }),
        systemMetadata: [{ id: 1, key: 'image_hypervisor_type', value, deleted: 0 }],
      });
      const d = diagnose(snapshot);
      expect(
        d.stale.map((s) => [s.value, s.becomes]),
        JSON.stringify(value),
      ).toEqual([[value, 'kvm']]);
      expect(d.stale[0]?.reason).toMatch(/stray characters/);
      expect(d.health).toBe('half-fixed');
      const plan = planRepair(snapshot);
      expect(plan.rowChanges.map((c) => [c.oldValue, c.newValue])).toEqual([[value, 'kvm']]);
    }
  });
});
