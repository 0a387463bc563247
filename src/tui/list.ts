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

const haystacks = new WeakMap<InstanceRow, string>();

/** Everything `/` matches against, lower-cased, built once per row object (rows warm it as they arrive). */
export function haystack(view: InstanceRow): string {
  let text = haystacks.get(view);
  if (text === undefined) {
    const parts: string[] = [view.uuid, view.status, view.displayName ?? '', view.cellName ?? ''];
    const incident = view.incident;
    if (incident) {
      parts.push(...incident.requestIds, ...incident.hostsRejected);
      for (const m of incident.mismatches) parts.push(`${m.property}=${m.value}`);
    }
    text = parts.join('\n').toLowerCase();
    haystacks.set(view, text);
  }
  return text;
}

function termsOf(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Every space-separated term must appear somewhere in the instance's fields. */
export function matchesFilter(view: InstanceRow, filter: string): boolean {
  const terms = termsOf(filter);
  const text = haystack(view);
  return terms.every((t) => text.includes(t));
}

/** Every instance in the list's order: the key's order, uuid breaking ties; reversed, the whole order turned. */
export function sortInstances<R extends InstanceRow>(
  views: RowTable | ReadonlyMap<string, R>,
  sort: SortKey,
  reversed: boolean,
): R[] {
  const ordered = (
    views instanceof RowTable ? views.rows : [...views.values()].sort((a, b) => byText(a.uuid, b.uuid))
  ) as readonly R[];
  const buckets = bucketsOf(sort);
  let rows: R[];
  if (!buckets) rows = [...ordered];
  else {
    const groups = new Map<string | number, R[]>();
    for (const row of ordered) {
      const k = buckets.key(row);
      const group = groups.get(k);
      if (group) group.push(row);
      else groups.set(k, [row]);
    }
    rows = new Array(ordered.length);
    let i = 0;
    for (const k of [...groups.keys()].sort(buckets.order)) for (const row of groups.get(k) as R[]) rows[i++] = row;
  }
  return reversed ? rows.reverse() : rows;
}

/** The sorted rows that match the filter, order kept. */
export function filterInstances<R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] {
  const terms = termsOf(filter);
  if (terms.length === 0) return sorted;
  return sorted.filter((v) => {
    const text = haystack(v);
    return terms.every((t) => text.includes(t));
  });
}

/**
 * filterInstances, remembering its last answer: a filter typed on (the same sorted rows, the text only longer)
 * can only narrow, so the next keystroke searches the rows the last one kept instead of every row.
 */
export function narrowingFilter(): <R extends InstanceRow>(sorted: readonly R[], filter: string) => readonly R[] {
  let last: { sorted: readonly InstanceRow[]; filter: string; result: readonly InstanceRow[] } | null = null;
  return <R extends InstanceRow>(sorted: readonly R[], filter: string): readonly R[] => {
    if (last && last.sorted === sorted && last.filter === filter) return last.result as readonly R[];
    const narrows =
      last !== null && last.sorted === sorted && termsOf(last.filter).length > 0 && filter.startsWith(last.filter);
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
