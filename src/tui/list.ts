// The instance list's state machine: selection, window, sort, filter, marks. Pure.
import type { InstanceRow, InstanceStatus } from '../doctor/types.js';
import { RowTable } from './rows.js';

export type SortKey = 'status' | 'last-seen' | 'hosts' | 'cell' | 'uuid';
export const SORT_KEYS: readonly SortKey[] = ['status', 'last-seen', 'hosts', 'cell', 'uuid'];

export const SORT_LABELS: Record<SortKey, string> = {
  status: 'status',
  'last-seen': 'last rejection',
  hosts: 'hosts rejected',
  cell: 'cell',
  uuid: 'uuid',
};

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

export interface ListState {
  /** The selected instance; the cursor follows it while results stream in and re-sort. */
  selected: string | null;
  /** First row shown. */
  offset: number;
  sort: SortKey;
  /** Against the key's natural order (worst, newest, most first; names A→Z). */
  reversed: boolean;
  filter: string;
  /** The `/` field has the keyboard. */
  editing: boolean;
  marked: ReadonlySet<string>;
}

export const initialList: ListState = {
  selected: null,
  offset: 0,
  sort: 'status',
  reversed: false,
  filter: '',
  editing: false,
  marked: new Set(),
};

export type Move = number | 'top' | 'bottom';

export type ListAction =
  | { type: 'move'; by: Move; visible: readonly string[]; height: number }
  | { type: 'sort-next' }
  | { type: 'sort-reverse' }
  | { type: 'filter-start' }
  | { type: 'filter-input'; text: string }
  | { type: 'filter-erase' }
  | { type: 'filter-keep' }
  | { type: 'filter-clear' }
  | { type: 'toggle-mark'; uuid: string }
  | { type: 'mark-all'; uuids: readonly string[] }
  | { type: 'unmark'; uuids: readonly string[] };

function lastSeen(view: InstanceRow): string {
  return view.incident?.lastSeen ?? '';
}

function hostsRejected(view: InstanceRow): number {
  return view.incident?.hostsRejected.length ?? 0;
}

const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Each sort key as a bucket key and the order of the buckets: rows are kept in uuid order, so putting them into
 * their key's bucket, in order, gives the key's order with uuid breaking ties in O(n), where a comparison sort
 * of 100k rows took 250 ms.
 */
function bucketsOf(key: SortKey): {
  key: (v: InstanceRow) => string | number;
  order: (a: string | number, b: string | number) => number;
} | null {
  switch (key) {
    case 'status':
      return { key: (v) => STATUS_RANK[v.status], order: (a, b) => (a as number) - (b as number) };
    case 'last-seen':
      // oslo.log times ('2026-11-27 14:46:46.693') sort as text; newest first.
      return { key: lastSeen, order: (a, b) => byText(b as string, a as string) };
    case 'hosts':
      return { key: hostsRejected, order: (a, b) => (b as number) - (a as number) };
    case 'cell':
      // Plain code-unit order (localeCompare costs a microsecond a call); no cell last.
      return { key: (v) => v.cellName ?? '\uffff', order: (a, b) => byText(a as string, b as string) };
    case 'uuid':
      return null;
  }
}

/** Everything `/` matches against, lower-cased, one field a line (a term, which has no space, stays in one field). */
export function rowText(view: InstanceRow): string {
  let text = `${view.uuid}\n${view.status}\n${view.displayName ?? ''}\n${view.cellName ?? ''}`;
  const incident = view.incident;
  if (incident) {
    for (const id of incident.requestIds) text += `\n${id}`;
    for (const host of incident.hostsRejected) text += `\n${host}`;
    for (const m of incident.mismatches) text += `\n${m.property}=${m.value}`;
  }
  return text.toLowerCase();
}

function termsOf(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Every space-separated term must appear somewhere in the instance's fields. */
export function matchesFilter(view: InstanceRow, filter: string): boolean {
  const text = rowText(view);
  return termsOf(filter).every((t) => text.includes(t));
}

/**
 * A table's rows as one text, the rows' texts one after another (each ending in a newline), and where each row's
 * starts: a search is indexOf over one string, and what the filter keeps is one string however many rows there
 * are (a text kept per row of 100k was 100k more strings, and a WeakMap's ephemerons, for every garbage
 * collection to go through while the sweep runs). Made at the first search of a table, kept for its next ones.
 */
interface Packed {
  text: string;
  starts: Int32Array;
}
const packs = new WeakMap<RowTable, Packed>();

function packedOf(table: RowTable): Packed {
  let packed = packs.get(table);
  if (!packed) {
    const rows = table.rows;
    const starts = new Int32Array(rows.length + 1);
    const texts: string[] = new Array(rows.length);
    let at = 0;
    for (let i = 0; i < rows.length; i++) {
      const text = rowText(rows[i] as InstanceRow);
      starts[i] = at;
      texts[i] = text;
      at += text.length + 1;
    }
    starts[rows.length] = at;
    packed = { text: `${texts.join('\n')}\n`, starts };
    packs.set(table, packed);
  }
  return packed;
}

/**
 * Makes the table's packed text now (when the list has settled and the operator has not typed yet), so the first
 * `/` keystroke over 100k rows does not wait for it.
 */
export function prepareSearch(table: RowTable): void {
  packedOf(table);
}

/** Which rows of a table have every term: 1 at their index. */
function matchingRows(table: RowTable, terms: readonly string[]): Uint8Array {
  const { text, starts } = packedOf(table);
  const n = table.size;
  let match: Uint8Array | null = null;
  for (const term of terms) {
    const has = new Uint8Array(n);
    let from = 0;
    let row = 0;
    for (let at = text.indexOf(term, from); at >= 0; at = text.indexOf(term, from)) {
      // The row the hit is in (rows come in text order: search on from the last one).
      let lo = row;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if ((starts[mid] as number) <= at) lo = mid;
        else hi = mid - 1;
      }
      row = lo;
      has[row] = 1;
      from = starts[row + 1] as number; // the next row: one hit a row is enough
    }
    if (match) for (let i = 0; i < n; i++) match[i] = (match[i] as number) & (has[i] as number);
    else match = has;
  }
  return match ?? new Uint8Array(n).fill(1);
}

/** For a list sortInstances made from a table: the table, and each row's index in it. */
const sortedFrom = new WeakMap<readonly InstanceRow[], { table: RowTable; index: Int32Array }>();

/** Every instance in the list's order: the key's order, uuid breaking ties; reversed, the whole order turned. */
export function sortInstances<R extends InstanceRow>(
  views: RowTable | ReadonlyMap<string, R>,
  sort: SortKey,
  reversed: boolean,
): R[] {
  const table = views instanceof RowTable ? views : null;
  const ordered = (table ? table.rows : [...views.values()].sort((a, b) => byText(a.uuid, b.uuid))) as readonly R[];
  const n = ordered.length;
  const buckets = bucketsOf(sort);
  const index = new Int32Array(n);
  if (!buckets) for (let i = 0; i < n; i++) index[i] = i;
  else {
    const groups = new Map<string | number, number[]>();
    for (let i = 0; i < n; i++) {
      const k = buckets.key(ordered[i] as R);
      const group = groups.get(k);
      if (group) group.push(i);
      else groups.set(k, [i]);
    }
    let j = 0;
    for (const k of [...groups.keys()].sort(buckets.order)) for (const i of groups.get(k) as number[]) index[j++] = i;
  }
  if (reversed) index.reverse();
  const rows: R[] = new Array(n);
  for (let j = 0; j < n; j++) rows[j] = ordered[index[j] as number] as R;
  if (table) sortedFrom.set(rows, { table, index });
  return rows;
}

/** The sorted rows that match the filter, order kept. */
export function filterInstances<R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] {
  const terms = termsOf(filter);
  if (terms.length === 0) return sorted;
  const from = sortedFrom.get(sorted);
  if (!from) return sorted.filter((v) => matchesFilter(v, filter));
  const match = matchingRows(from.table, terms);
  const out: R[] = [];
  for (let j = 0; j < sorted.length; j++) if (match[from.index[j] as number]) out.push(sorted[j] as R);
  return out;
}

/**
 * filterInstances, remembering its last answer: a filter typed on (the same sorted rows, the text only longer)
 * can only narrow, so the next keystroke searches the rows the last one kept instead of every row.
 */
export function narrowingFilter(): <R extends InstanceRow>(sorted: readonly R[], filter: string) => readonly R[] {
  let last: { sorted: readonly InstanceRow[]; filter: string; result: readonly InstanceRow[] } | null = null;
  return <R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] => {
    if (last && last.sorted === sorted && last.filter === filter) return last.result as readonly R[];
    // A table's packed text is searched whole (one indexOf pass); rows without one, the last answer's.
    const narrows =
      !sortedFrom.has(sorted) &&
      last !== null &&
      last.sorted === sorted &&
      termsOf(last.filter).length > 0 &&
      filter.startsWith(last.filter);
    const result = filterInstances(narrows ? (last!.result as readonly R[]) : sorted, filter);
    last = { sorted, filter, result };
    return result;
  };
}

/** The rows the list shows, in order. */
export function visibleInstances<R extends InstanceRow>(
  views: RowTable | ReadonlyMap<string, R>,
  sort: SortKey,
  reversed: boolean,
  filter: string,
): readonly R[] {
  return filterInstances(sortInstances(views, sort, reversed), filter);
}

/** Where the cursor is and which rows show, with the cursor always inside the window. */
export function listWindow(
  visible: readonly string[],
  selected: string | null,
  offset: number,
  height: number,
): { index: number; offset: number } {
  const total = visible.length;
  const found = selected === null ? -1 : visible.indexOf(selected);
  const index = Math.max(found, 0);
  const rows = Math.max(1, height);
  let start = Math.min(offset, Math.max(0, total - rows));
  if (index < start) start = index;
  if (index >= start + rows) start = index - rows + 1;
  return { index, offset: Math.max(0, start) };
}

function moved(state: ListState, by: Move, visible: readonly string[], height: number): ListState {
  if (visible.length === 0) return state;
  const here = listWindow(visible, state.selected, state.offset, height);
  let index: number;
  if (by === 'top') index = 0;
  else if (by === 'bottom') index = visible.length - 1;
  else index = Math.max(0, Math.min(visible.length - 1, here.index + by));
  const selected = visible[index] ?? null;
  return { ...state, selected, offset: listWindow(visible, selected, here.offset, height).offset };
}

export function listReducer(state: ListState, action: ListAction): ListState {
  switch (action.type) {
    case 'move':
      return moved(state, action.by, action.visible, action.height);
    case 'sort-next': {
      const next = SORT_KEYS[(SORT_KEYS.indexOf(state.sort) + 1) % SORT_KEYS.length] ?? 'status';
      return { ...state, sort: next, reversed: false };
    }
    case 'sort-reverse':
      return { ...state, reversed: !state.reversed };
    case 'filter-start':
      return { ...state, editing: true };
    case 'filter-input':
      return { ...state, filter: state.filter + action.text, offset: 0 };
    case 'filter-erase':
      return { ...state, filter: [...state.filter].slice(0, -1).join(''), offset: 0 };
    case 'filter-keep':
      return { ...state, editing: false };
    case 'filter-clear':
      return { ...state, filter: '', editing: false, offset: 0 };
    case 'toggle-mark': {
      const marked = new Set(state.marked);
      if (marked.has(action.uuid)) marked.delete(action.uuid);
      else marked.add(action.uuid);
      return { ...state, marked };
    }
    case 'mark-all': {
      const allMarked = action.uuids.length > 0 && action.uuids.every((u) => state.marked.has(u));
      const marked = new Set(state.marked);
      for (const uuid of action.uuids) {
        if (allMarked) marked.delete(uuid);
        else marked.add(uuid);
      }
      return { ...state, marked };
    }
    case 'unmark': {
      const marked = new Set(state.marked);
      for (const uuid of action.uuids) marked.delete(uuid);
      return { ...state, marked };
    }
  }
}
