import { describe, expect, it } from 'vitest';
import type { DoctorEvent, InstanceView } from '../../src/doctor/types.js';
import type { ScanReport } from '../../src/logscan/types.js';
import {
  initialSession,
  MAX_ERRORS,
  type SessionState,
  scanFigures,
  sessionReducer,
  statusCounts,
} from '../../src/tui/state.js';
import { config, staleView, withStatus } from './data.js';

const T0 = 1_000_000;

function fold(state: SessionState, events: DoctorEvent[], at: number): SessionState {
  return sessionReducer(state, { type: 'events', events, at });
}

const report: ScanReport = {
  instances: [],
  unattributed: [],
  noValidHost: [],
  warnings: [],
  files: [{ file: '/var/log/nova/nova-scheduler.log', bytes: 2_000_000, lines: 9000 }],
};

describe('session reducer', () => {
  it('starts in starting, with or without a database', () => {
    expect(initialSession(config(), T0)).toMatchObject({ phase: 'starting', hasDb: true, revision: 0 });
    expect(initialSession(config({ db: null }), T0).hasDb).toBe(false);
  });

  it('walks scanning → tracing → ready for a session with a database', () => {
    let s = initialSession(config(), T0);
    const progress = { file: 'a.log', filesDone: 0, filesTotal: 1, bytesDone: 10, bytesTotal: 100 };
    s = fold(s, [{ type: 'scan-progress', progress }], T0 + 100);
    expect(s.phase).toBe('scanning');
    s = fold(s, [{ type: 'scan-done', report }], T0 + 200);
    expect(s.phase).toBe('tracing');
    expect(s.scanReport).toBe(report);
    s = fold(s, [{ type: 'trace-progress', done: 3, total: 10 }], T0 + 300);
    expect(s.trace).toEqual({ done: 3, total: 10 });
    s = sessionReducer(s, { type: 'started', views: [staleView(1)], at: T0 + 400 });
    expect(s.phase).toBe('ready');
    expect(s.views.size).toBe(1);
    // A late progress event does not reopen a finished session.
    s = fold(s, [{ type: 'trace-progress', done: 10, total: 10 }], T0 + 500);
    expect(s.phase).toBe('ready');
  });

  it("merges start()'s rows without a change of phase, then 'started' with none keeps that table", () => {
    let s = fold(initialSession(config(), T0), [{ type: 'trace-progress', done: 1, total: 2 }], T0 + 1);
    s = sessionReducer(s, { type: 'rows', views: [staleView(1), staleView(2)] });
    expect(s.phase).toBe('tracing');
    expect([...s.views.keys()]).toEqual([staleView(1).uuid, staleView(2).uuid].sort());
    const table = s.views;
    s = sessionReducer(s, { type: 'started', views: [], at: T0 + 2 });
    expect(s.phase).toBe('ready');
    expect(s.views).toBe(table); // what was settled is what is shown
  });

  it('is ready after the scan when there is no database to trace', () => {
    const s = fold(initialSession(config({ db: null }), T0), [{ type: 'scan-done', report }], T0 + 1);
    expect(s.phase).toBe('ready');
  });

  it('adds and replaces instances by uuid, bumping the revision once per batch', () => {
    let s = initialSession(config(), T0);
    const a = staleView(1);
    const b = staleView(2);
    s = fold(
      s,
      [
        { type: 'instance', view: a },
        { type: 'instance', view: b },
      ],
      T0,
    );
    expect(s.revision).toBe(1);
    expect([...s.views.keys()]).toEqual([a.uuid, b.uuid]);
    const before = s.views;
    s = fold(s, [{ type: 'instance', view: withStatus(a, 'repaired') }], T0);
    expect(s.revision).toBe(2);
    expect(s.views.get(a.uuid)?.status).toBe('repaired');
    expect(before.get(a.uuid)?.status).toBe('stale'); // the old map is untouched
    expect(fold(s, [], T0)).toBe(s);
  });

  it('keeps errors in place, newest last, and only the latest MAX_ERRORS', () => {
    let s = initialSession(config(), T0);
    const errors: DoctorEvent[] = Array.from({ length: MAX_ERRORS + 5 }, (_, i) => ({
      type: 'error',
      where: `cell${i}`,
      message: 'cannot connect',
      hint: 'check [database] connection',
    }));
    s = fold(s, errors, T0);
    expect(s.errors).toHaveLength(MAX_ERRORS);
    expect(s.errors.at(-1)?.where).toBe(`cell${MAX_ERRORS + 4}`);
    s = sessionReducer(s, { type: 'start-failed', message: 'boom', at: T0 });
    expect(s.phase).toBe('failed');
    expect(s.errors.at(-1)).toMatchObject({ where: 'start', message: 'boom' });
  });

  it("tracks a run's progress, as one value whatever its size, until the run finishes", () => {
    let s = initialSession(config(), T0);
    s = fold(s, [{ type: 'apply-progress', uuid: 'u1', done: 1, total: 3 }], T0);
    expect(s.applying).toEqual({ done: 1, total: 3, last: 'u1' });
    s = fold(
      s,
      [
        { type: 'apply-progress', uuid: 'u2', done: 2, total: 3 },
        { type: 'apply-progress', uuid: 'u3', done: 3, total: 3 },
      ],
      T0,
    );
    expect(s.applying).toEqual({ done: 3, total: 3, last: 'u3' });
    s = sessionReducer(s, { type: 'apply-finished', uuids: ['u1', 'u2', 'u3'] });
    expect(s.applying).toBeNull();
  });

  it('counts instances per status', () => {
    let s = initialSession(config(), T0);
    s = fold(
      s,
      [staleView(1), staleView(2), withStatus(staleView(3), 'ok')].map((view) => ({ type: 'instance' as const, view })),
      T0,
    );
    expect(Object.fromEntries(statusCounts(s.views))).toEqual({ stale: 2, ok: 1 });
  });

  it('counts a table that replaced rows from the one before, the same as counting it afresh', () => {
    const statuses = ['stale', 'ok', 'repaired', 'half-fixed'] as const;
    let s = initialSession(config(), T0);
    const views = Array.from({ length: 40 }, (_, i) => withStatus(staleView(i + 1), statuses[i % 2] ?? 'stale'));
    s = fold(
      s,
      views.map((view) => ({ type: 'instance' as const, view })),
      T0,
    );
    statusCounts(s.views);
    for (let round = 0; round < 30; round++) {
      // Repairs and re-reads: some rows change status (to one no other row has, or away from the last of one).
      const changed = [round % 40, (round * 7) % 40].map((i) =>
        withStatus(s.views.rows[i] as InstanceView, statuses[(round + i) % statuses.length] ?? 'ok'),
      );
      s = fold(
        s,
        changed.map((view) => ({ type: 'instance' as const, view })),
        T0,
      );
      expect(s.views.replacementOf()).not.toBeNull();
      const fresh = new Map<string, number>();
      for (const v of s.views.rows) fresh.set(v.status, (fresh.get(v.status) ?? 0) + 1);
      expect(Object.fromEntries(statusCounts(s.views))).toEqual(Object.fromEntries(fresh));
    }
  });
});

describe('scan figures', () => {
  it('computes rate and ETA from the session start', () => {
    let s = initialSession(config(), T0);
    const progress = { file: 'a.log', filesDone: 1, filesTotal: 3, bytesDone: 50_000_000, bytesTotal: 200_000_000 };
    s = fold(s, [{ type: 'scan-progress', progress }], T0 + 2000);
    const f = scanFigures(s.scan ?? fail());
    expect(f.bytesPerSecond).toBe(25_000_000);
    expect(f.etaSeconds).toBe(6);
    expect(f.fraction).toBe(0.25);
    expect(f.filesDone).toBe(1);
  });

  it('has no ETA when the total is unknown (stdin, .gz)', () => {
    let s = initialSession(config(), T0);
    const progress = { file: '-', filesDone: 0, filesTotal: 1, bytesDone: 1000, bytesTotal: null };
    s = fold(s, [{ type: 'scan-progress', progress }], T0 + 1000);
    const f = scanFigures(s.scan ?? fail());
    expect(f.fraction).toBeNull();
    expect(f.etaSeconds).toBeNull();
    expect(f.bytesPerSecond).toBe(1000);
  });
});

function fail(): never {
  throw new Error('expected a scan meter');
}
