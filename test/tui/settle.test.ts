// What the TUI does between the end of its sweep and "ready": every sort order made (no step of it left for the
// keys) and the whole heap collected. (The search text it makes with them: order.test.ts, preparations.)
import { describe, expect, it } from 'vitest';
import type { InstanceRow } from '../../src/doctor/types.js';
import { fullGc } from '../../src/tui/fullGc.js';
import { beforeReady, SETTLE_ROWS, settle } from '../../src/tui/hooks/useDoctorSession.js';
import { orderSteps, SORT_KEYS } from '../../src/tui/order.js';
import { RowTable } from '../../src/tui/rows.js';
import { incident, uuidOf } from './data.js';

/** Rows whose last rejections are all different: that order is made by the radix sort, in steps. */
function rows(n: number): InstanceRow[] {
  return Array.from({ length: n }, (_, i) => {
    const uuid = uuidOf(i + 1);
    return {
      uuid,
      status: i % 3 === 0 ? 'stale' : 'ok',
      cellName: `cell${i % 4}`,
      displayName: `web-${i}`,
      incident: { ...incident(uuid, i), lastSeen: `2026-11-27 14:${String(i % 60).padStart(2, '0')}:00.${i}` },
      staleCount: 1,
      hasStaleValues: true,
      planSummary: null,
      lastResult: null,
    };
  });
}

describe('settle', () => {
  it('makes every sort order of the table: nothing is left to make when keys come', () => {
    const table = RowTable.of(rows(5000));
    const fresh = RowTable.of(table.rows);
    expect(Array.from(orderSteps(fresh, 'last-seen')).length).toBeGreaterThan(0); // unmade: it takes steps
    settle(table);
    for (const key of SORT_KEYS) expect(Array.from(orderSteps(table, key))).toHaveLength(0);
  });

  it('below SETTLE_ROWS, the orders are still made before "ready" (keys pressed without a pause would make them)', () => {
    const table = RowTable.of(rows(5000));
    expect(table.size).toBeLessThan(SETTLE_ROWS);
    beforeReady(table);
    for (const key of SORT_KEYS) expect(Array.from(orderSteps(table, key))).toHaveLength(0);
  });

  it('collects the whole heap', async () => {
    let garbage: object | null = { big: new Array(1000).fill('x') };
    const ref = new WeakRef(garbage);
    garbage = null;
    // A WeakRef's target is kept until the job that made it ends.
    await new Promise((r) => setTimeout(r, 0));
    fullGc();
    expect(ref.deref()).toBeUndefined();
  });
});
