import { describe, expect, it } from 'vitest';
import type { InstanceView } from '../../src/doctor/types.js';
import {
  filterInstances,
  initialList,
  type ListState,
  listReducer,
  listWindow,
  matchesFilter,
  narrowingFilter,
  sortInstances,
  visibleInstances,
} from '../../src/tui/list.js';
import { RowTable } from '../../src/tui/rows.js';
import { incident, staleView, timeOf, withStatus } from './data.js';

function mapOf(views: InstanceView[]): Map<string, InstanceView> {
  return new Map(views.map((v) => [v.uuid, v]));
}

const views = mapOf([
  withStatus(staleView(1), 'ok'),
  staleView(2, { cellName: 'cell2' }),
  withStatus(staleView(3), 'half-fixed'),
  staleView(4, { incident: { ...incident('x', 4, ['kvm-compute7']), lastSeen: timeOf(30) } }),
  withStatus(staleView(5, { incident: null }), 'repaired'),
]);

const names = (rows: readonly InstanceView[]) => rows.map((v) => v.displayName);

describe('sorting', () => {
  it('puts the worst status first, uuid breaking ties', () => {
    expect(names(visibleInstances(views, 'status', false, ''))).toEqual([
      'web-002',
      'web-004',
      'web-003',
      'web-001',
      'web-005',
    ]);
  });

  it('sorts by last rejection, newest first, instances without one last', () => {
    expect(names(visibleInstances(views, 'last-seen', false, ''))).toEqual([
      'web-004',
      'web-003',
      'web-002',
      'web-001',
      'web-005',
    ]);
  });

  it('sorts by hosts rejected, most first', () => {
    expect(names(visibleInstances(views, 'hosts', false, '')).slice(0, 3)).toEqual(['web-001', 'web-002', 'web-003']);
    expect(names(visibleInstances(views, 'hosts', false, '')).slice(-2)).toEqual(['web-004', 'web-005']);
  });

  it('reverses any order', () => {
    const forward = names(visibleInstances(views, 'status', false, ''));
    expect(names(visibleInstances(views, 'status', true, ''))).toEqual([...forward].reverse());
  });

  it('cycles the sort key and resets the direction', () => {
    let s: ListState = { ...initialList, reversed: true };
    s = listReducer(s, { type: 'sort-next' });
    expect(s).toMatchObject({ sort: 'last-seen', reversed: false });
    for (let i = 0; i < 4; i += 1) s = listReducer(s, { type: 'sort-next' });
    expect(s.sort).toBe('status');
  });
});

describe('filtering', () => {
  it('matches uuid, name, cell, status, host and request id, case-insensitively', () => {
    const v = staleView(4, { cellName: 'Cell-East' });
    for (const term of [
      '0000-4000-8000-000000000004',
      'WEB-004',
      'cell-east',
      'stale',
      'kvm-compute2',
      'req-11111111',
      'img_hv_type=xen',
    ]) {
      expect(matchesFilter(v, term), term).toBe(true);
    }
    expect(matchesFilter(v, 'compute9')).toBe(false);
  });

  it('needs every space-separated term', () => {
    const v = staleView(4);
    expect(matchesFilter(v, 'stale web-004')).toBe(true);
    expect(matchesFilter(v, 'stale web-005')).toBe(false);
  });

  it('filters the visible rows', () => {
    expect(names(visibleInstances(views, 'status', false, 'cell2'))).toEqual(['web-002']);
  });

  it('edits, keeps and clears the filter text', () => {
    let s = listReducer(initialList, { type: 'filter-start' });
    s = listReducer(s, { type: 'filter-input', text: 'xen' });
    s = listReducer(s, { type: 'filter-input', text: '!' });
    s = listReducer(s, { type: 'filter-erase' });
    expect(s).toMatchObject({ filter: 'xen', editing: true });
    s = listReducer(s, { type: 'filter-keep' });
    expect(s).toMatchObject({ filter: 'xen', editing: false });
    s = listReducer(s, { type: 'filter-clear' });
    expect(s).toMatchObject({ filter: '', editing: false });
  });
});

describe('cursor and window', () => {
  const uuids = Array.from({ length: 100 }, (_, i) => ({ uuid: `u${String(i).padStart(3, '0')}` }));

  it('follows the selected uuid and keeps it inside the window', () => {
    expect(listWindow(uuids, null, 0, 10)).toEqual({ index: 0, offset: 0 });
    expect(listWindow(uuids, 'u050', 0, 10)).toEqual({ index: 50, offset: 41 });
    expect(listWindow(uuids, 'u050', 45, 10)).toEqual({ index: 50, offset: 45 });
    expect(listWindow(uuids, 'u050', 60, 10)).toEqual({ index: 50, offset: 50 });
    // Selection filtered away: back to the top.
    expect(listWindow(uuids, 'gone', 30, 10).index).toBe(0);
  });

  it('never leaves blank rows at the bottom when the list shrinks', () => {
    expect(listWindow(uuids.slice(0, 12), 'u000', 8, 10)).toEqual({ index: 0, offset: 0 });
    expect(listWindow(uuids.slice(0, 12), 'u011', 8, 10)).toEqual({ index: 11, offset: 2 });
  });

  it('moves by rows, pages, top and bottom, clamped', () => {
    let s = listReducer(initialList, { type: 'move', by: 1, visible: uuids, height: 10 });
    expect(s.selected).toBe('u001');
    s = listReducer(s, { type: 'move', by: -5, visible: uuids, height: 10 });
    expect(s.selected).toBe('u000');
    s = listReducer(s, { type: 'move', by: 'bottom', visible: uuids, height: 10 });
    expect(s).toMatchObject({ selected: 'u099', offset: 90 });
    s = listReducer(s, { type: 'move', by: 9, visible: uuids, height: 10 });
    expect(s.selected).toBe('u099');
    s = listReducer(s, { type: 'move', by: 'top', visible: uuids, height: 10 });
    expect(s).toMatchObject({ selected: 'u000', offset: 0 });
    expect(listReducer(s, { type: 'move', by: 1, visible: [], height: 10 })).toBe(s);
  });
});

describe('marks', () => {
  it('toggles one, marks all listed, and clears them when all were marked', () => {
    let s = listReducer(initialList, { type: 'toggle-mark', uuid: 'a' });
    expect([...s.marked]).toEqual(['a']);
    s = listReducer(s, { type: 'toggle-mark', uuid: 'a' });
    expect(s.marked.size).toBe(0);
    s = listReducer(s, { type: 'toggle-mark', uuid: 'b' });
    s = listReducer(s, { type: 'mark-all', uuids: ['a', 'b', 'c'] });
    expect([...s.marked].sort()).toEqual(['a', 'b', 'c']);
    s = listReducer(s, { type: 'mark-all', uuids: ['a', 'b', 'c'] });
    expect(s.marked.size).toBe(0);
    s = listReducer(s, { type: 'mark-all', uuids: ['a', 'b'] });
    s = listReducer(s, { type: 'unmark', uuids: ['a'] });
    expect([...s.marked]).toEqual(['b']);
  });
});

describe('sorting apart from filtering', () => {
  it('filters a sorted list without re-sorting it, and hands back the same array when there is no filter', () => {
    const sorted = sortInstances(views, 'status', false);
    expect(filterInstances(sorted, '  ')).toBe(sorted);
    expect(names(filterInstances(sorted, 'cell1'))).toEqual(names(sorted).filter((n) => n !== 'web-002'));
  });
});

describe('filtering a table through its packed text', () => {
  // The search over a RowTable (one text, indexOf) must keep exactly the rows the per-row test keeps.
  const many = Array.from({ length: 300 }, (_, k) => {
    const i = k + 1;
    const v = staleView(i, {
      cellName: `Cell${i % 4}`,
      displayName: i % 7 === 0 ? null : `Web-${i % 13}-Ab`,
      incident: i % 5 === 0 ? incident('x', i, [`kvm-compute${i % 3}`]) : null,
    });
    return i % 3 === 0 ? withStatus(v, 'ok') : v;
  });
  const table = RowTable.of(many);

  it.each([
    'a',
    'ab',
    'web-1',
    'cell2',
    'CELL2 ab',
    'ok',
    'stale cell3',
    'kvm-compute2',
    'img_hv_type=xen',
    'req-',
    '0000',
    'nothing-like-this',
    '-ab\ncell1',
    'b web',
  ])('%j', (filter) => {
    for (const [sort, reversed] of [
      ['status', false],
      ['cell', true],
      ['uuid', false],
    ] as const) {
      const sorted = sortInstances(table, sort, reversed);
      const expected = sorted.filter((v) => matchesFilter(v, filter));
      expect(filterInstances(sorted, filter).map((v) => v.uuid)).toEqual(expected.map((v) => v.uuid));
      const narrowing = narrowingFilter();
      for (let n = 1; n <= filter.length; n++) narrowing(sorted, filter.slice(0, n));
      expect(narrowing(sorted, filter).map((v) => v.uuid)).toEqual(expected.map((v) => v.uuid));
    }
    if (filter === 'a') expect(filterInstances(sortInstances(table, 'uuid', false), filter).length).toBeGreaterThan(0);
  });
});
