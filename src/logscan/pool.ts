// Running units on worker threads (both cores), or in this thread when workers are not worth it or not
// available. The worker script is the compiled dist/logscan/worker.js; under vitest (src/*.ts) it is
// looked up from the package root, and when it is missing everything runs in-thread.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
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
  | { type: 'progress'; id: number; bytes: number }
  | { type: 'done'; result: UnitResult }
  | { type: 'failed'; id: number; message: string };

export function runUnit(unit: WorkUnit, opts: UnitOptions, hooks: UnitHooks = {}): Promise<UnitResult> {
  return unit.kind === 'gzip' ? scanGzipUnit(unit, opts, hooks) : scanRangeUnit(unit, opts, hooks);
}

/** dist/logscan/worker.js next to this module, or (running from src/) in the package's dist/. */
export function workerScript(): URL | null {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) {
    const beside = join(dirname(here), 'worker.js');
    return existsSync(beside) ? pathToFileURL(beside) : null;
  }
  let dir = dirname(here);
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) {
      const compiled = join(dir, 'dist', 'logscan', 'worker.js');
      return existsSync(compiled) ? pathToFileURL(compiled) : null;
    }
    dir = dirname(dir);
  }
  return null;
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
 * Runs units on `threads` workers, biggest first. A unit whose worker fails is retried in this thread,
 * so a broken worker costs speed, never results.
 */
export async function runInWorkers(
  units: readonly WorkUnit[],
  sizes: ReadonlyMap<number, number>,
  opts: UnitOptions,
  threads: number,
  script: URL,
  hooks: PoolHooks,
): Promise<UnitResult[]> {
  const queue = [...units].sort((a, b) => (sizes.get(b.id) ?? 0) - (sizes.get(a.id) ?? 0));
  const results: UnitResult[] = [];
  const retry: WorkUnit[] = [];
  const workers: Worker[] = [];
  await new Promise<void>((resolve, reject) => {
    let running = 0;
    let finished = false;
    const finish = (err?: unknown) => {
      if (finished) return;
      finished = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve();
    };
    hooks.signal?.addEventListener('abort', () => finish(hooks.signal?.reason ?? new Error('aborted')), { once: true });
    const next = (w: Worker, current: { unit: WorkUnit | null }) => {
      const unit = queue.shift();
      current.unit = unit ?? null;
      if (!unit) {
        running--;
        void w.terminate();
        if (running === 0) finish();
        return;
      }
      w.postMessage({ type: 'unit', unit, opts } satisfies ToWorker);
    };
    const count = Math.max(1, Math.min(threads, queue.length));
    for (let i = 0; i < count; i++) {
      const w = new Worker(script);
      workers.push(w);
      running++;
      const current: { unit: WorkUnit | null } = { unit: null };
      w.on('message', (msg: ToMain) => {
        if (msg.type === 'progress') hooks.onBytes(msg.id, msg.bytes);
        else if (msg.type === 'done') {
          results.push(msg.result);
          next(w, current);
        } else {
          if (current.unit) retry.push(current.unit);
          next(w, current);
        }
      });
      w.on('error', () => {
        // The worker died (e.g. out of memory): give its unit and the rest of the queue to this thread.
        if (current.unit) retry.push(current.unit);
        current.unit = null;
        running--;
        if (running === 0) {
          retry.push(...queue.splice(0));
          finish();
        }
      });
      next(w, current);
    }
    if (count === 0) finish();
  });
  if (retry.length > 0) results.push(...(await runInThread(retry, opts, hooks)));
  return results;
}
