// A worker needs ~50 ms of CPU to boot and, next to a busy calling thread, 150-200 ms of wall time before
// it scans its first byte: a fifth of a 1 GiB scan. The CLI therefore starts it first thing, while it is
// still loading its own modules, when the logs named on the command line are big enough for threads;
// the pool adopts it (runInPool).
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../workerScript.js';
import type { EarlyWorkerData } from './poolProtocol.js';
import { youngGenerationKeptSmall } from './scanHeap.js';

/** Below this many bytes in total (a .gz counting 8x its size), threads cost more than they save. */
export const MIN_BYTES_FOR_THREADS = 128 << 20;

/**
 * Threads a scan uses when not told (--threads). Two where a core is to spare. On two CPUs plain logs are
 * scanned by the calling thread alone: it already keeps the second CPU busy with V8's background
 * compilation and GC (a 1 GiB scan: 1.3 s of CPU in 0.95 s; without concurrent recompilation 0.97 -> 1.18 s),
 * and measured on a 2-vCPU VM one thread took 0.92-1.13 s where two took 1.05-1.44 s (interleaved runs,
 * several hours apart). A .gz still gets two there: decompressing in a helper thread while this one scans
 * is the clear win (gz ratio 0.41 with it, 0.51 without).
 */
export function defaultScanThreads(cpus: number, anyGzip: boolean): number {
  if (cpus >= 3) return 2;
  return cpus === 2 && anyGzip ? 2 : 1;
}

let waiting: { worker: Worker; script: string } | null = null;

/**
 * Starts the scan worker if `files` (the logs a scan was given) are worth threads and the scan will use them:
 * as many as `threads` (--threads, already parsed) asks, else defaultScanThreads for those files.
 */
export function prestartScanWorker(files: readonly string[], threads: number | null = null): boolean {
  if (waiting || availableParallelism() < 2) return false;
  let work = 0;
  let anyGzip = false;
  for (const p of files) {
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      anyGzip ||= p.endsWith('.gz');
      work += p.endsWith('.gz') ? st.size * 8 : st.size;
    } catch {
      // Not a file ('-', a glob): the scan decides later, with a worker of its own.
    }
  }
  const wanted = threads ?? defaultScanThreads(availableParallelism(), anyGzip);
  if (!(wanted > 1)) return false;
  const script = compiledScript(import.meta.url, 'worker.js');
  if (work < MIN_BYTES_FOR_THREADS || !script) return false;
  try {
    const early: EarlyWorkerData = { early: true, smallYoungGeneration: youngGenerationKeptSmall() };
    const worker = new Worker(script, { workerData: early });
    // Until adopted it must not keep the process alive (a usage error ends the run before any scan).
    worker.unref();
    waiting = { worker, script: script.href };
    return true;
  } catch {
    return false;
  }
}

/** The worker started early running `script`, for the pool to adopt (once); null if there is none. */
export function adoptPrestartedWorker(script: URL): Worker | null {
  const w = waiting;
  waiting = null;
  if (!w) return null;
  if (w.script !== script.href) {
    void w.worker.terminate();
    return null;
  }
  w.worker.ref();
  return w.worker;
}

/** Ends a worker started early that the scan does not need (its logs were too small for threads). */
export function dropPrestartedWorker(): void {
  const w = waiting;
  waiting = null;
  if (w) void w.worker.terminate();
}
