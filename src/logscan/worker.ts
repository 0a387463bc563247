// Worker thread entry: scans the units the pool sends, one at a time, and posts the results back.
import { parentPort } from 'node:worker_threads';
import { runUnit, type ToMain, type ToWorker } from './pool.js';

const port = parentPort;
if (port) {
  // Units are handed out only to a worker that has booted: until then the calling thread takes them.
  port.postMessage({ type: 'ready' } satisfies ToMain);
  port.on('message', (msg: ToWorker) => {
    if (msg.type !== 'unit') return;
    let pending = 0;
    runUnit(msg.unit, msg.opts, {
      onBytes: (n) => {
        pending += n;
        if (pending >= 8 << 20) {
          port.postMessage({ type: 'progress', id: msg.unit.id, bytes: pending } satisfies ToMain);
          pending = 0;
        }
      },
    }).then(
      (result) => {
        if (pending > 0) port.postMessage({ type: 'progress', id: msg.unit.id, bytes: pending } satisfies ToMain);
        port.postMessage({ type: 'done', result } satisfies ToMain);
      },
      (e: unknown) =>
        port.postMessage({
          type: 'failed',
          id: msg.unit.id,
          message: e instanceof Error ? e.message : String(e),
        } satisfies ToMain),
    );
  });
}
