// Reading request specs on a worker thread while this thread diagnoses and writes out what was read before.
// JSON.parse of ~5 KB per instance was the biggest CPU cost of a whole-cloud sweep, on the thread that also
// decodes the database's answers and serialises the output. Without a compiled worker (running from src/), or
// when the worker fails, the specs are read here: slower, never different.
import { Worker } from 'node:worker_threads';
import type { InstanceSnapshot } from '../nova/snapshot.js';
import { readSpec, type SpecReading } from '../nova/staleness.js';
import { compiledScript } from '../workerScript.js';

export interface SpecBatch {
  id: number;
  specs: (string | null)[];
}
export interface SpecBatchRead {
  id: number;
  readings: (SpecReading | null)[];
}

export interface SpecReader {
  /** Whether a worker thread does the reading (else this thread does). */
  readonly onWorker: boolean;
  /** readSpec() of each text (null for no spec), in order. */
  read(specs: (string | null)[]): Promise<(SpecReading | null)[]>;
  close(): Promise<void>;
}

const readHere = (specs: (string | null)[]) => specs.map((s) => (s === null ? null : readSpec(s)));

export function startSpecReader(): SpecReader {
  const script = compiledScript(import.meta.url, 'specReadWorker.js');
  let worker: Worker | null = null;
  try {
    worker = script ? new Worker(script) : null;
  } catch {
    worker = null;
  }
  if (!worker) return { onWorker: false, read: async (specs) => readHere(specs), close: async () => undefined };
  const w = worker;
  w.unref(); // never what keeps the process alive
  let broken = false;
  let nextId = 0;
  const waiting = new Map<number, { specs: (string | null)[]; done: (r: (SpecReading | null)[]) => void }>();
  const fallBack = () => {
    broken = true;
    for (const [id, job] of waiting) {
      waiting.delete(id);
      job.done(readHere(job.specs));
    }
  };
  w.on('message', (m: SpecBatchRead) => {
    const job = waiting.get(m.id);
    waiting.delete(m.id);
    job?.done(m.readings);
  });
  w.on('error', fallBack);
  w.on('exit', fallBack);
  return {
    onWorker: true,
    read(specs) {
      if (broken) return Promise.resolve(readHere(specs));
      return new Promise((done) => {
        const id = nextId++;
        waiting.set(id, { specs, done });
        w.postMessage({ id, specs } satisfies SpecBatch);
      });
    },
    async close() {
      // Batches still in flight are answered here (by fallBack, on exit), and so is any later read.
      broken = true;
      await w.terminate();
      fallBack();
    },
  };
}

/** Snapshots with their spec readings, read `size` at a time on the reader while the previous ones are used. */
export async function* withSpecReadings(
  snapshots: AsyncIterable<InstanceSnapshot>,
  reader: SpecReader,
  size = 250,
): AsyncGenerator<{ snapshot: InstanceSnapshot; reading: SpecReading | null }> {
  let pending: { batch: InstanceSnapshot[]; readings: Promise<(SpecReading | null)[]> } | null = null;
  let batch: InstanceSnapshot[] = [];
  const send = (b: InstanceSnapshot[]) => ({
    batch: b,
    readings: reader.read(b.map((s) => s.requestSpec?.spec ?? null)),
  });
  async function* drain(p: NonNullable<typeof pending>) {
    const readings = await p.readings;
    for (let i = 0; i < p.batch.length; i++)
      yield { snapshot: p.batch[i] as InstanceSnapshot, reading: readings[i] ?? null };
  }
  for await (const s of snapshots) {
    batch.push(s);
    if (batch.length < size) continue;
    const next = send(batch);
    batch = [];
    if (pending) yield* drain(pending);
    pending = next;
  }
  const last = batch.length > 0 ? send(batch) : null;
  if (pending) yield* drain(pending);
  if (last) yield* drain(last);
}
