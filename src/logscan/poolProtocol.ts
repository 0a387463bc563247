// What the pool and its workers say to each other. A worker loads the interpreter only when it has to
// interpret lines itself (see BEHIND_LIMIT); finding lines is all of unitScan.ts it needs otherwise.
import type { RecordingBuffers } from './deferredLines.js';
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
  /** Int32Array over a SharedArrayBuffer, slots NEXT_UNIT, RECORDED and INTERPRETED. */
  counters: Int32Array;
  /** The worker calls keepYoungGenerationSmall(tightHeap) as it starts (scanHeap.ts says why); null: V8's defaults. */
  tightHeap?: number | null;
}

/** What a worker started early (prestart.ts) gets until the pool hands it its PoolWorkerData. */
export interface EarlyWorkerData {
  early: true;
  tightHeap: number | null;
}

/** Index of the next unclaimed unit of the queue. */
export const NEXT_UNIT = 0;
/** Units whose lines workers have recorded for the calling thread. */
export const RECORDED = 1;
/** Of those, how many the calling thread has interpreted. */
export const INTERPRETED = 2;
export const COUNTERS = 3;

/**
 * Recorded units the calling thread may be behind by before a worker interprets its next unit itself:
 * it then pays the interpreter's warm-up too, which only pays off when the lines are dense (5x the
 * rejections of a realistic log), and the recordings waiting in memory stay bounded either way.
 */
export const BEHIND_LIMIT = 2;

/** Whether the calling thread is too far behind with the recorded units. */
export function callerIsBehind(counters: Int32Array): boolean {
  return Atomics.load(counters, RECORDED) - Atomics.load(counters, INTERPRETED) >= BEHIND_LIMIT;
}

export type ToWorker =
  /** To a worker started early (prestart.ts): its work, once the scan knows it. */
  | { type: 'start'; data: PoolWorkerData }
  /** The buffers of a recording the calling thread has interpreted, for the worker's next one. */
  | { type: 'recycle'; buffers: RecordingBuffers };

export type ToMain =
  | { type: 'progress'; id: number; bytes: number }
  /** A unit's result: interpreted, or with its lines recorded for the calling thread (UnitResult.deferred). */
  | { type: 'done'; result: UnitResult }
  | { type: 'failed'; id: number; message: string }
  /** The queue is empty for this worker: it has posted everything it will post. */
  | { type: 'idle' };

/** Claims the next unit of the shared queue, or null when it is empty. */
export function claimUnit(queue: readonly WorkUnit[], counters: Int32Array): WorkUnit | null {
  const i = Atomics.add(counters, NEXT_UNIT, 1);
  return i < queue.length ? (queue[i] as WorkUnit) : null;
}
