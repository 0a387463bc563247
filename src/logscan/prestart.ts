// A worker needs ~50 ms of CPU to boot and, next to a busy calling thread, 150-200 ms of wall time before
// it scans its first byte: a fifth of a 1 GiB scan. The CLI therefore starts it first thing, while it is
// still loading its own modules, when the logs named on the command line are big enough for threads;
// the pool adopts it (runInPool).
import { statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { compiledScript } from '../workerScript.js';
import type { EarlyWorkerData } from './poolProtocol.js';
import { tightHeapGrowth } from './scanHeap.js';
import { chooseScanThreads, GZIP_RATIO, type ParallelProbe } from './threadChoice.js';

/** Below this many bytes in total (a .gz counting GZIP_RATIO times its size), threads cost more than they save. */
export const MIN_BYTES_FOR_THREADS = 128 << 20;

/** What files (named on the command line) hold to scan: plain bytes and .gz bytes; streams and globs count 0. */
export function fileWork(files: readonly string[]): { plainBytes: number; gzipBytes: number; gzipFiles: number } {
  let plainBytes = 0;
  let gzipBytes = 0;
  let gzipFiles = 0;
  for (const p of files) {
    try {
      const st = statSync(p);
      if (!st.isFile()) continue;
      if (p.endsWith('.gz')) {
        gzipBytes += st.size;
        gzipFiles++;
      } else plainBytes += st.size;
    } catch {
      // Not a file ('-', a glob): the scan decides later, with a worker of its own.
    }
  }
  return { plainBytes, gzipBytes, gzipFiles };
}

/** The 1-minute load average as a probe (this process, just started, adds nothing to it yet). */
function loadProbe(): ParallelProbe {
  const load = loadavg()[0] ?? 0;
  return load > 0 ? { source: 'loadavg', othersBusy: load } : { source: 'none', othersBusy: null };
}

let waiting: { worker: Worker; script: string } | null = null;

/**
 * Starts the scan worker if `files` (the logs a scan was given) are worth threads and the scan will use them:
 * as many as `threads` (--threads, already parsed) asks, else as chooseScanThreads may choose for those files.
 */
export function prestartScanWorker(files: readonly string[], threads: number | null = null): boolean {
  if (waiting || availableParallelism() < 2) return false;
  const work = fileWork(files);
  // Not told: the worker starts if two threads could pay for this much log with the load average's share
  // of a second CPU (it lags, but is all there is yet); the scan decides with the probe's window
  // (chooseScanThreads) and drops it if not. A worker dropped costs its boot (~50 ms of CPU) and its isolate
  // (~40 MiB of peak RSS: 4 GiB at load 12, 136 MiB against one thread's 95), so not on a machine already busy.
  const wanted = threads ?? chooseScanThreads({ cpus: availableParallelism(), ...work, probe: loadProbe() }).threads;
  if (!(wanted > 1)) return false;
  // A lone .gz is one unit: its second thread is the decompressing helper (started by the scan), not this one.
  if (work.plainBytes === 0 && work.gzipFiles < 2) return false;
  const script = compiledScript(import.meta.url, 'worker.js');
  if (work.plainBytes + work.gzipBytes * GZIP_RATIO < MIN_BYTES_FOR_THREADS || !script) return false;
  try {
    const early: EarlyWorkerData = { early: true, tightHeap: tightHeapGrowth() };
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
