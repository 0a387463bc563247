// Running units on worker threads (both cores), or in this thread when workers are not worth it or not
// available. The worker script is the compiled dist/logscan/worker.js; under vitest (src/*.ts) it is
// looked up from the package root, and when it is missing everything runs in-thread.
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../workerScript.js';
import {
  scanGzipUnit,
  scanRangeUnit,
  type UnitHooks,
  type UnitOptions,
  type UnitResult,
  type WorkUnit,
} from './unitScan.js';

export type ToWorker = { type: 'unit'; unit: WorkUnit; opts: UnitOptions };
export type ToMain =
  | { type: 'ready' }
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; result: UnitResult }
  | { type: 'failed'; id: number; message: string };

export function runUnit(unit: WorkUnit, opts: UnitOptions, hooks: UnitHooks = {}): Promise<UnitResult> {
  return unit.kind === 'gzip' ? scanGzipUnit(unit, opts, hooks) : scanRangeUnit(unit, opts, hooks);
}

/** dist/logscan/worker.js (or another compiled script of this directory, e.g. gunzipWorker.js); see compiledScript. */
export function workerScript(name = 'worker.js'): URL | null {
  return compiledScript(import.meta.url, name);
}

export interface PoolHooks {
  onBytes: (unitId: number, bytes: number) => void;
  signal?: AbortSignal;
}

/** Runs units in this thread, one after the other. */
export async function runInThread(
  units: readonly WorkUnit[],
  opts: UnitOptions,
  hooks: PoolHooks,
): Promise<UnitResult[]> {
  const out: UnitResult[] = [];
  for (const u of units) {
    hooks.signal?.throwIfAborted();
    out.push(await runUnit(u, opts, { onBytes: (n) => hooks.onBytes(u.id, n), signal: hooks.signal }));
  }
  hooks.signal?.throwIfAborted();
  return out;
}

/**
 * Runs units on `threads` threads: this one and threads - 1 workers, all taking units from one queue,
 * biggest first (so a big .gz starts early and byte ranges fill the gaps). This thread starts at once,
 * a worker takes its first unit once it has booted (~0.1 s): no unit waits for a worker to start, and a
 * worker that boots after the queue is empty is just stopped. A unit whose worker
 * fails is run again in this thread, so a broken worker costs speed, never results.
 * Returns the results and how many threads took part.
 */
export async function runInPool(
  units: readonly WorkUnit[],
  sizes: ReadonlyMap<number, number>,
  opts: UnitOptions,
  threads: number,
  script: URL,
  hooks: PoolHooks,
): Promise<{ results: UnitResult[]; threads: number }> {
  const queue = [...units].sort((a, b) => (sizes.get(b.id) ?? 0) - (sizes.get(a.id) ?? 0) || a.id - b.id);
  const results: UnitResult[] = [];
  const retry: WorkUnit[] = [];
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

  const next = (w: Worker, current: { unit: WorkUnit | null }) => {
    const unit = failure ? undefined : queue.shift();
    current.unit = unit ?? null;
    if (!unit) {
      running--;
      void w.terminate();
      if (running <= 0) settle();
      return;
    }
    w.postMessage({ type: 'unit', unit, opts } satisfies ToWorker);
  };
  for (let i = 0; i < spawn; i++) {
    let w: Worker;
    try {
      w = new Worker(script);
    } catch {
      break;
    }
    workers.push(w);
    running++;
    const current: { unit: WorkUnit | null } = { unit: null };
    w.on('message', (msg: ToMain) => {
      if (msg.type === 'ready') next(w, current);
      else if (msg.type === 'progress') hooks.onBytes(msg.id, msg.bytes);
      else if (msg.type === 'done') {
        results.push(msg.result);
        next(w, current);
      } else {
        if (current.unit) retry.push(current.unit);
        next(w, current);
      }
    });
    w.on('error', () => {
      // The worker died (e.g. out of memory): this thread runs its unit again.
      if (current.unit) retry.push(current.unit);
      current.unit = null;
      running--;
      if (running <= 0) settle();
    });
  }

  try {
    // This thread's share: whatever is left in the queue.
    for (let unit = queue.shift(); unit && !failure; unit = queue.shift()) {
      const u = unit;
      results.push(await runUnit(u, opts, { onBytes: (n) => hooks.onBytes(u.id, n), signal: hooks.signal }));
    }
    if (running > 0 && !failure) await new Promise<void>((r) => (wake = r));
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    for (const w of workers) void w.terminate();
  }
  if (failure) throw failure;
  if (retry.length > 0) results.push(...(await runInThread(retry, opts, hooks)));
  return { results, threads: workers.length + 1 };
}
