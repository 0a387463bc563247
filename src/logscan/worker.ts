// Worker thread entry: claims units from the shared queue it was started with until it is empty, and
// posts each result back as soon as it has it: its lines recorded for the calling thread to interpret,
// or, when that thread is behind, interpreted here (the interpreter is loaded then, not before).
import { parentPort, workerData } from 'node:worker_threads';
import type { RecordingBuffers } from './deferredLines.js';
import {
  callerIsBehind,
  claimUnit,
  type EarlyWorkerData,
  type PoolWorkerData,
  RECORDED,
  type ToMain,
  type ToWorker,
} from './poolProtocol.js';
import { keepYoungGenerationSmall } from './scanHeap.js';
import { recordingSinkWith, runUnit, type SinkFactory } from './unitScan.js';

let interpreting: SinkFactory | null = null;
const interpretingSink = async () => (interpreting ??= (await import('./unitInterpret.js')).interpretingSink);

const port = parentPort;
const PROGRESS_BYTES = 8 << 20;

/** Buffers of recordings already interpreted, sent back by the calling thread (ToWorker 'recycle'). */
const spares: RecordingBuffers[] = [];
const recordingSink = recordingSinkWith(() => spares.pop());

async function work(port: NonNullable<typeof parentPort>, { queue, opts, counters }: PoolWorkerData): Promise<void> {
  for (let unit = claimUnit(queue, counters); unit; unit = claimUnit(queue, counters)) {
    const id = unit.id;
    let pending = 0;
    try {
      const record = !callerIsBehind(counters);
      const result = await runUnit(unit, opts, {
        sink: record ? recordingSink : await interpretingSink(),
        onBytes: (n) => {
          pending += n;
          if (pending >= PROGRESS_BYTES) {
            port.postMessage({ type: 'progress', id, bytes: pending } satisfies ToMain);
            pending = 0;
          }
        },
      });
      if (pending > 0) port.postMessage({ type: 'progress', id, bytes: pending } satisfies ToMain);
      const d = result.deferred;
      if (d) Atomics.add(counters, RECORDED, 1);
      port.postMessage({ type: 'done', result } satisfies ToMain, d ? [d.bytes.buffer, d.meta.buffer] : []);
    } catch (e) {
      port.postMessage({ type: 'failed', id, message: e instanceof Error ? e.message : String(e) } satisfies ToMain);
    }
  }
  port.postMessage({ type: 'idle' } satisfies ToMain);
}

if (port) {
  const data = workerData as PoolWorkerData | EarlyWorkerData;
  if (data.tightHeap) keepYoungGenerationSmall(data.tightHeap);
  port.on('message', (m: ToWorker) => {
    if (m.type === 'recycle') spares.push(m.buffers);
    else void work(port, m.data); // started early (prestart.ts): the work comes when the scan has planned it
  });
  if (!('early' in data)) void work(port, data);
}
