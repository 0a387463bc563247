// Running units on worker threads (both cores), or in this thread when workers are not worth it or not
// available. The worker script is the compiled dist/logscan/worker.js; under vitest (src/*.ts) it is
// looked up from the package root, and when it is missing everything runs in-thread.
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../workerScript.js';
import type { RecordingBuffers } from './deferredLines.js';
import { COUNTERS, claimUnit, INTERPRETED, type PoolWorkerData, type ToMain, type ToWorker } from './poolProtocol.js';
import { adoptPrestartedWorker } from './prestart.js';
import { tightHeapGrowth } from './scanHeap.js';
import { interpretDeferred, interpretingSink } from './unitInterpret.js';
import { runUnit, type UnitOptions, type UnitResult, type WorkUnit } from './unitScan.js';

/** dist/logscan/worker.js (or another compiled script of this directory, e.g. gunzipWorker.js); see compiledScript. */
export function workerScript(name = 'worker.js'): URL | null {
  return compiledScript(import.meta.url, name);
}

export interface PoolHooks {
  onBytes: (unitId: number, bytes: number) => void;
  /** Each unit's result as soon as it is interpreted (in any order), here in the calling thread. */
  onResult: (result: UnitResult) => void;
  signal?: AbortSignal;
}

/** Runs units in this thread, one after the other. */
export async function runInThread(units: readonly WorkUnit[], opts: UnitOptions, hooks: PoolHooks): Promise<void> {
  for (const u of units) {
    hooks.signal?.throwIfAborted();
    hooks.onResult(
      await runUnit(u, opts, { sink: interpretingSink, onBytes: (n) => hooks.onBytes(u.id, n), signal: hooks.signal }),
    );
  }
  hooks.signal?.throwIfAborted();
}

/**
 * Runs units on `threads` threads: this one and threads - 1 workers, all claiming units from one shared
 * queue, in file order (the report is correlated in file order as results come: a unit done long before
 * the ones ahead of it would wait, events and all). This thread starts at
 * once and a worker joins when it has booted (~0.1 s), so no unit waits for a worker to start. A unit
 * without a result at the end (its worker failed on it or died) is run again in this thread: a broken
 * worker costs speed, never results. Returns the results, how many threads took part, and how many units
 * a worker interpreted itself.
 */
export async function runInPool(
  units: readonly WorkUnit[],
  opts: UnitOptions,
  threads: number,
  script: URL,
  hooks: PoolHooks,
): Promise<{ threads: number; interpretedByWorkers: number }> {
  const queue = [...units].sort((a, b) => a.input - b.input || a.id - b.id);
  const counters = new Int32Array(new SharedArrayBuffer(4 * COUNTERS));
  const returned = new Set<number>();
  const result = (r: UnitResult) => {
    returned.add(r.id);
    hooks.onResult(r);
  };
  const workers: Worker[] = [];
  const spawn = Math.max(0, Math.min(threads - 1, queue.length - 1));
  let running = 0;
  let failure: unknown = null;
  let wake: (() => void) | null = null;
  const settle = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onAbort = () => {
    failure = hooks.signal?.reason ?? new Error('aborted');
    for (const w of workers) void w.terminate();
    running = 0;
    settle();
  };
  hooks.signal?.addEventListener('abort', onAbort, { once: true });

  // Workers find the lines and this thread interprets them (deferredLines.ts says why), between its own
  // units, before it claims another: a worker's results never wait long, and this thread's share of the
  // scanning shrinks by what interpreting costs it. When it falls behind all the same (dense logs), a
  // worker interprets its next unit itself (BEHIND_LIMIT).
  const workerData: PoolWorkerData = { queue, opts, counters, tightHeap: tightHeapGrowth() };
  const unitsById = new Map(queue.map((u) => [u.id, u]));
  const recorded: { result: UnitResult; from: Worker }[] = [];
  const live = new Set<Worker>();
  let interpretedByWorkers = 0;
  const interpretRecorded = async () => {
    for (let next = recorded.shift(); next; next = recorded.shift()) {
      const { result: r, from } = next;
      const unit = unitsById.get(r.id);
      if (!unit) continue;
      if (r.deferred) {
        result(await interpretDeferred(r, unit, opts));
        Atomics.add(counters, INTERPRETED, 1);
        // Its buffers go back for the worker's next recording (LineRecorder says why).
        const { bytes, meta } = r.deferred;
        if (live.has(from)) {
          const buffers: RecordingBuffers = { bytes: bytes.buffer, meta: meta.buffer };
          from.postMessage({ type: 'recycle', buffers } satisfies ToWorker, [bytes.buffer, meta.buffer]);
        }
      } else {
        result(r); // interpreted by the worker (this thread was behind)
        interpretedByWorkers++;
      }
    }
  };
  for (let i = 0; i < spawn; i++) {
    let w: Worker;
    const early = i === 0 ? adoptPrestartedWorker(script) : null;
    try {
      if (early) {
        w = early;
        w.postMessage({ type: 'start', data: workerData } satisfies ToWorker);
      } else w = new Worker(script, { workerData });
    } catch {
      break;
    }
    workers.push(w);
    live.add(w);
    running++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      live.delete(w);
      running--;
      settle();
    };
    w.on('message', (msg: ToMain) => {
      if (msg.type === 'progress') hooks.onBytes(msg.id, msg.bytes);
      else if (msg.type === 'done') {
        recorded.push({ result: msg.result, from: w });
        settle();
      } else if (msg.type === 'idle') {
        // Done for good: its isolate's memory goes now, not after this thread has caught up and correlated.
        void w.terminate();
        end();
      }
      // 'failed': the unit has no result and is run again here at the end.
    });
    // Died (e.g. out of memory) or exited: whatever it claimed and did not return is run again here.
    w.on('error', end);
    w.on('exit', end);
  }

  try {
    // This thread's share: whatever is left in the queue, after what the workers have sent back.
    for (;;) {
      await interpretRecorded();
      const unit = failure ? null : claimUnit(queue, counters);
      if (!unit) break;
      result(
        await runUnit(unit, opts, {
          sink: interpretingSink,
          onBytes: (n) => hooks.onBytes(unit.id, n),
          signal: hooks.signal,
        }),
      );
    }
    while (running > 0 && !failure) {
      await new Promise<void>((r) => (wake = r));
      await interpretRecorded();
    }
    await interpretRecorded();
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    for (const w of workers) void w.terminate();
  }
  if (failure) throw failure;
  const missing = queue.filter((u) => !returned.has(u.id));
  if (missing.length > 0) await runInThread(missing, opts, hooks);
  return { threads: workers.length + 1, interpretedByWorkers };
}
