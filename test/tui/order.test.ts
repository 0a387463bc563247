// The fast paths of the list (counting and radix sorts, orders and search text carried over a row replacement,
// the narrowed search) against the plain definitions they stand in for, on random rows.
import { describe, expect, it } from 'vitest';
import type { InstanceRow, InstanceStatus } from '../../src/doctor/types.js';
import {
  filterInstances,
  initialList,
  listReducer,
  listWindow,
  matchesFilter,
  narrowingFilter,
  preparations,
  rowText,
  SORT_KEYS,
  type SortKey,
  sortInstances,
} from '../../src/tui/list.js';
import { carryOrders, orderOf, orderSteps, radixOrder } from '../../src/tui/order.js';
import { RowTable } from '../../src/tui/rows.js';
import {
  carrySearch,
  matchingRows,
  type Packed,
  packedOf,
  prepareSearchInPieces,
  termsOf,
} from '../../src/tui/search.js';
import { incident, uuidOf } from './data.js';

/** A small deterministic generator (mulberry32): failures reproduce. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STATUSES: InstanceStatus[] = ['stale', 'half-fixed', 'unreadable', 'untraced', 'skipped', 'ok', 'repaired'];

/** Texts that test the order: prefixes of each other, empty, non-ASCII, the highest code unit. */
const ODD = ['', 'a', 'ab', 'abc', 'B', 'é', 'Ωmega', '\uffff', 'cell1', 'cell10', 'cell2', 'Cell1', '2026-11-27'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)] as T;
}

/** A time from a range wide enough that most rows have their own (the radix path) or narrow (the counting path). */
function time(rnd: () => number, distinct: number): string {
  const s = Math.floor(rnd() * distinct);
  const p = (x: number, w = 2) => String(x).padStart(w, '0');
  return `2026-11-${p(1 + (Math.floor(s / 86400) % 28))} ${p(Math.floor(s / 3600) % 24)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}.${p(Math.floor(rnd() * 1000), 3)}`;
}

function randomRow(rnd: () => number, i: number, distinctTimes: number): InstanceRow {
  const uuid = uuidOf(i + 1);
  const hosts = Array.from({ length: Math.floor(rnd() * 4) }, (_, k) => `kvm-compute${k + Math.floor(rnd() * 9)}`);
  const inc = hosts.length === 0 ? null : { ...incident(uuid, i, hosts), lastSeen: time(rnd, distinctTimes) };
  if (inc && rnd() < 0.1) inc.lastSeen = pick(rnd, ODD);
  return {
    uuid,
    status: pick(rnd, STATUSES),
    cellName: rnd() < 0.1 ? null : rnd() < 0.8 ? `cell${Math.floor(rnd() * 12)}` : pick(rnd, ODD),
    displayName: rnd() < 0.1 ? null : `Web-${Math.floor(rnd() * 5000)}-${pick(rnd, ODD)}`,
    incident: inc,
    staleCount: 1,
    hasStaleValues: true,
    planSummary: null,
    lastResult: null,
  };
}

const RANK: Record<InstanceStatus, number> = {
  stale: 0,
  'half-fixed': 1,
  unreadable: 2,
  untraced: 3,
  skipped: 4,
  ok: 5,
  repaired: 6,
  deleted: 7,
};
const cmpText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The list's order by definition: a comparison sort on the key, then the uuid; reversed, all of it turned. */
function expectedOrder(rows: readonly InstanceRow[], key: SortKey, reversed: boolean): string[] {
  const by: Record<SortKey, (a: InstanceRow, b: InstanceRow) => number> = {
    status: (a, b) => RANK[a.status] - RANK[b.status],
    'last-seen': (a, b) => cmpText(b.incident?.lastSeen ?? '', a.incident?.lastSeen ?? ''),
    hosts: (a, b) => (b.incident?.hostsRejected.length ?? 0) - (a.incident?.hostsRejected.length ?? 0),
    cell: (a, b) => cmpText(a.cellName ?? '\uffff', b.cellName ?? '\uffff'),
    uuid: () => 0,
  };
  const order = [...rows].sort((a, b) => by[key](a, b) || cmpText(a.uuid, b.uuid)).map((r) => r.uuid);
  return reversed ? order.reverse() : order;
}

describe('sort orders', () => {
  it('radix order is code-unit order, stable, either way', () => {
    const rnd = random(7);
    const texts = Array.from({ length: 3000 }, () =>
      rnd() < 0.5 ? pick(rnd, ODD) : Array.from({ length: Math.floor(rnd() * 6) }, () => pick(rnd, ODD)).join(''),
    );
    const index = texts.map((_, i) => i);
    const asc = [...index].sort((a, b) => cmpText(texts[a] as string, texts[b] as string) || a - b);
    const desc = [...index].sort((a, b) => cmpText(texts[b] as string, texts[a] as string) || a - b);
    expect([...radixOrder(texts, false)]).toEqual(asc);
    expect([...radixOrder(texts, true)]).toEqual(desc);
  });

  it('sorts long texts by comparison, in the same order', () => {
    // 2,100 texts of 4,000 characters: past what the radix sort copies (8 Mi characters).
    const rnd = random(9);
    const texts = Array.from({ length: 2100 }, () => `${pick(rnd, ODD)}${'x'.repeat(3990)}${pick(rnd, ODD)}`);
    const index = texts.map((_, i) => i);
    const desc = [...index].sort((a, b) => cmpText(texts[b] as string, texts[a] as string) || a - b);
    expect([...radixOrder(texts, true)]).toEqual(desc);
  });

  // 300 distinct times go through the counting sort of distinct values, 10^6 (past MAX_DISTINCT) through the radix.
  it.each([
    [300, 1],
    [1_000_000, 2],
    [1_000_000, 3],
  ])('every key and direction equals the comparison sort (%i distinct times, seed %i)', (distinct, seed) => {
    const rnd = random(seed);
    const rows = Array.from({ length: 6000 }, (_, i) => randomRow(rnd, i, distinct));
    const table = RowTable.of(rows);
    for (const key of SORT_KEYS) {
      for (const reversed of [false, true]) {
        expect(sortInstances(table, key, reversed).map((r) => r.uuid)).toEqual(expectedOrder(rows, key, reversed));
      }
    }
  });

  it('takes the orders over from a table whose replaced rows kept their keys, and makes the others again', () => {
    const rnd = random(11);
    const rows = Array.from({ length: 2000 }, (_, i) => randomRow(rnd, i, 1_000_000));
    const before = RowTable.of(rows);
    for (const key of SORT_KEYS) orderOf(before, key);
    // The same rows read again (a detail), and one whose status and hosts changed (a repair).
    const again = [rows[5], rows[700], rows[1999]].map((r) => ({ ...(r as InstanceRow) }));
    const same = before.with(again);
    carryOrders(same);
    for (const key of SORT_KEYS) expect(orderOf(same, key)).toBe(orderOf(before, key));
    const repaired = { ...(rows[700] as InstanceRow), status: 'repaired' as const, incident: null };
    const changed = same.with([repaired]);
    carryOrders(changed);
    for (const key of SORT_KEYS) {
      expect(sortInstances(changed, key, false).map((r) => r.uuid)).toEqual(expectedOrder(changed.rows, key, false));
    }
    expect(orderOf(changed, 'cell')).toBe(orderOf(same, 'cell'));
    expect(orderOf(changed, 'status')).not.toBe(orderOf(same, 'status'));
  });
});

describe('orders patched over a row replacement', () => {
  it.each([1, 3, 40])('%i changed rows: every key as the comparison sort of the new rows', (count) => {
    const rnd = random(20 + count);
    const rows = Array.from({ length: 3000 }, (_, i) => randomRow(rnd, i, 1_000_000));
    const before = RowTable.of(rows);
    for (const key of SORT_KEYS) orderOf(before, key);
    // Rows whose status, hosts, last rejection and cell all change (a repair, an instance read again much later).
    const changed = Array.from({ length: count }, () => {
      const row = rows[Math.floor(rnd() * rows.length)] as InstanceRow;
      const other = randomRow(rnd, 0, 1_000_000);
      return { ...other, uuid: row.uuid };
    });
    const after = before.with(changed);
    carryOrders(after);
    for (const key of SORT_KEYS) {
      for (const reversed of [false, true]) {
        expect(sortInstances(after, key, reversed).map((r) => r.uuid)).toEqual(
          expectedOrder(after.rows, key, reversed),
        );
      }
    }
  });

  it('is made afresh when most rows changed', () => {
    const rnd = random(31);
    const rows = Array.from({ length: 400 }, (_, i) => randomRow(rnd, i, 1_000_000));
    const before = RowTable.of(rows);
    const old = orderOf(before, 'status');
    const after = before.with(rows.map((r) => ({ ...r, status: 'repaired' as const })));
    carryOrders(after);
    expect(orderOf(after, 'status')).not.toBe(old);
    expect(sortInstances(after, 'status', false).map((r) => r.uuid)).toEqual(
      expectedOrder(after.rows, 'status', false),
    );
  });
});

describe('orders made a step at a time', () => {
  it('the steps end in the order made at once; a key that made it meanwhile keeps its own', () => {
    const rnd = random(41);
    const rows = Array.from({ length: 9000 }, (_, i) => randomRow(rnd, i, 1_000_000));
    for (const key of SORT_KEYS) {
      const table = RowTable.of(rows);
      let steps = 0;
      for (const _ of orderSteps(table, key)) steps++;
      // The radix sort (100k distinct times) yields between its character positions.
      if (key === 'last-seen') expect(steps).toBeGreaterThan(5);
      expect(sortInstances(table, key, false).map((r) => r.uuid)).toEqual(expectedOrder(rows, key, false));
    }
    const table = RowTable.of(rows);
    const stepper = orderSteps(table, 'last-seen');
    stepper.next();
    stepper.next();
    const atOnce = orderOf(table, 'last-seen');
    Array.from(stepper);
    expect(orderOf(table, 'last-seen')).toBe(atOnce);
  });
});

/** A packed table as the one text its chunks stand for: how it is cut into chunks is not what a search sees. */
const whole = (p: Packed) => ({ text: p.chunks.join(''), starts: p.starts });

/** The rows matchingRows finds, and the rows the plain definition (matchesFilter, row by row) keeps. */
function bothWays(table: RowTable, filter: string, among: number[] | null) {
  const found = matchingRows(table, termsOf(filter), among === null ? null : Int32Array.from(among));
  const got = table.rows.map((_, i) => i).filter((i) => found[i] === 1);
  const want = (among ?? table.rows.map((_, i) => i)).filter((i) =>
    matchesFilter(table.rows[i] as InstanceRow, filter),
  );
  return { got, want };
}

describe('search text', () => {
  it('searched in chunks finds what the plain definition does, hits at chunk edges too', () => {
    const rnd = random(17);
    const rows = Array.from({ length: 1234 }, (_, i) => randomRow(rnd, i, 300));
    const table = RowTable.of(rows);
    for (const job of prepareSearchInPieces(table, 100)) job(); // chunks of 100 rows: 13 of them
    expect(packedOf(table).chunks).toHaveLength(13);
    const filters = [
      'a',
      'ab',
      '0',
      'cell',
      'active',
      'img_hv_type=xen',
      'req- 1',
      'zz-no-such',
      rowText(rows[99] as InstanceRow).split('\n')[0] as string,
      rowText(rows[100] as InstanceRow).split('\n')[0] as string,
      rowText(rows[1233] as InstanceRow).split('\n')[0] as string,
    ];
    for (const filter of filters) {
      const all = bothWays(table, filter, null);
      expect(all.got, filter).toEqual(all.want);
      const some = rows.map((_, i) => i).filter(() => rnd() < 0.05); // few: each row's own text is searched
      const few = bothWays(table, filter, some);
      expect(few.got, filter).toEqual(few.want);
      const many = rows.map((_, i) => i).filter(() => rnd() < 0.5);
      const most = bothWays(table, filter, many);
      expect(most.got, filter).toEqual(most.want);
    }
    expect(bothWays(table, rowText(rows[100] as InstanceRow).split('\n')[0] as string, null).got).toEqual([100]);
  });

  it('made in pieces while idle is the text made at once; a search meanwhile makes it and the pieces stop', () => {
    const rnd = random(13);
    const rows = Array.from({ length: 1234 }, (_, i) => randomRow(rnd, i, 300));
    const table = RowTable.of(rows);
    const pieces = prepareSearchInPieces(table, 100);
    for (const job of pieces) job();
    expect(whole(packedOf(table))).toEqual(whole(packedOf(RowTable.of(rows))));
    Array.from(preparations(table)); // every step
    for (const key of SORT_KEYS)
      expect(sortInstances(table, key, false).map((r) => r.uuid)).toEqual(expectedOrder(rows, key, false));
    const other = RowTable.of(rows);
    const jobs = prepareSearchInPieces(other, 100); // 13 pieces of rows, then the join
    for (const job of jobs.slice(0, 5)) job();
    const searched = packedOf(other);
    for (const job of jobs.slice(5)) job();
    expect(packedOf(other)).toBe(searched);
    expect(whole(searched)).toEqual(whole(packedOf(table)));
  });

  it('is patched where replaced rows changed, the same as made afresh', () => {
    const rnd = random(5);
    const rows = Array.from({ length: 1500 }, (_, i) => randomRow(rnd, i, 300));
    let table = RowTable.of(rows);
    for (const job of prepareSearchInPieces(table, 100)) job(); // chunks of 100 rows: patched one chunk at a time
    for (let round = 0; round < 20; round++) {
      const picked = Array.from({ length: 1 + Math.floor(rnd() * 5) }, () => pick(rnd, table.rows));
      const next = table.with(
        picked.map((r) =>
          rnd() < 0.3 ? { ...r } : { ...r, displayName: rnd() < 0.5 ? null : `renamed-${round}-${pick(rnd, ODD)}` },
        ),
      );
      carrySearch(next);
      const fresh = RowTable.of(next.rows);
      expect(whole(packedOf(next))).toEqual(whole(packedOf(fresh)));
      const renamed = bothWays(next, `renamed-${round}`, null);
      expect(renamed.got).toEqual(renamed.want);
      if (next.rows.every((r, i) => rowText(r) === rowText(table.rows[i] as InstanceRow))) {
        expect(packedOf(next)).toBe(packedOf(table));
      }
      table = next;
    }
  });
});

describe('narrowed filtering', () => {
  // Filters typed a character at a time: each keystroke searches what the last kept (a few rows: each one's own
  // text; many: the whole text, then what the last kept), and must keep exactly what the plain test keeps.
  const rnd = random(3);
  const rows = Array.from({ length: 4000 }, (_, i) => randomRow(rnd, i, 300));
  const table = RowTable.of(rows);
  const filters = [
    'web-1',
    'web-12',
    'WEB-4 cell1',
    'cell1 ',
    'cell10',
    'kvm-compute3 stale',
    'kvm-compute1 web-2',
    'req-',
    'img_hv_type=xen ok',
    'é',
    '00000000-0000-4000-8000-0000000003',
    'web- -a',
    'nothing-like-this',
  ];
  it.each(filters)('%j', (filter) => {
    for (const [key, reversed] of [
      ['status', false],
      ['last-seen', true],
    ] as const) {
      const sorted = sortInstances(table, key, reversed);
      const narrowing = narrowingFilter();
      for (let n = 1; n <= filter.length; n++) {
        const typed = filter.slice(0, n);
        const expected = sorted.filter((v) => matchesFilter(v, typed)).map((v) => v.uuid);
        expect(narrowing(sorted, typed).map((v) => v.uuid)).toEqual(expected);
        expect(filterInstances(sorted, typed).map((v) => v.uuid)).toEqual(expected);
      }
      // Erasing widens again: back to the whole search.
      const shorter = filter.slice(0, 2);
      expect(narrowing(sorted, shorter).map((v) => v.uuid)).toEqual(
        sorted.filter((v) => matchesFilter(v, shorter)).map((v) => v.uuid),
      );
    }
  });
});

describe('the cursor found where it was last', () => {
  it('uses the remembered index when it still holds, and searches when the list changed under it', () => {
    const list = Array.from({ length: 50 }, (_, i) => ({ uuid: `u${String(i).padStart(2, '0')}` }));
    let s = listReducer(initialList, { type: 'move', by: 30, visible: list, height: 10 });
    expect(s).toMatchObject({ selected: 'u30', at: 30 });
    expect(listWindow(list, s.selected, s.offset, 10, s.at).index).toBe(30);
    // Re-sorted: the remembered index is stale; the uuid is found where it went.
    const reversed = [...list].reverse();
    expect(listWindow(reversed, s.selected, s.offset, 10, s.at).index).toBe(19);
    s = listReducer(s, { type: 'move', by: 1, visible: reversed, height: 10 });
    expect(s).toMatchObject({ selected: 'u29', at: 20 });
    // Gone (filtered away): the top.
    expect(listWindow(list.slice(0, 10), 'u29', 0, 10, 20).index).toBe(0);
  });
});
