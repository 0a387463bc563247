// The doctor's event stream folded into what the screens show. Pure: time comes in with the action.
import type { CellStatus } from '../db/types.js';
import type { DoctorConfig, DoctorEvent, InstanceRow, InstanceView } from '../doctor/types.js';
import type { ScanProgress, ScanReport } from '../logscan/types.js';
import { RowTable } from './rows.js';

export type Phase = 'starting' | 'scanning' | 'tracing' | 'ready' | 'failed';

export interface ScanMeter {
  progress: ScanProgress;
  /** When the scan began (ms). */
  startedAt: number;
  /** When the latest one arrived (ms). */
  updatedAt: number;
}

export interface ErrorNote {
  where: string;
  message: string;
  hint: string | null;
  at: number;
}

export interface SessionState {
  hasDb: boolean;
  /** When the session began (ms): the scan rate counts from here. */
  startedAt: number;
  phase: Phase;
  scan: ScanMeter | null;
  scanReport: ScanReport | null;
  cells: CellStatus[];
  /** What opening the databases noted (ignored URL parameters, the environment's URL used): the errors screen. */
  dbWarnings: readonly string[];
  trace: { done: number; total: number | null } | null;
  /** One row per listed instance (no rows read, diagnosis or plan: see `details`). */
  views: RowTable;
  /** Bumps whenever `views` changes, so derived lists can be memoised on it. */
  revision: number;
  /**
   * Instances read in full (DoctorApi.detail) for the screen that shows one: the few opened last, dropped when
   * a newer row of theirs arrives.
   */
  details: ReadonlyMap<string, InstanceView>;
  /**
   * How far the repair running now is: instances done of the total, and the last one done (one value, not one per
   * instance: a repair of the whole list reports 100k times).
   */
  applying: { done: number; total: number; last: string } | null;
  errors: ErrorNote[];
}

export type SessionAction =
  | { type: 'events'; events: readonly DoctorEvent[]; at: number }
  | { type: 'started'; views: readonly InstanceRow[]; at: number }
  /** Rows merged in without a change of phase (start()'s rows, settled before 'started' says ready). */
  | { type: 'rows'; views: readonly InstanceRow[] }
  | { type: 'detail'; view: InstanceView }
  | { type: 'start-failed'; message: string; at: number }
  | { type: 'failure'; where: string; message: string; hint: string | null; at: number }
  | { type: 'apply-finished'; uuids: readonly string[] };

/** Instances kept in full; older ones are read again when opened again. */
export const MAX_DETAILS = 4;

/** Errors kept for display; older ones scroll away. */
export const MAX_ERRORS = 50;

export function initialSession(config: Pick<DoctorConfig, 'db'>, at: number): SessionState {
  return {
    hasDb: config.db !== null,
    startedAt: at,
    phase: 'starting',
    scan: null,
    scanReport: null,
    cells: [],
    dbWarnings: [],
    trace: null,
    views: RowTable.empty,
    revision: 0,
    details: new Map(),
    applying: null,
    errors: [],
  };
}

function addError(errors: ErrorNote[], note: ErrorNote): ErrorNote[] {
  const next = [...errors, note];
  return next.length > MAX_ERRORS ? next.slice(next.length - MAX_ERRORS) : next;
}

/** A phase only moves forward while starting; once ready or failed, late events don't reopen it. */
function advance(phase: Phase, to: Phase): Phase {
  if (phase === 'ready' || phase === 'failed') return phase;
  return to;
}

function applyEvents(state: SessionState, events: readonly DoctorEvent[], at: number): SessionState {
  let next = state;
  const rows: InstanceRow[] = []; // merged into the table once per batch
  for (const event of events) {
    switch (event.type) {
      case 'scan-progress': {
        const startedAt = next.scan?.startedAt ?? next.startedAt;
        next = {
          ...next,
          phase: advance(next.phase, 'scanning'),
          scan: { progress: event.progress, startedAt, updatedAt: at },
        };
        break;
      }
      case 'scan-done':
        next = { ...next, scanReport: event.report, phase: advance(next.phase, next.hasDb ? 'tracing' : 'ready') };
        break;
      case 'cells':
        next = { ...next, cells: event.cells };
        break;
      case 'db-warnings':
        next = { ...next, dbWarnings: event.warnings };
        break;
      case 'trace-progress':
        next = { ...next, phase: advance(next.phase, 'tracing'), trace: { done: event.done, total: event.total } };
        break;
      case 'instance':
        rows.push(event.view);
        break;
      case 'apply-progress':
        next = { ...next, applying: { done: event.done, total: event.total, last: event.uuid } };
        break;
      case 'error':
        next = {
          ...next,
          errors: addError(next.errors, { where: event.where, message: event.message, hint: event.hint, at }),
        };
        break;
    }
  }
  if (rows.length > 0) next = withRows(next, rows);
  return next;
}

/** The rows merged in; a full view read before a newer row of its instance is dropped (it is out of date). */
function withRows(state: SessionState, rows: readonly InstanceRow[]): SessionState {
  const views = state.views.with(rows);
  if (views === state.views) return state;
  let details = state.details;
  for (const row of rows) {
    if (details.has(row.uuid) && details.get(row.uuid) !== row) {
      if (details === state.details) details = new Map(details);
      (details as Map<string, InstanceView>).delete(row.uuid);
    }
  }
  return { ...state, views, details, revision: state.revision + 1 };
}

export function sessionReducer(state: SessionState, action: SessionAction): SessionState {
  switch (action.type) {
    case 'events':
      return action.events.length === 0 ? state : applyEvents(state, action.events, action.at);
    case 'started':
      return { ...withRows(state, action.views), phase: 'ready' };
    case 'rows':
      return withRows(state, action.views);
    case 'detail': {
      const { view } = action;
      const details = new Map(state.details);
      details.delete(view.uuid);
      details.set(view.uuid, view);
      for (const uuid of details.keys()) if (details.size > MAX_DETAILS) details.delete(uuid);
      // Its row as read now: the list shows the same as the detail.
      const { snapshot: _s, diagnosis: _d, plan: _p, ...row } = view;
      const next = withRows(state, [row]);
      return { ...next, details };
    }
    case 'start-failed':
      return {
        ...state,
        phase: 'failed',
        errors: addError(state.errors, { where: 'start', message: action.message, hint: null, at: action.at }),
      };
    case 'failure':
      return {
        ...state,
        errors: addError(state.errors, {
          where: action.where,
          message: action.message,
          hint: action.hint,
          at: action.at,
        }),
      };
    case 'apply-finished':
      return state.applying === null ? state : { ...state, applying: null };
  }
}

export interface ScanFigures {
  file: string;
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number | null;
  /** 0..1, null when the total is unknown (stdin, .gz). */
  fraction: number | null;
  bytesPerSecond: number | null;
  etaSeconds: number | null;
}

export function scanFigures(meter: ScanMeter): ScanFigures {
  const { progress } = meter;
  const elapsed = (meter.updatedAt - meter.startedAt) / 1000;
  const rate = elapsed > 0 ? progress.bytesDone / elapsed : null;
  const total = progress.bytesTotal;
  const fraction = total === null || total === 0 ? null : Math.min(1, progress.bytesDone / total);
  const eta = total !== null && rate !== null && rate > 0 ? Math.max(0, total - progress.bytesDone) / rate : null;
  return {
    file: progress.file,
    filesDone: progress.filesDone,
    filesTotal: progress.filesTotal,
    bytesDone: progress.bytesDone,
    bytesTotal: total,
    fraction,
    bytesPerSecond: rate,
    etaSeconds: eta,
  };
}

function countStatuses(views: { values(): Iterable<InstanceRow> }): Map<string, number> {
  const counts = new Map<string, number>();
  for (const view of views.values()) counts.set(view.status, (counts.get(view.status) ?? 0) + 1);
  return counts;
}

const tableCounts = new WeakMap<RowTable, ReadonlyMap<string, number>>();

/**
 * How many instances there are of each status, for the header. A table that only replaced rows of a counted one
 * (an instance opened, a repair) is counted from it, by those rows: not all 100k again (~20 ms).
 */
export function statusCounts(views: { values(): Iterable<InstanceRow> }): ReadonlyMap<string, number> {
  if (!(views instanceof RowTable)) return countStatuses(views);
  let counts = tableCounts.get(views);
  if (counts) return counts;
  const from = views.replacementOf();
  const before = from && tableCounts.get(from.table);
  if (from && before) {
    const next = new Map(before);
    for (const i of from.replaced) {
      const was = (from.table.rows[i] as InstanceRow).status;
      const left = (next.get(was) ?? 0) - 1;
      if (left > 0) next.set(was, left);
      else next.delete(was);
      const now = (views.rows[i] as InstanceRow).status;
      next.set(now, (next.get(now) ?? 0) + 1);
    }
    counts = next;
  } else counts = countStatuses(views);
  tableCounts.set(views, counts);
  return counts;
}
