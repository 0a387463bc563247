// Worker thread entry: claims units from the shared queue it was started with until it is empty, and
// posts each result back as soon as it has it.
import { parentPort, workerData } from 'node:worker_threads';
import { claimUnit, type PoolWorkerData, type ToMain, type ToWorker } from './poolProtocol.js';
import { recordingSink, runUnit } from './unitScan.js';

const port = parentPort;
const PROGRESS_BYTES = 8 << 20;

async function work(port: NonNullable<typeof parentPort>, { queue, opts, claim }: PoolWorkerData): Promise<void> {
  for (let unit = claimUnit(queue, claim); unit; unit = claimUnit(queue, claim)) {
    const id = unit.id;
    let pending = 0;
    try {
      const result = await runUnit(unit, opts, {
        sink: recordingSink,
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
      port.postMessage({ type: 'done', result } satisfies ToMain, d ? [d.bytes.buffer, d.meta.buffer] : []);
    } catch (e) {
      port.postMessage({ type: 'failed', id, message: e instanceof Error ? e.message : String(e) } satisfies ToMain);
    }
  }
  port.postMessage({ type: 'idle' } satisfies ToMain);
}

if (port) {
  if (workerData) void work(port, workerData as PoolWorkerData);
  // Started early (prestart.ts): the work comes when the scan has planned it.
  else port.once('message', (m: ToWorker) => void work(port, m.data));
}
