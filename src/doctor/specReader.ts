// Reading request specs on a worker thread while this thread diagnoses and writes out what was read before.
// JSON.parse of ~5 KB per instance was the biggest CPU cost of a whole-cloud sweep, on the thread that also
// decodes the database's answers and serialises the output. Without a compiled worker (running from src/), or
// when the worker fails, the specs are read here: slower, never different.
import { Worker } from 'node:worker_threads';
import { youngGenerationKeptSmall } from '../logscan/scanHeap.js';
import { readSpec, type SpecReading } from '../nova/requestSpec.js';
import type { InstanceSnapshot, RequestSpecRow } from '../nova/snapshot.js';
import { compiledScript } from '../workerScript.js';

/** Texts, or UTF-8 bytes packed in one transferred buffer (`ends[i]`: end of spec i; -1: no spec). */
export type SpecBatch = { id: number; specs: (string | null)[] } | { id: number; bytes: ArrayBuffer; ends: Int32Array };
export interface SpecBatchRead {
  id: number;
  readings: (SpecReading | null)[];
}

export interface SpecReader {
  /** Whether a worker thread does the reading (else this thread does). */
  readonly onWorker: boolean;
  /** readSpec() of each spec (null for none), in order. */
  read(specs: (RequestSpecRow | null)[]): Promise<(SpecReading | null)[]>;
  close(): Promise<void>;
}

const readHere = (specs: (RequestSpecRow | null)[]) => specs.map((s) => (s === null ? null : readSpec(s.spec)));

/** The batch as bytes when every spec kept them (one copy into a buffer the worker then owns), else as text. */
export function packBatch(id: number, specs: (RequestSpecRow | null)[]): { batch: SpecBatch; transfer: ArrayBuffer[] } {
  if (!specs.every((s) => s === null || s.specBytes))
    return { batch: { id, specs: specs.map((s) => s?.spec ?? null) }, transfer: [] };
  const total = specs.reduce((n, s) => n + (s?.specBytes?.length ?? 0), 0);
  const bytes = new Uint8Array(total);
  const ends = new Int32Array(specs.length);
  let at = 0;
  specs.forEach((s, i) => {
    if (!s?.specBytes) {
      ends[i] = -1;
      return;
    }
    bytes.set(s.specBytes, at);
    at += s.specBytes.length;
    ends[i] = at;
  });
  return { batch: { id, bytes: bytes.buffer, ends }, transfer: [bytes.buffer] };
}

/** readSpec() of every spec of a batch (the worker's side). */
export function readBatch(batch: SpecBatch): (SpecReading | null)[] {
  if ('specs' in batch) return batch.specs.map((s) => (s === null ? null : readSpec(s)));
  const buf = Buffer.from(batch.bytes);
  const out: (SpecReading | null)[] = [];
  let start = 0;
  for (const end of batch.ends) {
    if (end < 0) out.push(null);
    else {
      out.push(readSpec(buf.toString('utf8', start, end)));
      start = end;
    }
  }
  return out;
}

export function startSpecReader(): SpecReader {
  const script = compiledScript(import.meta.url, 'specReadWorker.js');
  let worker: Worker | null = null;
  try {
    // A worker's start resets V8's flags process-wide: it sets the tight heap again when this thread has one.
    worker = script ? new Worker(script, { workerData: { smallYoungGeneration: youngGenerationKeptSmall() } }) : null;
  } catch {
    worker = null;
  }
  if (!worker) return { onWorker: false, read: async (specs) => readHere(specs), close: async () => undefined };
  const w = worker;
  w.unref(); // never what keeps the process alive
  let broken = false;
  let nextId = 0;
  const waiting = new Map<number, { specs: (RequestSpecRow | null)[]; done: (r: (SpecReading | null)[]) => void }>();
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
        const { batch, transfer } = packBatch(id, specs);
        w.postMessage(batch, transfer);
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
    readings: reader.read(b.map((s) => s.requestSpec)),
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
