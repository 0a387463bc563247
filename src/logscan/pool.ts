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

/**
 * What a worker is started with: the whole queue, and a shared counter through which every thread claims
 * the next unit (Atomics.add). No thread ever waits for another to hand it work: the calling thread scans
 * synchronously for tens of milliseconds at a time, and a worker that asked it for its next unit sat idle
 * that long after every unit (17–20 ms gaps on a 1 GiB log).
 */
export interface PoolWorkerData {
  queue: readonly WorkUnit[];
  opts: UnitOptions;
  /** Int32Array over a SharedArrayBuffer: [0] = index of the next unclaimed unit. */
  claim: Int32Array;
}

export type ToMain =
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; result: UnitResult }
  | { type: 'failed'; id: number; message: string }
  /** The queue is empty for this worker: it has posted everything it will post. */
  | { type: 'idle' };

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

/** Claims the next unit of the shared queue, or null when it is empty. */
export function claimUnit(queue: readonly WorkUnit[], claim: Int32Array): WorkUnit | null {
  const i = Atomics.add(claim, 0, 1);
  return i < queue.length ? (queue[i] as WorkUnit) : null;
}

/**
 * Runs units on `threads` threads: this one and threads - 1 workers, all claiming units from one shared
 * queue, biggest first (so a big .gz starts early and byte ranges fill the gaps). This thread starts at
 * once and a worker joins when it has booted (~0.1 s), so no unit waits for a worker to start. A unit
 * without a result at the end (its worker failed on it or died) is run again in this thread: a broken
 * worker costs speed, never results. Returns the results and how many threads took part.
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
  const claim = new Int32Array(new SharedArrayBuffer(4));
  const results: UnitResult[] = [];
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

  const workerData: PoolWorkerData = { queue, opts, claim };
  for (let i = 0; i < spawn; i++) {
    let w: Worker;
    try {
      w = new Worker(script, { workerData });
    } catch {
      break;
    }
    workers.push(w);
    running++;
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      running--;
      if (running <= 0) settle();
    };
    w.on('message', (msg: ToMain) => {
      if (msg.type === 'progress') hooks.onBytes(msg.id, msg.bytes);
      else if (msg.type === 'done') results.push(msg.result);
      else if (msg.type === 'idle') end();
      // 'failed': the unit has no result and is run again here at the end.
    });
    // Died (e.g. out of memory) or exited: whatever it claimed and did not return is run again here.
    w.on('error', end);
    w.on('exit', end);
  }

  try {
    // This thread's share: whatever is left in the queue.
    for (let unit = claimUnit(queue, claim); unit && !failure; unit = claimUnit(queue, claim)) {
      const u = unit;
      results.push(await runUnit(u, opts, { onBytes: (n) => hooks.onBytes(u.id, n), signal: hooks.signal }));
    }
    if (running > 0 && !failure) await new Promise<void>((r) => (wake = r));
  } finally {
    hooks.signal?.removeEventListener('abort', onAbort);
    for (const w of workers) void w.terminate();
  }
  if (failure) throw failure;
  const returned = new Set(results.map((r) => r.id));
  const missing = queue.filter((u) => !returned.has(u.id));
  if (missing.length > 0) results.push(...(await runInThread(missing, opts, hooks)));
  return { results, threads: workers.length + 1 };
}
