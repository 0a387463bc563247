// The one spec reader: how deep nova itself can read, and what a spec deeper than that does to a run.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { jsonDepth, NOVA_JSON_DEPTH_LIMIT, readSpec } from '../../src/nova/requestSpec.js';
import { diagnose } from '../../src/nova/staleness.js';
import { planRepair } from '../../src/repair/plan.js';
import manifest from '../fixtures/nova/cloud/manifest.json' with { type: 'json' };
import { fixtureSpec } from '../helpers/fixtureRows.js';
import { instanceRow, snapshotWith } from '../helpers/snapshots.js';

const XEN_SPEC = fixtureSpec((manifest.instances.find((i) => i.scenario === 'xen-pv-active') as { uuid: string }).uuid);

/** nova's spec with a scheduler hint nested `levels` deep (hints may hold anything). */
function nested(levels: number): string {
  const hint = `${'['.repeat(levels)}"x"${']'.repeat(levels)}`;
  return XEN_SPEC.replace('"nova_object.data": {', `"nova_object.data": {"deep_hint": ${hint}, `);
}

const snapshotOf = (spec: string) =>
  snapshotWith(spec, { instance: instanceRow({ vmState: 'stopped', rootDeviceName: '/dev/xvda', vmMode: 'xen' }) });

describe('readSpec and nesting', () => {
  it('jsonDepth counts brackets outside strings only', () => {
    expect(jsonDepth('{"a": [1, {"b": "[[[{{{"}]}')).toBe(3);
    expect(jsonDepth('"\\"[["')).toBe(0);
    expect(jsonDepth(XEN_SPEC)).toBeLessThan(20);
  });

  it('a spec nova can load reads; one nested past what nova can load is the instance error, never a throw', () => {
    expect(readSpec(nested(50)).ok).toBe(true);
    for (const levels of [NOVA_JSON_DEPTH_LIMIT, 1000, 8000, 100_000]) {
      const r = readSpec(nested(levels));
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.kind).toBe('too-deep');
        expect(r.problem).toMatch(/nova itself cannot load this spec/);
      }
      const d = diagnose(snapshotOf(nested(levels)));
      expect(d.health).toBe('unreadable');
      const plan = planRepair(snapshotOf(nested(levels)));
      expect(plan.status).toBe('skipped');
      expect(plan.reason).toMatch(/nova itself cannot load this spec/);
      expect(plan.rowChanges).toEqual([]);
    }
  });

  it.skipIf(!existsSync('/usr/bin/python3'))('the limit is below where Python json.loads gives up', () => {
    // At the top of a fresh interpreter; nova calls it deeper, so its limit is lower still.
    const script = `import json,sys
for n in (${NOVA_JSON_DEPTH_LIMIT - 1}, 1000):
    try:
        json.loads('['*n + ']'*n); print(n, 'ok')
    except RecursionError:
        print(n, 'RecursionError')`;
    const out = execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' });
    expect(out).toContain(`${NOVA_JSON_DEPTH_LIMIT - 1} ok`);
    expect(out).toContain('1000 RecursionError');
  });
});
