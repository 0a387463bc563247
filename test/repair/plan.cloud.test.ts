// planRepair on every instance of the fixture cloud (rows written by nova's own code), with the manifest
// beside the dumps as the oracle: what must change, what must not, and what must be refused.
import jsonc from 'jsonc-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planSummary } from '../../src/doctor/session.js';
import { canonicalVmMode } from '../../src/nova/canonical.js';
import type { InstanceSnapshot } from '../../src/nova/snapshot.js';
import { planBrief, planRepair } from '../../src/repair/plan.js';
import { parsePointer } from '../../src/repair/specEdit.js';
import type { RepairPlan, RowChange } from '../../src/repair/types.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { type ManifestInstance, type ManifestStale, openTestCloud, type TestCloud } from './cloud.js';

const server = usePrivateMariadb();
let tc: TestCloud;
const snapshots = new Map<string, InstanceSnapshot>();
const plans = new Map<string, RepairPlan>();

beforeAll(async () => {
  tc = await openTestCloud(server());
  for (const i of tc.manifest.instances) {
    const s = await tc.snapshot(i.label);
    snapshots.set(i.label, s);
    plans.set(i.label, planRepair(s));
  }
});
afterAll(async () => {
  await tc?.close();
});

function rowFor(snapshot: InstanceSnapshot, s: ManifestStale): { rowId: number; value: string | null }[] {
  if (s.table === 'instance_system_metadata') {
    return snapshot.systemMetadata
      .filter(
        (r) => r.key === s.key && r.value === s.value && (s.deleted === undefined || (r.deleted !== 0) === s.deleted),
      )
      .map((r) => ({ rowId: r.id, value: r.value }));
  }
  if (s.table === 'instances' && snapshot.instance) {
    const column = s.column!;
    const value = {
      kernel_id: snapshot.instance.kernelId,
      ramdisk_id: snapshot.instance.ramdiskId,
      root_device_name: snapshot.instance.rootDeviceName,
      vm_mode: snapshot.instance.vmMode,
    }[column];
    // instances.vm_mode is a plain StringField: nova keeps Glance's raw 'pv' there; the manifest names it canonically.
    const same = column === 'vm_mode' ? canonicalVmMode(value) === canonicalVmMode(s.value) : value === s.value;
    return same && value !== undefined ? [{ rowId: snapshot.instance.id, value }] : [];
  }
  if (s.table === 'block_device_mapping') {
    return snapshot.blockDeviceMappings
      .filter((b) => b.deviceName === s.value)
      .map((b) => ({ rowId: b.id, value: b.deviceName }));
  }
  return [];
}

function valueAt(text: string, pointer: string): unknown {
  let node: unknown = JSON.parse(text);
  for (const token of parsePointer(pointer)) node = (node as Record<string, unknown>)[token];
  return node;
}

describe('plans for the fixture cloud', () => {
  it('the brief plan (for the TUI list) decides as the full one: status, reason, cell and rows written', () => {
    for (const i of tc.manifest.instances) {
      const s = snapshots.get(i.label)!;
      const brief = planBrief(s);
      expect(planSummary(brief), i.label).toEqual(planSummary(plans.get(i.label)!));
      expect(brief.specAfter, i.label).toBeNull();
      expect(brief.verification, i.label).toBeUndefined();
    }
  });

  it('covers every instance of the manifest', () => {
    expect(plans.size).toBe(tc.manifest.instances.length);
    expect(tc.manifest.instances.filter((i) => i.repair).length).toBeGreaterThanOrEqual(10);
  });

  const cases = (): ManifestInstance[] => tc.manifest.instances;

  it('plans a repair exactly for the instances the manifest says to repair', () => {
    const wrong = cases()
      .filter((i) => (plans.get(i.label)!.status === 'planned') !== i.repair)
      .map((i) => `${i.label}: ${plans.get(i.label)!.status} (${plans.get(i.label)!.reason})`);
    expect(wrong).toEqual([]);
  });

  it('says why when it does not repair: skipped with the reason for refusals, nothing-to-do for healthy ones', () => {
    for (const i of cases().filter((x) => !x.repair)) {
      const plan = plans.get(i.label)!;
      expect(plan.rowChanges, i.label).toEqual([]);
      expect(plan.requestSpecPatch, i.label).toEqual([]);
      expect(plan.reason?.length ?? 0, i.label).toBeGreaterThan(20);
      expect(plan.status, i.label).toBe(i.health === 'ok' && i.cell !== null ? 'nothing-to-do' : 'skipped');
    }
    expect(plans.get('etl-worker')!.reason).toMatch(/task_state is resize_prep/);
    expect(plans.get('migrating')!.reason).toMatch(/task_state is migrating/);
    expect(plans.get('old-mail')!.reason).toMatch(/deleted/);
    expect(plans.get('hostile')!.reason).toMatch(/not JSON/);
    // The spec-less instance is planned (its cell rows), and the plan says what the missing spec means.
    expect(plans.get('no-spec')!.status).toBe('planned');
    expect(plans.get('no-spec')!.warnings.join('\n')).toMatch(/RequestSpecNotFound/);
    expect(plans.get('noprops')!.reason).toMatch(/NotImplementedError/);
    expect(plans.get('kvm-bfv')!.reason).toMatch(/image is null/);
    expect(plans.get('failed-build')!.reason).toMatch(/cell0/);
    expect(plans.get('building')!.reason).toMatch(/not mapped to a cell/);
  });

  it('changes every stale value the manifest marks, in place, soft-deleted duplicates included', () => {
    const missing: string[] = [];
    const slips: string[] = [];
    for (const i of cases().filter((x) => x.repair)) {
      const plan = plans.get(i.label)!;
      const snapshot = snapshots.get(i.label)!;
      for (const s of i.stale.filter((x) => x.touch)) {
        if (s.table === 'request_specs') {
          const ops = plan.requestSpecPatch.filter((o) => o.path === s.pointer);
          const test = ops.find((o) => o.op === 'test');
          const change = ops.find((o) => o.op === 'replace' || o.op === 'remove');
          if (!test || (test as { value: unknown }).value !== s.value || !change)
            missing.push(`${i.label} ${s.pointer}`);
          continue;
        }
        const rows = rowFor(snapshot, s);
        const label = `${i.label} ${s.table}.${s.key ?? s.column} ${s.value}`;
        if (rows.length === 0) {
          slips.push(label);
          continue;
        }
        for (const row of rows) {
          const c = plan.rowChanges.find(
            (x) =>
              x.table === s.table &&
              x.rowId === row.rowId &&
              x.oldValue === row.value &&
              (x.key ?? x.column) === (s.key ?? s.column),
          );
          if (!c) missing.push(label);
          else if (s.table === 'instance_system_metadata') expect(c.action, label).toBe('update'); // never soft-delete + insert
        }
      }
    }
    expect(missing).toEqual([]);
    expect(slips).toEqual([]); // every stale value the manifest lists is a row of the dump
    const dup = plans.get('dupmeta')!.rowChanges.filter((c) => c.key === 'image_hypervisor_type');
    expect(dup).toHaveLength(2);
    const deletedRow = snapshots
      .get('dupmeta')!
      .systemMetadata.find((r) => r.key === 'image_hypervisor_type' && r.deleted !== 0)!;
    expect(dup.map((c) => c.rowId)).toContain(deletedRow.id);
  });

  it('changes nothing the manifest does not mark (apart from the spec changes list)', () => {
    const extra: string[] = [];
    for (const i of cases().filter((x) => x.repair)) {
      const plan = plans.get(i.label)!;
      const snapshot = snapshots.get(i.label)!;
      const marked = i.stale.filter((s) => s.touch);
      for (const c of plan.rowChanges) {
        if (c.table === 'request_specs') continue;
        const ok = marked.some(
          (s) =>
            s.table === c.table &&
            (s.key ?? s.column) === (c.key ?? c.column) &&
            rowFor(snapshot, s).some((r) => r.rowId === c.rowId && r.value === c.oldValue),
        );
        if (!ok) extra.push(`${i.label} ${c.table}.${c.key ?? c.column} id ${c.rowId} ${c.oldValue} → ${c.newValue}`);
      }
      for (const op of plan.requestSpecPatch) {
        if (op.op === 'test' || op.path.includes('/nova_object.changes')) continue;
        if (!marked.some((s) => s.pointer === op.path)) extra.push(`${i.label} spec ${op.op} ${op.path}`);
      }
    }
    expect(extra).toEqual([]);
  });

  it('writes values nova accepts and the KVM hosts advertise; never a blind replace', () => {
    const allowed: Record<string, (string | null)[]> = {
      kernel_id: [''],
      ramdisk_id: [''],
      root_device_name: ['/dev/vda'],
      vm_mode: ['hvm'],
      device_name: ['/dev/vda', '/dev/vdb'],
      image_hypervisor_type: ['kvm', 'qemu'],
      image_img_hv_type: ['kvm', 'qemu'],
      image_vm_mode: ['hvm'],
      image_hw_vm_mode: ['hvm'],
      image_kernel_id: [''],
      image_ramdisk_id: [''],
    };
    for (const plan of [...plans.values()].filter((p) => p.status === 'planned')) {
      for (const c of plan.rowChanges) {
        if (c.table === 'request_specs') continue;
        expect(allowed[c.key ?? c.column], `${plan.uuid} ${c.key ?? c.column}`).toContain(c.newValue);
        if (c.column === 'device_name' || c.column === 'root_device_name')
          expect(c.newValue).toBe(c.oldValue!.replace('/dev/xvd', '/dev/vd'));
      }
      expect(plan.verification!.length).toBeGreaterThan(0);
      expect(
        plan.verification!.every((v) => v.passes),
        JSON.stringify(plan.verification),
      ).toBe(true);
    }
    // the half-fixed instance keeps the hypervisor type the operator chose with nova-manage
    const ci = plans.get('ci-runner')!;
    expect(ci.target?.hvType).toBe('qemu');
    expect(ci.rowChanges.find((c) => c.key === 'image_hypervisor_type')?.newValue).toBe('qemu');
    expect(ci.rowChanges.some((c) => c.key === 'image_img_hv_type' || c.key === 'image_hw_vm_mode')).toBe(false);
    // the drained Xen host of cell1 is not a target
    expect(plans.get('web01')!.target?.hosts).toEqual(['kvm-c1-01', 'kvm-c1-02', 'kvm-c1-03']);
  });

  it('edits the spec text byte-minimally: only the value spans differ, mustNotChange holds', () => {
    for (const i of cases().filter((x) => x.repair && x.requestSpec !== 'missing')) {
      const plan = plans.get(i.label)!;
      const before = plan.specBefore!;
      const after = plan.specAfter!;
      expect(before, i.label).toBe(snapshots.get(i.label)!.requestSpec!.spec);
      // Expected text: each replaced value span swapped, computed independently from the tree of the original.
      const root = jsonc.parseTree(before)!;
      const replaced = plan.requestSpecPatch
        .filter((o) => o.op === 'replace')
        .map((o) => ({
          node: jsonc.findNodeAtLocation(root, parsePointer(o.path))!,
          value: (o as { value: string }).value,
        }))
        .sort((a, b) => b.node.offset - a.node.offset);
      let expected = before;
      for (const r of replaced)
        expected = `${expected.slice(0, r.node.offset)}"${r.value}"${expected.slice(r.node.offset + r.node.length)}`;
      expect(after, i.label).toBe(expected);
      for (const m of i.mustNotChange) expect(valueAt(after, m.pointer), `${i.label} ${m.pointer}`).toEqual(m.value);
      expect(/^[\x20-\x7e]*$/.test(after)).toBe(true);
    }
  });

  it('every spec edit carries a test op pinning the old value right before it', () => {
    for (const plan of [...plans.values()].filter((p) => p.status === 'planned')) {
      plan.requestSpecPatch.forEach((op, n) => {
        if (op.op === 'replace' || op.op === 'remove') {
          const prev = plan.requestSpecPatch[n - 1];
          expect(prev?.op).toBe('test');
          expect(prev?.path).toBe(op.path);
        }
      });
    }
  });

  it('warns on ACTIVE instances and not on stopped ones', () => {
    expect(plans.get('web01')!.warnings.join(' ')).toMatch(/ACTIVE/);
    expect(plans.get('db01')!.warnings.join(' ')).not.toMatch(/ACTIVE/);
  });

  it('--hv-type: chosen value validated against the hosts; remove drops the property and hard-deletes its rows', () => {
    const s = snapshots.get('web01')!;
    const qemu = planRepair(s, { hvType: 'QEMU' });
    expect(qemu.target?.hvType).toBe('qemu');
    expect(qemu.rowChanges.find((c) => c.key === 'image_hypervisor_type')?.newValue).toBe('qemu');
    for (const bad of ['xen', 'xenserver', 'vmware']) {
      const p = planRepair(s, { hvType: bad });
      expect(p.status, bad).toBe('skipped');
      expect(p.reason, bad).toMatch(/--hv-type/);
    }
    const removed = planRepair(s, { hvType: 'remove' });
    expect(removed.status).toBe('planned');
    expect(removed.requestSpecPatch.some((o) => o.op === 'remove' && o.path.endsWith('/img_hv_type'))).toBe(true);
    const sysmeta = removed.rowChanges.find((c) => c.key === 'image_hypervisor_type');
    expect(sysmeta).toMatchObject({ action: 'delete', oldValue: 'xen', newValue: null });
    const changesOps = removed.requestSpecPatch.filter((o) => o.path.includes('/nova_object.changes/'));
    expect(changesOps.map((o) => o.op)).toEqual(['test', 'remove']);
    expect(removed.verification!.every((v) => v.passes)).toBe(true);
  });

  it("--set-host: only a KVM compute node of the instance's cell", () => {
    const s = snapshots.get('web01')!;
    const moved = planRepair(s, { setHost: 'kvm-c1-02' });
    expect(
      moved.rowChanges
        .filter((c) => c.column === 'host' || c.column === 'node')
        .map((c: RowChange) => [c.column, c.oldValue, c.newValue]),
    ).toEqual([
      ['host', 'kvm-c1-01', 'kvm-c1-02'],
      ['node', 'kvm-c1-01.cloud.example.org', 'kvm-c1-02.cloud.example.org'],
    ]);
    // Zed's schema has no instances.compute_id (2023.2+: computeId.test.ts): nothing to move there.
    expect(s.instance?.computeId).toBeUndefined();
    expect(moved.rowChanges.some((c) => c.column === 'compute_id')).toBe(false);
    expect(planRepair(s, { setHost: 'kvm-c2-01' }).reason).toMatch(/not a compute node of cell1/);
    expect(planRepair(s, { setHost: 'kvm-c1-01' }).rowChanges.some((c) => c.column === 'host')).toBe(false);
  });

  it('never throws on hostile snapshots', () => {
    const s = snapshots.get('web01')!;
    const hostile: InstanceSnapshot[] = [
      {
        ...s,
        requestSpec: {
          ...s.requestSpec!,
          spec: '{"nova_object.name": "RequestSpec", "nova_object.data": {"image": {"nova_object.data": {"properties": {"nova_object.data": {"img_hv_type": 5}}}}}}',
        },
      },
      { ...s, requestSpec: { ...s.requestSpec!, spec: '[]' } },
      {
        ...s,
        requestSpec: {
          ...s.requestSpec!,
          spec: s.requestSpec!.spec.replace('"img_hv_type": "xen"', '"img_hv_type": "xen", "img_hv_type": "xen"'),
        },
      },
      { ...s, hosts: [] },
      { ...s, instance: null },
    ];
    for (const h of hostile) {
      const p = planRepair(h);
      expect(p.status).toBe('skipped');
      expect(p.reason).toBeTruthy();
    }
  });
});

describe('plan and diagnosis agree', () => {
  it('the plan changes exactly the values nova/staleness calls stale, on every repairable instance', async () => {
    const { diagnose } = await import('../../src/nova/staleness.js');
    const disagreements: string[] = [];
    for (const i of tc.manifest.instances.filter((x) => x.repair)) {
      const d = diagnose(snapshots.get(i.label)!);
      const plan = plans.get(i.label)!;
      const stale = new Set(
        d.stale.map((v) =>
          v.table === 'request_specs' ? `spec ${v.pointer}` : `${v.table} ${v.rowId} ${'key' in v ? v.key : v.column}`,
        ),
      );
      const planned = new Set([
        ...plan.requestSpecPatch
          .filter((o) => o.op === 'replace' || o.op === 'remove')
          .filter((o) => !o.path.includes('/nova_object.changes'))
          .map((o) => `spec ${o.path}`),
        ...plan.rowChanges
          .filter((c) => c.table !== 'request_specs')
          .map((c) => `${c.table} ${c.rowId} ${c.key ?? c.column}`),
      ]);
      for (const s of stale) if (!planned.has(s)) disagreements.push(`${i.label}: stale but not planned: ${s}`);
      for (const s of planned) if (!stale.has(s)) disagreements.push(`${i.label}: planned but not stale: ${s}`);
    }
    expect(disagreements).toEqual([]);
  });
});
