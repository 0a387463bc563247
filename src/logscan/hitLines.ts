// From chunks of bytes to the few lines that contain a needle, each with its byte offset and 1-based
// line number. Lines are never assembled except across a chunk boundary, and that carry is capped:
// a line longer than maxLineBytes is skipped with a warning instead of being buffered.
import type { Needle, NeedleScanner } from './needleScan.js';

export interface HitLine {
  /** The line's bytes without the newline; only valid during the callback. */
  bytes: Buffer;
  /** Byte offset of the line in the stream (the unit's first byte is `baseOffset`). */
  offset: number;
  /** 1-based, counted from the unit's first line. */
  line: number;
}

export interface LongLine {
  offset: number;
  line: number;
  /** Bytes seen before giving up on the line. */
  length: number;
}

export class HitLineScanner {
  private carry: Buffer;
  private carryLen = 0;
  /** Stream offset of the carried line's first byte. */
  private carryOffset = 0;
  private skipping = false;
  private longLine: LongLine | null = null;
  /** Newlines seen so far (= lines completed). */
  newlines = 0;
  /** Bytes consumed so far, from baseOffset. */
  bytes = 0;
  /** The input ended with a line that had no newline. */
  trailingLine = false;
  private readonly needleBufs: Buffer[];

  constructor(
    private readonly scanner: NeedleScanner,
    needles: readonly Needle[],
    private readonly onLine: (hit: HitLine) => void,
    private readonly onLongLine: (l: LongLine) => void,
    private readonly maxLineBytes: number,
    private readonly baseOffset = 0,
  ) {
    this.carry = Buffer.allocUnsafe(Math.min(maxLineBytes, 1 << 16));
    this.needleBufs = needles.map((n) => Buffer.from(n.bytes));
  }

  /** Where a reader may put the next chunk without copying: scanner.buffer[start, start + length). */
  get area(): { start: number; length: number } {
    return { start: this.scanner.dataStart, length: this.scanner.capacity };
  }

  /** Feeds `n` bytes already placed at the start of `area`. */
  feedInPlace(n: number): void {
    const mem = this.scanner.buffer;
    const start = this.scanner.dataStart;
    const end = start + n;
    const streamStart = this.bytes;
    this.bytes += n;
    if (n === 0) return;
    const firstNl = mem.indexOf(10, start);
    if (firstNl < 0 || firstNl >= end) {
      this.appendCarry(mem, start, end, streamStart);
      return;
    }
    let bodyStart = start;
    if (this.carryLen > 0 || this.skipping) {
      this.finishCarriedLine(mem, start, firstNl, streamStart);
      bodyStart = firstNl + 1;
    }
    const lastNl = mem.lastIndexOf(10, end - 1);
    const bodyEnd = lastNl + 1;
    if (bodyEnd > bodyStart) {
      const linesBefore = this.newlines;
      const r = this.scanner.scan(bodyStart, bodyEnd);
      let lastLineStart = -1;
      for (const h of r.hits) {
        const ls = mem.lastIndexOf(10, h.at) + 1;
        const lineStart = Math.max(ls, bodyStart);
        if (lineStart === lastLineStart) continue;
        lastLineStart = lineStart;
        const lineEnd = mem.indexOf(10, h.at);
        this.onLine({
          bytes: mem.subarray(lineStart, lineEnd),
          offset: this.baseOffset + streamStart + (lineStart - start),
          line: linesBefore + h.newlinesBefore + 1,
        });
      }
      this.newlines += r.newlines;
    }
    if (bodyEnd < end) this.appendCarry(mem, bodyEnd, end, streamStart + (bodyEnd - start));
  }

  /** Copies a chunk into the scanner's memory piece by piece and feeds it. */
  feed(chunk: Uint8Array): void {
    const { start, length } = this.area;
    for (let i = 0; i < chunk.length; i += length) {
      const piece = chunk.subarray(i, Math.min(chunk.length, i + length));
      this.scanner.buffer.set(piece, start);
      this.feedInPlace(piece.length);
    }
  }

  /** End of input: a last line without a newline is still a line. */
  end(): void {
    this.trailingLine = this.skipping || this.carryLen > 0;
    if (this.skipping) this.reportLongLine();
    else if (this.carryLen > 0)
      this.scanLine(this.carry.subarray(0, this.carryLen), this.carryOffset, this.newlines + 1);
    this.carryLen = 0;
    this.skipping = false;
  }

  private appendCarry(mem: Buffer, from: number, to: number, streamPos: number): void {
    if (this.skipping) {
      (this.longLine as LongLine).length += to - from;
      return;
    }
    if (this.carryLen === 0) this.carryOffset = streamPos;
    const need = this.carryLen + (to - from);
    if (need > this.maxLineBytes) {
      this.skipping = true;
      this.longLine = { offset: this.baseOffset + this.carryOffset, line: this.newlines + 1, length: need };
      this.carryLen = 0;
      if (this.carry.length > 1 << 16) this.carry = Buffer.allocUnsafe(1 << 16);
      return;
    }
    if (need > this.carry.length) {
      const grown = Buffer.allocUnsafe(Math.min(this.maxLineBytes, Math.max(need, this.carry.length * 2)));
      this.carry.copy(grown, 0, 0, this.carryLen);
      this.carry = grown;
    }
    mem.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need;
  }

  private finishCarriedLine(mem: Buffer, start: number, nl: number, streamStart: number): void {
    if (this.skipping) {
      (this.longLine as LongLine).length += nl - start;
      this.reportLongLine();
    } else {
      this.appendCarry(mem, start, nl, streamStart);
      if (this.skipping) this.reportLongLine();
      else this.scanLine(this.carry.subarray(0, this.carryLen), this.carryOffset, this.newlines + 1);
    }
    this.carryLen = 0;
    this.skipping = false;
    this.newlines++;
  }

  private reportLongLine(): void {
    if (this.longLine) this.onLongLine(this.longLine);
    this.longLine = null;
  }

  /** A line assembled from the carry: searched with Buffer.indexOf (rare, small). */
  private scanLine(line: Buffer, streamOffset: number, lineNo: number): void {
    for (const nb of this.needleBufs) {
      if (line.indexOf(nb) >= 0) {
        this.onLine({ bytes: line, offset: this.baseOffset + streamOffset, line: lineNo });
        return;
      }
    }
  }
}
