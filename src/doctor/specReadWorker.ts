// The worker side of SpecReader: readSpec() for a batch of specs.
import { parentPort } from 'node:worker_threads';
import { readBatch, type SpecBatch, type SpecBatchRead } from './specReader.js';

parentPort?.on('message', (m: SpecBatch) => {
  const reply: SpecBatchRead = { id: m.id, readings: readBatch(m) };
  parentPort?.postMessage(reply);
});
