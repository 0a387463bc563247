// Starts a confirmed repair or undo exactly once (keyed by the run's id) and reports how it ended.
import { useEffect } from 'react';
import type { DoctorApi } from '../../doctor/types.js';
import type { Overlay, UiAction } from '../screen.js';
import type { SessionAction } from '../state.js';
import { errorMessage } from './useDoctorSession.js';

export function useRunner(
  api: DoctorApi,
  overlay: Overlay,
  dispatchUi: (action: UiAction) => void,
  dispatchSession: (action: SessionAction) => void,
  flushEvents: () => void,
): void {
  const run = overlay.kind === 'running' ? overlay : null;
  const id = run?.id ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: one call per run id, never per re-render
  useEffect(() => {
    if (!run) return;
    const { request } = run;
    let live = true;
    // The doctor's last progress and instance events for this run are still queued: apply them
    // first, or a late 'apply-progress' would mark an instance as applying forever.
    const finish = () => {
      flushEvents();
      dispatchSession({ type: 'apply-finished', uuids: request.uuids });
    };
    const fail = (error: unknown) => {
      const message = errorMessage(error);
      dispatchSession({ type: 'failure', where: request.action, message, hint: null, at: Date.now() });
      return message;
    };
    if (request.action === 'apply') {
      api.repair(request.uuids, { apply: true }).then(
        (outcome) => {
          finish();
          if (live) dispatchUi({ type: 'run-done', report: { action: 'apply', ...outcome, error: null } });
        },
        (error: unknown) => {
          finish();
          const message = fail(error);
          if (live)
            dispatchUi({
              type: 'run-done',
              report: { action: 'apply', journalPath: null, results: [], error: message },
            });
        },
      );
    } else {
      const { journalPath } = request;
      api.undo(journalPath, { apply: true }).then(
        (results) => {
          finish();
          if (live) dispatchUi({ type: 'run-done', report: { action: 'undo', journalPath, results, error: null } });
        },
        (error: unknown) => {
          finish();
          const message = fail(error);
          if (live)
            dispatchUi({ type: 'run-done', report: { action: 'undo', journalPath, results: [], error: message } });
        },
      );
    }
    return () => {
      live = false;
    };
  }, [id]);
}
