// Subscribes to the doctor, starts it, and feeds its events to the session reducer in batches:
// a trace can emit thousands of events a second, and one render per event would starve the keys.

import { performance } from 'node:perf_hooks';
import { useCallback, useEffect, useRef } from 'react';
import type { DoctorApi, DoctorEvent } from '../../doctor/types.js';
import { fullGc } from '../fullGc.js';
import { type KeyboardQuiet, runWhenQuiet } from '../idle.js';
import { narrowingFilter, preparations, sortInstances } from '../list.js';
import type { RowTable } from '../rows.js';
import { initialSession, type SessionAction, type SessionState, sessionReducer } from '../state.js';
import { useStore } from './useStore.js';

/** At most one render per this many ms from the event stream. */
export const EVENT_BATCH_MS = 16;
/** A batch waits at most this long, however costly its render. */
export const MAX_BATCH_MS = 500;
/**
 * A batch waits this many times what the last one took to apply and render: the first rows show at once, and
 * a list of 100k rows (whose every batch is merged, re-ordered and counted) spends a bounded share of the CPU
 * on rendering while the sweep streams, not most of it.
 */
export const BATCH_COST_FACTOR = 16;

/** How long after the list has settled what its keys want is made (after the frame that shows it). */
const PREPARE_AFTER_MS = 50;
/** At most this much of that work a timer turn, then the keys that came meanwhile have their turn. */
const PREPARE_SLICE_MS = 5;

/**
 * From this many rows on, settling collects the heap (twice) and warms the search too; below, "ready" (the first
 * frame, when every row comes at once) should not wait for two full collections: at 10k rows all at once
 * (bench/tui/run.mjs) the first frame took 343-474 ms with them, 169-215 without (its budget: 500). Below, the
 * search text and sort orders are still made before "ready": left to the keyboard's quiet moments, keys pressed
 * without a pause (40 ms apart in the bench) made them, and the first `s` at 10k took 41-63 ms; made before
 * "ready", 7-8 ms, for a first frame of ~150 ms instead of ~90.
 */
export const SETTLE_ROWS = 25_000;

/**
 * Collects the whole heap, makes what the keys will want of the list (search text, every sort order: ~120 ms at
 * 100k rows), runs the filter's search once (warmSearch) and collects again, at once. Run when the sweep has ended,
 * before "ready" shows: done while the keyboard is quiet after it, the first keys on the list waited for a slice of
 * it and for the major collection its garbage and the sweep's set off (79-203 ms for the first j). The first
 * collection comes before the rest: made while the sweep's dead pages were still held, the search text and orders
 * took new memory (peak RSS up to 221 MiB instead of 207); the second takes what the search's run promoted, which
 * otherwise set off a major collection on the next keys.
 */
export function settle(table: RowTable): void {
  fullGc();
  prepareAll(table);
  warmSearch(table);
  fullGc();
}

/** What the list gets between the sweep's end and "ready": settled from SETTLE_ROWS rows on, else prepared. */
export function beforeReady(table: RowTable): void {
  if (table.size >= SETTLE_ROWS) settle(table);
  else prepareAll(table);
}

/** Every step of preparations(table) at once: the search text and every sort order. */
function prepareAll(table: RowTable): void {
  for (const _ of preparations(table));
}

/**
 * Runs the filter's search over the table a few times, its answers thrown away: the first `/` keystrokes over 100k
 * rows ran the search's loops cold (interpreted until V8 compiled them: 20-30 ms where compiled code takes 6), which
 * made them the slowest keys. Terms of one, two and three characters, each narrowing the last, as typing does.
 */
function warmSearch(table: RowTable): void {
  const filter = narrowingFilter();
  const sorted = sortInstances(table, 'status', false);
  for (const text of ['e', 'e-', 'e-1']) filter(sorted, text);
}

export function batchDelay(lastCostMs: number): number {
  return Math.min(MAX_BATCH_MS, Math.max(EVENT_BATCH_MS, lastCostMs * BATCH_COST_FACTOR));
}

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

/** `quiet`: when the keyboard is quiet enough for the work done ahead of keys (their search text, sort orders). */
export function useDoctorSession(api: DoctorApi, quiet: KeyboardQuiet): DoctorSession {
  const [session, dispatch, get] = useStore(sessionReducer, () => initialSession(api.config, Date.now()));
  const queue = useRef<DoctorEvent[]>([]);
  const timer = useRef<NodeJS.Timeout | null>(null);
  const cost = useRef({ dispatchedAt: null as number | null, last: 0 });

  const flush = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = null;
    if (queue.current.length === 0) return;
    const events = queue.current;
    queue.current = [];
    cost.current.dispatchedAt = performance.now();
    dispatch({ type: 'events', events, at: Date.now() });
  }, [dispatch]);

  // After the render a batch caused: what it cost, to space the next one.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs after each render of a new session state
  useEffect(() => {
    const c = cost.current;
    if (c.dispatchedAt === null) return;
    c.last = performance.now() - c.dispatchedAt;
    c.dispatchedAt = null;
  }, [session]);

  useEffect(() => {
    let live = true;
    const unsubscribe = api.subscribe((event) => {
      if (!live) return;
      queue.current.push(event);
      timer.current ??= setTimeout(flush, batchDelay(cost.current.last));
    });
    const abort = new AbortController();
    api.start(abort.signal).then(
      (views) => {
        if (!live) return;
        flush();
        // Before "ready" (which React may render at once, inside the dispatch): what the keys want of the whole
        // list, and the sweep's garbage collected, so neither lands on the first keys. The rows start() resolved
        // with are merged first (mostly those its events brought already), so the table settled is the one shown.
        dispatch({ type: 'rows', views });
        try {
          beforeReady(get().views);
        } catch {
          // Settling only saves the keys time: should it fail, they make what they need as before, and the list
          // is ready all the same (a throw here would leave the TUI saying "tracing" for good).
        }
        dispatch({ type: 'started', views: [], at: Date.now() });
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
  }, [api, dispatch, flush, get]);

  // A repair (or a detail read) changed rows of the list: its search text and sort orders are made (patched, mostly)
  // after this frame, a few ms a timer turn and only while no key is being pressed, not at the first `/` or `s`. For
  // the list the sweep made, beforeReady() made them before "ready", and these steps find them made.
  const { views, phase } = session;
  useEffect(() => {
    if (phase !== 'ready') return;
    return runWhenQuiet(preparations(views), quiet, {
      delayMs: PREPARE_AFTER_MS,
      sliceMs: PREPARE_SLICE_MS,
      now: () => performance.now(),
    });
  }, [views, phase, quiet]);

  return { session, dispatch, get, flush };
}
