// Subscribes to the doctor, starts it, and feeds its events to the session reducer in batches:
// a trace can emit thousands of events a second, and one render per event would starve the keys.
import { useCallback, useEffect, useRef } from 'react';
import type { DoctorApi, DoctorEvent } from '../../doctor/types.js';
import { initialSession, type SessionAction, type SessionState, sessionReducer } from '../state.js';
import { useStore } from './useStore.js';

/** At most one render per this many ms from the event stream. */
export const EVENT_BATCH_MS = 16;

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

export interface DoctorSession {
  session: SessionState;
  dispatch: (action: SessionAction) => void;
  get: () => SessionState;
  /** Applies queued events now: call before acting on a result the doctor returned. */
  flush: () => void;
}

export function useDoctorSession(api: DoctorApi): DoctorSession {
  const [session, dispatch, get] = useStore(sessionReducer, () => initialSession(api.config, Date.now()));
  const queue = useRef<DoctorEvent[]>([]);
  const timer = useRef<NodeJS.Timeout | null>(null);

  const flush = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (queue.current.length === 0) return;
    const events = queue.current;
    queue.current = [];
    dispatch({ type: 'events', events, at: Date.now() });
  }, [dispatch]);

  useEffect(() => {
    let live = true;
    const unsubscribe = api.subscribe((event) => {
      if (!live) return;
      queue.current.push(event);
      timer.current ??= setTimeout(flush, EVENT_BATCH_MS);
    });
    const abort = new AbortController();
    api.start(abort.signal).then(
      (views) => {
        if (!live) return;
        flush();
        dispatch({ type: 'started', views, at: Date.now() });
      },
      (error: unknown) => {
        if (!live || abort.signal.aborted) return;
        flush();
        dispatch({ type: 'start-failed', message: errorMessage(error), at: Date.now() });
      },
    );
    return () => {
      live = false;
      unsubscribe();
      abort.abort();
      if (timer.current) clearTimeout(timer.current);
      timer.current = null;
      queue.current = [];
    };
  }, [api, dispatch, flush]);

  return { session, dispatch, get, flush };
}
