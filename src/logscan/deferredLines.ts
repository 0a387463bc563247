// Hit lines recorded by a worker for the calling thread to interpret. Interpreting a line is JS that V8
// compiles only after it has run for a while: each thread that interprets pays that warm-up (measured:
// the first 15k lines of a scan cost as much as the first 30k), so workers only find lines and one
// isolate reads them all. The lines travel packed in two transferable buffers, not as objects.
import type { HitLine, LongLine } from './hitLines.js';

/** Line bytes back to back, and per entry [offset, line, start, length]; length -1: a long line (skipped). */
export interface DeferredLines {
  bytes: Uint8Array<ArrayBuffer>;
  meta: Float64Array<ArrayBuffer>;
  count: number;
}

const FIELDS = 4;

/** Buffers of a recording that has been interpreted, handed back to record the next unit in. */
export interface RecordingBuffers {
  bytes: ArrayBuffer;
  meta: ArrayBuffer;
}

export class LineRecorder {
  private bytes: Uint8Array<ArrayBuffer>;
  private used = 0;
  private meta: Float64Array<ArrayBuffer>;
  private count = 0;

  /**
   * `reuse`: the buffers of an earlier recording, already interpreted. A recording grows to ~1.5 MB per
   * 64 MiB of realistic log; recording into fresh memory each time cost the worker ~4k page faults
   * per GiB, each as dear as copying a few KB on a VM.
   */
  constructor(reuse?: RecordingBuffers) {
    this.bytes = new Uint8Array(reuse?.bytes ?? new ArrayBuffer(1 << 16));
    this.meta = new Float64Array(reuse?.meta ?? new ArrayBuffer(FIELDS * 256 * 8));
  }

  line(h: HitLine): void {
    const n = h.bytes.length;
    if (this.used + n > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.used + n));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(h.bytes, this.used);
    this.entry(h.offset, h.line, this.used, n);
    this.used += n;
  }

  longLine(l: LongLine): void {
    this.entry(l.offset, l.line, l.length, -1);
  }

  private entry(offset: number, line: number, start: number, length: number): void {
    if ((this.count + 1) * FIELDS > this.meta.length) {
      const grown = new Float64Array(Math.max(this.meta.length * 2, FIELDS * 256));
      grown.set(this.meta);
      this.meta = grown;
    }
    const m = this.meta;
    const i = this.count++ * FIELDS;
    m[i] = offset;
    m[i + 1] = line;
    m[i + 2] = start;
    m[i + 3] = length;
  }

  /** The recording; its buffers are meant to be transferred (the recorder is done with them). */
  finish(): DeferredLines {
    return { bytes: this.bytes, meta: this.meta, count: this.count };
  }
}

/** Replays entries [from, to) of a recording in order: each line as the hit scanner delivered it, long lines as such. */
export function replayLines(
  d: DeferredLines,
  onLine: (h: HitLine) => void,
  onLongLine: (l: LongLine) => void,
  from = 0,
  to = d.count,
): void {
  const buf = Buffer.from(d.bytes.buffer, d.bytes.byteOffset, d.bytes.byteLength);
  const m = d.meta;
  for (let k = from; k < Math.min(to, d.count); k++) {
    const i = k * FIELDS;
    const offset = m[i] as number;
    const line = m[i + 1] as number;
    const start = m[i + 2] as number;
    const length = m[i + 3] as number;
    if (length < 0) onLongLine({ offset, line, length: start });
    else onLine({ bytes: buf.subarray(start, start + length), offset, line });
  }
}
