// The doctor's event stream folded into what the screens show. Pure: time comes in with the action.
import type { CellStatus } from '../db/types.js';
import type { DoctorConfig, DoctorEvent, InstanceView } from '../doctor/types.js';
import type { ScanProgress, ScanReport } from '../logscan/types.js';

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
  trace: { done: number; total: number | null } | null;
  views: ReadonlyMap<string, InstanceView>;
  /** Bumps whenever `views` changes, so derived lists can be memoised on it. */
  revision: number;
  /** Instances being repaired or restored right now, with the doctor's per-instance progress. */
  applying: Readonly<Record<string, { done: number; total: number }>>;
  errors: ErrorNote[];
}

export type SessionAction =
  | { type: 'events'; events: readonly DoctorEvent[]; at: number }
  | { type: 'started'; views: readonly InstanceView[]; at: number }
  | { type: 'start-failed'; message: string; at: number }
  | { type: 'failure'; where: string; message: string; hint: string | null; at: number }
  | { type: 'apply-finished'; uuids: readonly string[] };

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
    trace: null,
    views: new Map(),
    revision: 0,
    applying: {},
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
  let views: Map<string, InstanceView> | null = null; // copied once per batch, on the first instance event
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
      case 'trace-progress':
        next = { ...next, phase: advance(next.phase, 'tracing'), trace: { done: event.done, total: event.total } };
        break;
      case 'instance':
        views ??= new Map(next.views);
        views.set(event.view.uuid, event.view);
        break;
      case 'apply-progress':
        next = { ...next, applying: { ...next.applying, [event.uuid]: { done: event.done, total: event.total } } };
        break;
      case 'error':
        next = {
          ...next,
          errors: addError(next.errors, { where: event.where, message: event.message, hint: event.hint, at }),
        };
        break;
    }
  }
  if (views) next = { ...next, views, revision: next.revision + 1 };
  return next;
}

export function sessionReducer(state: SessionState, action: SessionAction): SessionState {
  switch (action.type) {
    case 'events':
      return action.events.length === 0 ? state : applyEvents(state, action.events, action.at);
    case 'started': {
      const views = new Map(state.views);
      for (const view of action.views) views.set(view.uuid, view);
      return { ...state, phase: 'ready', views, revision: state.revision + 1 };
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
    case 'apply-finished': {
      const applying = { ...state.applying };
      for (const uuid of action.uuids) delete applying[uuid];
      return { ...state, applying };
    }
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

/** How many instances there are of each status, for the header. */
export function statusCounts(views: ReadonlyMap<string, InstanceView>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const view of views.values()) counts.set(view.status, (counts.get(view.status) ?? 0) + 1);
  return counts;
}
