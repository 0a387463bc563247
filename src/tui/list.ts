// The instance list's state machine: selection, window, sort, filter, marks. Pure.
import type { InstanceRow } from '../doctor/types.js';
import { carryOrders, orderOf, orderSteps, SORT_KEYS, type SortKey } from './order.js';
import { RowTable } from './rows.js';
import { carrySearch, matchesFilter, matchingRows, prepareSearchInPieces, termsOf } from './search.js';

export { SORT_KEYS, type SortKey } from './order.js';
export { matchesFilter, prepareSearch, rowText } from './search.js';

export const SORT_LABELS: Record<SortKey, string> = {
  status: 'status',
  'last-seen': 'last rejection',
  hosts: 'hosts rejected',
  cell: 'cell',
  uuid: 'uuid',
};

export interface ListState {
  /** The selected instance; the cursor follows it while results stream in and re-sort. */
  selected: string | null;
  /**
   * Where `selected` was in the list when it was chosen: looked at first, so finding it again is one comparison
   * instead of a search of every row (two per key, 100k uuids each). -1: not known.
   */
  at: number;
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
  at: -1,
  offset: 0,
  sort: 'status',
  reversed: false,
  filter: '',
  editing: false,
  marked: new Set(),
};

export type Move = number | 'top' | 'bottom';

/** What the cursor needs of a listed row. */
export interface Listed {
  readonly uuid: string;
}

export type ListAction =
  | { type: 'move'; by: Move; visible: readonly Listed[]; height: number }
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

/**
 * Takes over what was derived from the table a newer one only replaced rows of (its sort orders, its search text)
 * where those rows did not change it. Call it when a table arrives, while the older one is still about.
 */
export function carryDerived(table: RowTable): void {
  carryOrders(table);
  carrySearch(table);
}

/** Rows of search text made per step (~4 ms, a text of ~350 KiB): a key pressed during one waits for that much at most. */
const SEARCH_PIECE_ROWS = 2_000;

/**
 * What the keys will want of a settled table, a step of a few ms each next(): its search text (`/`), then its
 * order under each sort key (`s`, `S`), so no key waits for them (at 100k rows: 200 ms, and up to 50 ms a key).
 * A key that wants one before it is made makes it at once, and the steps left of it then do nothing.
 */
export function* preparations(table: RowTable): Generator<void, void> {
  for (const piece of prepareSearchInPieces(table, SEARCH_PIECE_ROWS)) {
    piece();
    yield;
  }
  for (const key of SORT_KEYS) yield* orderSteps(table, key);
}

/** For a list sortInstances or filterInstances made from a table: the table, and each row's index in it. */
const fromTable = new WeakMap<readonly InstanceRow[], { table: RowTable; index: Int32Array }>();

/** Every instance in the list's order: the key's order, uuid breaking ties; reversed, the whole order turned. */
export function sortInstances<R extends InstanceRow>(
  views: RowTable | ReadonlyMap<string, R>,
  sort: SortKey,
  reversed: boolean,
): R[] {
  const table = views instanceof RowTable ? views : RowTable.of(views.values());
  const ordered = table.rows as readonly R[];
  const n = ordered.length;
  const natural = orderOf(table, sort);
  const index = reversed ? natural.slice().reverse() : natural;
  const rows: R[] = new Array(n);
  for (let j = 0; j < n; j++) rows[j] = ordered[index[j] as number] as R;
  fromTable.set(rows, { table, index });
  return rows;
}

/**
 * The rows of a sorted list (or of what a filter kept of it) that match the filter, order kept. A list that is
 * part of its table has only its own rows searched.
 */
export function filterInstances<R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] {
  const terms = termsOf(filter);
  if (terms.length === 0) return sorted;
  const from = fromTable.get(sorted);
  if (!from) return sorted.filter((v) => matchesFilter(v, filter));
  const { table, index } = from;
  const match = matchingRows(table, terms, index.length < table.size ? index : null);
  const out: R[] = [];
  const kept: number[] = [];
  for (let j = 0; j < sorted.length; j++) {
    const i = index[j] as number;
    if (match[i]) {
      out.push(sorted[j] as R);
      kept.push(i);
    }
  }
  fromTable.set(out, { table, index: Int32Array.from(kept) });
  return out;
}

/**
 * filterInstances, remembering its last answer: a filter typed on (the same sorted rows, the text only longer)
 * can only narrow (each term is an earlier one, one grown longer, or new), so the next keystroke searches the
 * rows the last one kept instead of every row.
 */
export function narrowingFilter(): <R extends InstanceRow>(sorted: readonly R[], filter: string) => readonly R[] {
  let last: { sorted: readonly InstanceRow[]; filter: string; result: readonly InstanceRow[] } | null = null;
  return <R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] => {
    if (last && last.sorted === sorted && last.filter === filter) return last.result as readonly R[];
    const narrows =
      last !== null &&
      last.sorted === sorted &&
      termsOf(last.filter).length > 0 &&
      filter.toLowerCase().startsWith(last.filter.toLowerCase());
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

/**
 * Where `uuid` is in the list: at `at` if it is still there (a move), else wherever it is (a re-sort, a filter);
 * -1 if gone. A list made from a table is searched by index (a binary search, then a typed array's indexOf) rather
 * than by comparing 100k uuids (15 ms).
 */
function indexOf(visible: readonly Listed[], uuid: string, at: number): number {
  if (at >= 0 && at < visible.length && (visible[at] as Listed).uuid === uuid) return at;
  const from = fromTable.get(visible as readonly InstanceRow[]);
  if (!from) return visible.findIndex((v) => v.uuid === uuid);
  const i = from.table.indexOf(uuid);
  return i < 0 ? -1 : from.index.indexOf(i);
}

/** Where the cursor is and which rows show, with the cursor always inside the window. `at`: where to look first. */
export function listWindow(
  visible: readonly Listed[],
  selected: string | null,
  offset: number,
  height: number,
  at = -1,
): { index: number; offset: number } {
  const total = visible.length;
  const found = selected === null ? -1 : indexOf(visible, selected, at);
  const index = Math.max(found, 0);
  const rows = Math.max(1, height);
  let start = Math.min(offset, Math.max(0, total - rows));
  if (index < start) start = index;
  if (index >= start + rows) start = index - rows + 1;
  return { index, offset: Math.max(0, start) };
}

function moved(state: ListState, by: Move, visible: readonly Listed[], height: number): ListState {
  if (visible.length === 0) return state;
  const here = listWindow(visible, state.selected, state.offset, height, state.at);
  let index: number;
  if (by === 'top') index = 0;
  else if (by === 'bottom') index = visible.length - 1;
  else index = Math.max(0, Math.min(visible.length - 1, here.index + by));
  const selected = visible[index]?.uuid ?? null;
  return { ...state, selected, at: index, offset: listWindow(visible, selected, here.offset, height, index).offset };
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
