// trace's `becomes` is what repair writes, on every instance of both fixture clouds (rows written by nova's own
// code, Zed and 2025.1): an instance repair plans shows exactly the plan's changes; one repair leaves alone (cell0,
// deleted, a spec nova cannot load, …) shows its leftovers with nothing they become and says why, in the plan's
// own words; one nova is busy with shows what a repair writes once the task has finished. The exit codes follow:
// an instance repair can never act on is reported, not pending and not a failure.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeNotMade, hasStaleValues, noteOutcome, planShown, type RepairOutcome } from '../../src/doctor/flow.js';
import { type TracedInstance, traceInstances } from '../../src/doctor/trace.js';
import type { StaleValue } from '../../src/nova/snapshot.js';
import { planRepair } from '../../src/repair/plan.js';
import type { ApplyResult, RepairPlan } from '../../src/repair/types.js';
import { usePrivateMariadb } from '../helpers/mariadb.js';
import { CLOUD_2025_1, openTestCloud, type TestCloud } from './cloud.js';

const server = usePrivateMariadb();

/** One change, comparable between trace and plan: table, where, old value, new value (null: removed). */
function staleKey(s: StaleValue): string {
  const where = s.table === 'request_specs' ? s.pointer : 'key' in s ? `${s.rowId}/${s.key}` : `${s.rowId}/${s.column}`;
  return JSON.stringify([s.table, where, s.value, s.becomes]);
}

function planKeys(plan: RepairPlan): string[] {
  const out: string[] = [];
  const ops = plan.requestSpecPatch;
  for (const [i, op] of ops.entries()) {
    if (op.op !== 'test' || op.path.includes('nova_object.changes')) continue;
    const next = ops[i + 1]!;
    const value = next.op === 'replace' ? (next as { value: string }).value : null;
    out.push(JSON.stringify(['request_specs', op.path, op.value, value]));
  }
  for (const c of plan.rowChanges) {
    if (c.table === 'request_specs') continue;
    const where = c.table === 'instance_system_metadata' ? `${c.rowId}/${c.key}` : `${c.rowId}/${c.column}`;
    out.push(JSON.stringify([c.table, where, c.oldValue, c.newValue]));
  }
  return out.sort();
}

/** The leftovers trace says a repair writes (narrowing values only change when widened: none here). */
const written = (t: TracedInstance) => t.diagnosis.stale.filter((s) => s.becomes !== undefined);

for (const { name, cloudDir } of [
  { name: 'Zed', cloudDir: undefined },
  { name: '2025.1', cloudDir: CLOUD_2025_1 },
]) {
  describe(`trace's becomes against repair's plan, on the ${name} fixture cloud`, () => {
    let tc: TestCloud;
    const traced = new Map<string, TracedInstance>();
    const plans = new Map<string, RepairPlan>();
    const labelOf = (uuid: string) => tc.manifest.instances.find((i) => i.uuid === uuid)?.label ?? uuid;

    beforeAll(async () => {
      tc = await openTestCloud(server(), undefined, cloudDir);
      const uuids = tc.manifest.instances.map((i) => i.uuid);
      // As trace and repair read them: named, each spec read once for the diagnosis and the plan.
      for await (const t of traceInstances(tc.nova, { uuids, scan: null, all: false })) {
        traced.set(t.uuid, t);
        plans.set(t.uuid, planShown(t, {}));
      }
    }, 120_000);
    afterAll(async () => {
      await tc?.close();
    });

    it('a planned instance: its becomes are exactly the values the plan writes', () => {
      const planned = [...plans.values()].filter((p) => p.status === 'planned');
      expect(planned.length).toBeGreaterThanOrEqual(10);
      for (const plan of planned) {
        const t = traced.get(plan.uuid)!;
        expect(planKeys(plan), labelOf(plan.uuid)).toEqual(written(t).map(staleKey).sort());
      }
    });

    it('an instance repair leaves alone: no becomes anywhere, and a note with the reason the plan gives', () => {
      const left = [...plans.values()].filter(
        (p) => p.status === 'skipped' && !traced.get(p.uuid)?.snapshot.instance?.taskState,
      );
      // cell0, deleted, not JSON, image null, image without properties, not in a cell: all in the fixture clouds.
      expect(left.map((p) => labelOf(p.uuid)).sort()).toEqual(
        expect.arrayContaining(['failed-build', 'hostile', 'old-mail', 'kvm-bfv', 'noprops', 'building']),
      );
      for (const plan of left) {
        const t = traced.get(plan.uuid)!;
        const label = labelOf(plan.uuid);
        expect(
          [...t.diagnosis.stale, ...t.diagnosis.narrowing].filter((s) => s.becomes !== undefined),
          label,
        ).toEqual([]);
        if (t.diagnosis.stale.length > 0)
          expect(t.diagnosis.notes, label).toContain(`repair leaves this instance alone: ${plan.reason}`);
        // Reported, not a failure: neither pending in a dry run nor a change not made when applying.
        expect(hasStaleValues(t), label).toBe(false);
        const outcome: RepairOutcome = { notMade: false, pending: false };
        const result = { uuid: plan.uuid, status: 'skipped', reason: plan.reason, plan } as ApplyResult;
        noteOutcome(outcome, result, t, true);
        noteOutcome(outcome, result, t, false);
        expect(outcome, label).toEqual({ notMade: false, pending: false });
      }
    });

    it('the manifest agrees: a value has a becomes where the oracle says a repair touches it', () => {
      for (const i of tc.manifest.instances) {
        const t = traced.get(i.uuid)!;
        if (t.snapshot.instance?.taskState) continue; // below
        const ours = t.diagnosis.stale.filter((s) => s.becomes !== undefined).length;
        expect(ours, i.label).toBe(i.stale.filter((s) => s.touch).length);
      }
    });

    it('an instance nova is busy with: becomes is what the plan writes once the task has finished, and a run that skips it has not made a planned change', () => {
      const busy = [...traced.values()].filter((t) => t.snapshot.instance?.taskState && t.diagnosis.stale.length > 0);
      expect(busy.map((t) => labelOf(t.uuid)).sort()).toEqual(['etl-worker', 'migrating']);
      for (const t of busy) {
        const label = labelOf(t.uuid);
        const plan = plans.get(t.uuid)!;
        expect(plan.status, label).toBe('skipped');
        expect(t.diagnosis.notes, label).toContain(`repair skips this instance for now: ${plan.reason}`);
        const idle = { ...t.snapshot, instance: { ...t.snapshot.instance!, taskState: null } };
        const later = planRepair(idle, {}, t.reading ?? undefined);
        expect(later.status, label).toBe('planned');
        expect(planKeys(later), label).toEqual(written(t).map(staleKey).sort());
        expect(hasStaleValues(t), label).toBe(true);
        const result = { uuid: t.uuid, status: 'skipped', reason: plan.reason, plan } as ApplyResult;
        expect(changeNotMade(result, t, true), label).toBe(true);
      }
    });
  });
}
