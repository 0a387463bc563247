// The worker side of SpecReader: readSpec() for a batch of specs.
import { parentPort, workerData } from 'node:worker_threads';
import { keepYoungGenerationSmall } from '../logscan/scanHeap.js';
import { readBatch, type SpecBatch, type SpecBatchRead } from './specReader.js';

if ((workerData as { smallYoungGeneration?: boolean } | null)?.smallYoungGeneration) keepYoungGenerationSmall();

parentPort?.on('message', (m: SpecBatch) => {
  const reply: SpecBatchRead = { id: m.id, readings: readBatch(m) };
  parentPort?.postMessage(reply);
});
