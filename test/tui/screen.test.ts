import { describe, expect, it } from 'vitest';
import { applyRequest, undoRequest, writesSummary } from '../../src/tui/confirm.js';
import { type ConfirmRequest, confirmAccepted, initialUi, type UiState, uiReducer } from '../../src/tui/screen.js';
import { staleView, withStatus } from './data.js';

const request: ConfirmRequest = { action: 'apply', uuids: ['a', 'b', 'c'], phrase: 'apply 3', summary: [] };

function confirmWith(typed: string): UiState {
  let s = uiReducer(initialUi, { type: 'confirm', request });
  s = uiReducer(s, { type: 'confirm-input', text: typed });
  return s;
}

describe('screen state machine', () => {
  it('q backs out: detail → list', () => {
    let s = uiReducer(initialUi, { type: 'open', uuid: 'a' });
    expect(s.screen).toEqual({ name: 'detail', uuid: 'a', pane: 'evidence', scroll: 0 });
    s = uiReducer(s, { type: 'back' });
    expect(s.screen).toEqual({ name: 'list' });
    expect(uiReducer(s, { type: 'back' })).toBe(s);
  });

  it('cycles panes both ways and resets the scroll', () => {
    let s = uiReducer(initialUi, { type: 'open', uuid: 'a' });
    s = uiReducer(s, { type: 'scroll', by: 5, max: 10 });
    s = uiReducer(s, { type: 'pane', step: 1 });
    expect(s.screen).toMatchObject({ pane: 'stale', scroll: 0 });
    s = uiReducer(s, { type: 'pane', step: -1 });
    s = uiReducer(s, { type: 'pane', step: -1 });
    expect(s.screen).toMatchObject({ pane: 'plan' });
  });

  it('clamps scrolling to what there is', () => {
    let s = uiReducer(initialUi, { type: 'open', uuid: 'a' });
    s = uiReducer(s, { type: 'scroll', by: 50, max: 7 });
    expect(s.screen).toMatchObject({ scroll: 7 });
    s = uiReducer(s, { type: 'scroll', by: 'top', max: 7 });
    expect(s.screen).toMatchObject({ scroll: 0 });
    s = uiReducer(s, { type: 'scroll', by: -3, max: 7 });
    expect(s.screen).toMatchObject({ scroll: 0 });
  });

  it('accepts only the exact phrase; anything else is rejected and runs nothing', () => {
    expect(confirmAccepted(' apply 3 ', 'apply 3')).toBe(true);
    for (const wrong of ['apply', 'apply 2', 'Apply 3', 'apply  3', 'yes', '']) {
      expect(confirmAccepted(wrong, 'apply 3')).toBe(false);
      const s = uiReducer(confirmWith(wrong), { type: 'confirm-submit' });
      expect(s.overlay).toMatchObject({ kind: 'confirm', rejected: true });
      expect(s.runs).toBe(0);
    }
  });

  it('starts a run with a fresh id on the right phrase', () => {
    const s = uiReducer(confirmWith('apply 3'), { type: 'confirm-submit' });
    expect(s.overlay).toEqual({ kind: 'running', request, id: 1 });
    expect(uiReducer(s, { type: 'back' })).toBe(s); // a run cannot be backed out of
  });

  it('erases typed text and Esc closes the confirmation', () => {
    let s = confirmWith('apply 34');
    s = uiReducer(s, { type: 'confirm-erase' });
    expect(s.overlay).toMatchObject({ typed: 'apply 3' });
    s = uiReducer(s, { type: 'back' });
    expect(s.overlay).toEqual({ kind: 'none' });
  });

  it('remembers the journal of a repair that changed something, and forgets it once undone', () => {
    let s = uiReducer(initialUi, {
      type: 'run-done',
      report: {
        action: 'apply',
        requested: 2,
        journalPath: '/tmp/j.jsonl',
        undoCommand: 'nova-doctor undo --config /etc/nova/nova.conf --journal /tmp/j.jsonl --apply',
        results: [
          { uuid: 'a', status: 'repaired', reason: null },
          { uuid: 'b', status: 'conflict', reason: 'row changed' },
        ],
        errors: [],
      },
    });
    expect(s.lastJournal).toEqual({ path: '/tmp/j.jsonl', uuids: ['a'] });
    expect(s.overlay.kind).toBe('result');
    // An undo that restored nothing (the doctor failed) leaves the journal to try again.
    s = uiReducer(s, {
      type: 'run-done',
      report: { action: 'undo', requested: 1, journalPath: '/tmp/j.jsonl', results: [], errors: [] },
    });
    expect(s.lastJournal).toEqual({ path: '/tmp/j.jsonl', uuids: ['a'] });
    s = uiReducer(s, {
      type: 'run-done',
      report: {
        action: 'undo',
        requested: 1,
        journalPath: '/tmp/j.jsonl',
        results: [{ uuid: 'a', status: 'restored', reason: null, restored: [], conflicts: [] }],
        errors: [],
      },
    });
    expect(s.lastJournal).toBeNull();
  });
});

describe('confirmation requests', () => {
  const views = new Map(
    [staleView(1), staleView(2), withStatus(staleView(3, { plan: null }), 'ok')].map((v) => [v.uuid, v]),
  );
  const uuids = [...views.keys()];

  it('names how many instances, which cells and which tables, with the phrase to type', () => {
    const r = applyRequest(uuids, views);
    if (!('request' in r)) throw new Error(r.notice);
    expect(r.request.phrase).toBe('apply 2');
    expect(r.request.uuids).toEqual(uuids.slice(0, 2));
    const text = r.request.summary.join('\n');
    expect(text).toContain('Repair 2 instances (cell: cell1):');
    expect(text).toContain('nova_api: request_specs (2 rows)');
    expect(text).toContain('cell cell1: instance_system_metadata (2 rows), instances (2 rows)');
    expect(text).toContain('1 chosen instance without a planned repair will be left alone');
  });

  it('gives a notice instead when nothing chosen has a plan', () => {
    const r = applyRequest([uuids[2] ?? ''], views);
    expect(r).toEqual({ notice: `nothing to repair for ${uuids[2]}: no plan (not traced)` });
  });

  it('counts the spec row once whether or not the plan lists it as a row change', () => {
    const v = staleView(1);
    const plan = v.plan ?? fail();
    const withSpecRow = {
      ...v,
      plan: {
        ...plan,
        rowChanges: [
          ...plan.rowChanges,
          {
            database: 'api' as const,
            table: 'request_specs' as const,
            rowId: 1,
            column: 'spec',
            action: 'update' as const,
            oldValue: 'a',
            newValue: 'b',
          },
        ],
      },
    };
    expect(writesSummary([withSpecRow])[1]).toBe('nova_api: request_specs (1 row)');
  });

  it('undo needs a journal from this session', () => {
    expect(undoRequest(null)).toMatchObject({ notice: expect.stringContaining('nova-doctor undo --journal') });
    const r = undoRequest({ path: '/tmp/j.jsonl', uuids: ['a', 'b'] });
    expect(r).toMatchObject({ request: { action: 'undo', phrase: 'undo 2', journalPath: '/tmp/j.jsonl' } });
  });
});

function fail(): never {
  throw new Error('missing fixture part');
}
