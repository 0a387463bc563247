// What the pool and its workers say to each other; the worker's side loads nothing else of the scan but
// unitScan.ts (finding lines), never the interpreter.
import type { UnitOptions, UnitResult, WorkUnit } from './unitScan.js';

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

/** To a worker started without workerData (prestart.ts): its work, once the scan knows it. */
export type ToWorker = { type: 'start'; data: PoolWorkerData };

export type ToMain =
  | { type: 'progress'; id: number; bytes: number }
  /** A unit's result with its lines recorded, not interpreted (UnitResult.deferred). */
  | { type: 'done'; result: UnitResult }
  | { type: 'failed'; id: number; message: string }
  /** The queue is empty for this worker: it has posted everything it will post. */
  | { type: 'idle' };

/** Claims the next unit of the shared queue, or null when it is empty. */
export function claimUnit(queue: readonly WorkUnit[], claim: Int32Array): WorkUnit | null {
  const i = Atomics.add(claim, 0, 1);
  return i < queue.length ? (queue[i] as WorkUnit) : null;
}
