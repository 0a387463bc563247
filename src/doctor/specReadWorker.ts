// The worker side of SpecReader: readSpec() for a batch of spec texts.
import { parentPort } from 'node:worker_threads';
import { readSpec } from '../nova/staleness.js';
import type { SpecBatch, SpecBatchRead } from './specReader.js';

parentPort?.on('message', (m: SpecBatch) => {
  const reply: SpecBatchRead = { id: m.id, readings: m.specs.map((s) => (s === null ? null : readSpec(s))) };
  parentPort?.postMessage(reply);
});
