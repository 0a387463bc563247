// The list's orders over a row table: for each sort key, the table's row indices in the key's order, uuid breaking
// ties. Made once per table and key (s cycles through keys the operator comes back to; S turns one round), and
// patched instead of made again when a newer table only replaced rows whose key did not change. Pure: the cache
// is a WeakMap on the immutable table.
import type { InstanceRow, InstanceStatus } from '../doctor/types.js';
import type { RowTable } from './rows.js';

export type SortKey = 'status' | 'last-seen' | 'hosts' | 'cell' | 'uuid';
export const SORT_KEYS: readonly SortKey[] = ['status', 'last-seen', 'hosts', 'cell', 'uuid'];

/** Worst first: what needs the operator's attention sorts to the top. */
const STATUS_RANK: Record<InstanceStatus, number> = {
  stale: 0,
  'half-fixed': 1,
  unreadable: 2,
  untraced: 3,
  skipped: 4,
  ok: 5,
  repaired: 6,
  deleted: 7,
};

/** A sort key as a value per row and the direction its values go in (ties: uuid order, always ascending). */
type KeySpec =
  | { kind: 'number'; of: (row: InstanceRow) => number; descending: boolean }
  | { kind: 'text'; of: (row: InstanceRow) => string; descending: boolean };

const SPECS: Record<Exclude<SortKey, 'uuid'>, KeySpec> = {
  status: { kind: 'number', of: (v) => STATUS_RANK[v.status], descending: false },
  // oslo.log times ('2026-11-27 14:46:46.693') sort as text; newest first.
  'last-seen': { kind: 'text', of: (v) => v.incident?.lastSeen ?? '', descending: true },
  hosts: { kind: 'number', of: (v) => v.incident?.hostsRejected.length ?? 0, descending: true },
  // Plain code-unit order (localeCompare costs a microsecond a call); no cell last.
  cell: { kind: 'text', of: (v) => v.cellName ?? '\uffff', descending: false },
};

/**
 * Past this many distinct text values a key is sorted by its characters (radix) instead of by its distinct values:
 * a last-rejection time per instance is ~100k distinct texts, which took 80-100 ms numbered through a Map and
 * compared (the radix sort: 20-30 ms; a few distinct cells: 2.5 ms either way).
 */
const MAX_DISTINCT = 4096;

/** The radix sort copies every character (2 bytes each): past this many, 16 MiB, it sorts by comparison. */
const MAX_RADIX_UNITS = 8 * 2 ** 20;

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Row indices in the order of their values' ranks, stable (rows are in uuid order, so uuid breaks ties): a
 * counting sort, O(n + distinct).
 */
function byRank(ids: Int32Array, rankOfId: Int32Array): Int32Array {
  const n = ids.length;
  const starts = new Int32Array(rankOfId.length + 1);
  for (let i = 0; i < n; i++) (starts[(rankOfId[ids[i] as number] as number) + 1] as number)++;
  for (let r = 0; r < rankOfId.length; r++) starts[r + 1] = (starts[r + 1] as number) + (starts[r] as number);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[(starts[rankOfId[ids[i] as number] as number] as number)++] = i;
  return out;
}

/**
 * Stable LSD radix sort of row indices by text, in code-unit order (what `<` does), a character position at a time
 * from the last: a shorter text sorts before the longer ones it begins (its missing characters count lowest). The
 * texts' code units are copied once into one array (reading a string's characters 20 times over was 35-55 ms at
 * 100k, more for texts made by concatenation), and positions where every text has the same one (or none) are skipped.
 */
export function radixOrder(texts: readonly string[], descending: boolean): Int32Array {
  return drain(radixSteps(texts, descending));
}

/** radixOrder a step at a time: the copy of the characters, then each character position sorted on (~1 ms each at 100k). */
function* radixSteps(texts: readonly string[], descending: boolean): Generator<void, Int32Array> {
  const n = texts.length;
  let width = 0;
  for (let i = 0; i < n; i++) width = Math.max(width, (texts[i] as string).length);
  if (n * width > MAX_RADIX_UNITS) {
    // Long texts (not a time or a name): a comparison sort, rather than an array of every character.
    const sign = descending ? -1 : 1;
    const order = Array.from({ length: n }, (_, i) => i);
    order.sort((a, b) => sign * byText(texts[a] as string, texts[b] as string) || a - b);
    return Int32Array.from(order);
  }
  // Code units at [i * width + p], past a text's end 0 (its length tells). A position is sorted on only where texts
  // differ.
  const units = new Uint16Array(n * width);
  const lengths = new Int32Array(n);
  const differs = new Uint8Array(width);
  const firstLength = n > 0 ? (texts[0] as string).length : 0;
  for (let i = 0; i < n; i++) {
    const text = texts[i] as string;
    const row = i * width;
    lengths[i] = text.length;
    for (let p = 0; p < text.length; p++) units[row + p] = text.charCodeAt(p);
    if (i > 0) {
      for (let p = 0; p < width; p++) {
        if (units[row + p] !== units[p] || p < text.length !== p < firstLength) differs[p] = 1;
      }
    }
  }
  yield;
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Int32Array(n);
  const symbols = new Uint32Array(n);
  const counts = new Int32Array(0x10000 + 2);
  for (let p = width - 1; p >= 0; p--) {
    if (!differs[p]) continue;
    let lo = 0x10001;
    let hi = 0;
    for (let j = 0; j < n; j++) {
      const i = order[j] as number;
      // The code unit + 1; 0 past the end, below every character.
      const c = p < (lengths[i] as number) ? (units[i * width + p] as number) + 1 : 0;
      symbols[j] = c;
      if (c < lo) lo = c;
      if (c > hi) hi = c;
    }
    counts.fill(0, lo, hi + 2);
    for (let j = 0; j < n; j++) (counts[(symbols[j] as number) + 1] as number)++;
    // counts[c + 1] becomes where symbol c's rows start: after every smaller symbol (after every larger, descending).
    let at = 0;
    for (let k = 0; k <= hi - lo; k++) {
      const c = descending ? hi - k : lo + k;
      const count = counts[c + 1] as number;
      counts[c + 1] = at;
      at += count;
    }
    for (let j = 0; j < n; j++) next[(counts[(symbols[j] as number) + 1] as number)++] = order[j] as number;
    [order, next] = [next, order];
    yield;
  }
  return order;
}

/** Every row's value numbered by first appearance, and the values; null once there are more than `limit`. */
function distinctValues<V>(
  rows: readonly InstanceRow[],
  of: (row: InstanceRow) => V,
  limit: number,
): { ids: Int32Array; values: V[] } | null {
  const idOf = new Map<V, number>();
  const values: V[] = [];
  const ids = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const value = of(rows[i] as InstanceRow);
    let id = idOf.get(value);
    if (id === undefined) {
      if (values.length === limit) return null;
      id = values.length;
      values.push(value);
      idOf.set(value, id);
    }
    ids[i] = id;
  }
  return { ids, values };
}

/** Runs a step generator to its end. */
function drain<R>(steps: Generator<void, R>): R {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** A key's order over the rows, in steps of a few ms (the radix sort's character positions). */
function* keySteps(rows: readonly InstanceRow[], spec: KeySpec): Generator<void, Int32Array> {
  const sign = spec.descending ? -1 : 1;
  if (spec.kind === 'number') {
    const d = distinctValues(rows, spec.of, Number.POSITIVE_INFINITY) as { ids: Int32Array; values: number[] };
    return rankedOrder(d.ids, d.values, (a, b) => sign * (a - b));
  }
  const d = distinctValues(rows, spec.of, MAX_DISTINCT);
  if (d) return rankedOrder(d.ids, d.values, (a, b) => sign * byText(a, b));
  const texts = rows.map(spec.of);
  yield;
  return yield* radixSteps(texts, spec.descending);
}

function rankedOrder<V>(ids: Int32Array, values: readonly V[], compare: (a: V, b: V) => number): Int32Array {
  const byValue = values.map((_, id) => id).sort((a, b) => compare(values[a] as V, values[b] as V));
  const rankOfId = new Int32Array(values.length);
  byValue.forEach((id, rank) => {
    rankOfId[id] = rank;
  });
  return byRank(ids, rankOfId);
}

const cache = new WeakMap<RowTable, Map<SortKey, Int32Array>>();

function identity(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}

/** The table's row indices in the key's natural order (worst, newest, most first; names A→Z), uuid breaking ties. */
export function orderOf(table: RowTable, key: SortKey): Int32Array {
  let orders = cache.get(table);
  if (!orders) cache.set(table, (orders = new Map()));
  let order = orders.get(key);
  if (!order) {
    order = key === 'uuid' ? identity(table.size) : drain(keySteps(table.rows, SPECS[key]));
    orders.set(key, order);
  }
  return order;
}

/**
 * orderOf a step at a time, for making it while the keyboard is quiet. Stops early when a key made it meanwhile
 * (orderOf at once), which then keeps that one.
 */
export function* orderSteps(table: RowTable, key: SortKey): Generator<void, void> {
  if (key === 'uuid' || cache.get(table)?.has(key)) {
    orderOf(table, key);
    return;
  }
  const steps = keySteps(table.rows, SPECS[key]);
  for (;;) {
    const step = steps.next();
    if (cache.get(table)?.has(key)) return;
    if (step.done) {
      let orders = cache.get(table);
      if (!orders) cache.set(table, (orders = new Map()));
      orders.set(key, step.value);
      return;
    }
    yield;
  }
}

/** Whether row a goes before row b under the key (values in the key's direction, then index: uuid order). */
function compareRows(spec: KeySpec, rows: readonly InstanceRow[], a: number, b: number): number {
  const [ra, rb] = [rows[a] as InstanceRow, rows[b] as InstanceRow];
  const c = spec.kind === 'number' ? spec.of(ra) - spec.of(rb) : byText(spec.of(ra), spec.of(rb));
  return (spec.descending ? -c : c) || a - b;
}

/**
 * `order` with the rows at `moved` (whose key values changed) taken out and put back where their values now go:
 * the other rows keep their order, so this is copying and a binary search per moved row, not a sort of every row
 * (an instance opened whose status or last rejection changed: 20-30 ms at 100k for the radix sort).
 */
export function patchedOrder(
  order: Int32Array,
  rows: readonly InstanceRow[],
  key: Exclude<SortKey, 'uuid'>,
  moved: readonly number[],
): Int32Array {
  const spec = SPECS[key];
  const n = order.length;
  const out = new Int32Array(n);
  const isMoved = new Uint8Array(n);
  for (const i of moved) isMoved[i] = 1;
  const rest = new Int32Array(n - moved.length);
  let k = 0;
  for (let j = 0; j < n; j++) if (!isMoved[order[j] as number]) rest[k++] = order[j] as number;
  const inserts = [...moved].sort((a, b) => compareRows(spec, rows, a, b));
  let r = 0; // of rest, copied so far
  let o = 0;
  for (const i of inserts) {
    let lo = r;
    let hi = rest.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareRows(spec, rows, rest[mid] as number, i) < 0) lo = mid + 1;
      else hi = mid;
    }
    out.set(rest.subarray(r, lo), o);
    o += lo - r;
    r = lo;
    out[o++] = i;
  }
  out.set(rest.subarray(r), o);
  return out;
}

/**
 * Takes over the orders of the table this one replaced rows of: as they were under each key where every replaced
 * row kept its value (same indices, same order), patched where a few changed theirs; where many did (a repair of
 * most of the list), made again when asked for. Call it while that table is still about (the derived view of the
 * new table is made right after it arrives).
 */
export function carryOrders(table: RowTable): void {
  const from = table.replacementOf();
  const previous = from && cache.get(from.table);
  if (!from || !previous || cache.has(table)) return;
  const orders = new Map<SortKey, Int32Array>();
  for (const [key, order] of previous) {
    if (key === 'uuid') {
      orders.set(key, order);
      continue;
    }
    const spec = SPECS[key];
    const moved = from.replaced.filter(
      (i) => spec.of(table.rows[i] as InstanceRow) !== spec.of(from.table.rows[i] as InstanceRow),
    );
    if (moved.length === 0) orders.set(key, order);
    else if (moved.length * 8 <= table.size) orders.set(key, patchedOrder(order, table.rows, key, moved));
  }
  cache.set(table, orders);
}
