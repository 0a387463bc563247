// Starts a confirmed repair or undo exactly once (keyed by the run's id) and reports how it ended,
// with the errors the doctor reported while it ran (it reports some as events, not as a rejection).
import { useEffect } from 'react';
import type { DoctorApi } from '../../doctor/types.js';
import type { Overlay, RunNote, UiAction } from '../screen.js';
import type { SessionAction, SessionState } from '../state.js';
import { errorMessage } from './useDoctorSession.js';

export interface RunnerDeps {
  api: DoctorApi;
  dispatchUi: (action: UiAction) => void;
  dispatchSession: (action: SessionAction) => void;
  getSession: () => SessionState;
  /** Applies the doctor's queued events now. */
  flushEvents: () => void;
}

export function useRunner(overlay: Overlay, deps: RunnerDeps): void {
  const run = overlay.kind === 'running' ? overlay : null;
  const id = run?.id ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one call per run id, never per re-render
  useEffect(() => {
    if (!run) return;
    const { api, dispatchUi, dispatchSession, getSession, flushEvents } = deps;
    const { request } = run;
    const started = Date.now();
    let live = true;
    /** Settles the session and returns the errors reported since the run started. */
    const settle = (thrown: unknown): RunNote[] => {
      // The doctor's last progress and instance events for this run are still queued: apply them
      // first, or a late 'apply-progress' would mark an instance as applying forever.
      flushEvents();
      if (thrown !== undefined) {
        dispatchSession({
          type: 'failure',
          where: request.action,
          message: errorMessage(thrown),
          hint: null,
          at: Date.now(),
        });
      }
      dispatchSession({ type: 'apply-finished', uuids: request.uuids });
      return getSession()
        .errors.filter((e) => e.at >= started)
        .map(({ where, message, hint }) => ({ where, message, hint }));
    };
    const requested = request.uuids.length;
    if (request.action === 'apply') {
      api.repair(request.uuids, { apply: true }).then(
        (outcome) => {
          const errors = settle(undefined);
          if (live) dispatchUi({ type: 'run-done', report: { action: 'apply', requested, ...outcome, errors } });
        },
        (error: unknown) => {
          const errors = settle(error);
          if (live) {
            dispatchUi({
              type: 'run-done',
              report: { action: 'apply', requested, journalPath: null, undoCommand: null, results: [], errors },
            });
          }
        },
      );
    } else {
      const { journalPath } = request;
      api.undo(journalPath, { apply: true }).then(
        (results) => {
          const errors = settle(undefined);
          if (live)
            dispatchUi({ type: 'run-done', report: { action: 'undo', requested, journalPath, results, errors } });
        },
        (error: unknown) => {
          const errors = settle(error);
          if (live)
            dispatchUi({ type: 'run-done', report: { action: 'undo', requested, journalPath, results: [], errors } });
        },
      );
    }
    return () => {
      live = false;
    };
  }, [id]);
}
