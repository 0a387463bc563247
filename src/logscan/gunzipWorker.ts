// Helper thread for one .gz file: decompresses into the buffers the scanning thread lends it and sends
// each back full, so decompression (the slow part) and scanning run at the same time on two cores.
// The same few buffers go back and forth (transferred, never copied or reallocated).
import { parentPort, workerData } from 'node:worker_threads';
import { type Inflater, openInflater } from './inflate.js';
import { keepYoungGenerationSmall } from './scanHeap.js';

export type ToInflater =
  | { type: 'start'; file: string; buffers: ArrayBuffer[] }
  | { type: 'buffer'; buffer: ArrayBuffer };

/** `error` carries what gzipMessage/ioMessage need (code and message). */
export type FromInflater =
  | { type: 'data'; buffer: ArrayBuffer; length: number; compressed: number }
  | { type: 'end'; compressed: number; error: { code?: string; message: string } | null };

const port = parentPort;
const tightHeap = (workerData as { tightHeap?: number | null } | null)?.tightHeap;
if (tightHeap) keepYoungGenerationSmall(tightHeap);
if (port) {
  let inflater: Inflater | null = null;
  const free: ArrayBuffer[] = [];
  let done = false;
  const finish = (error: { code?: string; message: string } | null) => {
    done = true;
    port.postMessage({ type: 'end', compressed: inflater?.compressedBytes ?? 0, error } satisfies FromInflater);
    inflater?.close();
    port.close();
  };
  const pump = () => {
    while (!done && inflater && free.length > 0) {
      const buffer = free.pop() as ArrayBuffer;
      let n: number;
      try {
        n = inflater.read(new Uint8Array(buffer), 0, buffer.byteLength);
      } catch (e) {
        finish(describe(e));
        return;
      }
      if (n === 0) {
        finish(null);
        return;
      }
      port.postMessage(
        { type: 'data', buffer, length: n, compressed: inflater.compressedBytes } satisfies FromInflater,
        [buffer],
      );
    }
  };
  port.on('message', (m: ToInflater) => {
    if (m.type === 'start') {
      try {
        inflater = openInflater(m.file);
      } catch (e) {
        finish(describe(e));
        return;
      }
      if (!inflater) {
        finish({ code: 'ENOTSUP', message: "this Node's zlib cannot be driven directly" });
        return;
      }
      free.push(...m.buffers);
    } else free.push(m.buffer);
    pump();
  });
}

function describe(e: unknown): { code?: string; message: string } {
  const err = e as { code?: string; message?: string };
  return { code: err.code, message: err.message ?? String(e) };
}
