// Where the streaming report keeps what it cannot hold: texts in memory up to a budget, then in a temp file
// that is unlinked as soon as it is opened (it goes when it is closed, or with the process, however that
// ends). Three shapes: texts read back in the order they were written (SeqSpill), texts read back by index
// (TextStore), and (key, text) entries read back sorted by key (SortedSpill: sorted runs, merged).
// Texts are single-line JSON (no raw newline or tab), so the file holds one entry a line.
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Text kept in memory by each store before it goes to a temp file. Small: what is kept is promoted to V8's
 * old generation, and 4 MiB per store cost 1 GiB's scan 13 MiB of peak RSS for no speed.
 */
export const SPILL_AFTER_BYTES = 256 << 10;
/** Sorted runs merged at once at most; more are first merged into one (a log far out of order). */
const MAX_RUNS = 32;
/**
 * Text appended before it is written. Small: a text waiting here outlives a scavenge or two and is promoted to the
 * old generation for nothing (256 KiB: 28 MB more promoted over a 4 GiB scan; 16 KiB is a write per ~25 texts).
 */
const WRITE_BYTES = 16 << 10;
const READ_BYTES = 64 << 10;
/**
 * lineAt reads this much at a time and keeps the last blocks it read: the report reads an incident's texts in log
 * order, and the next incident's near the last one's (4 GiB: 33,304 reads of 2 KiB before; 16 x 16 KiB: 2,212).
 */
const BLOCK_BYTES = 16 << 10;
const CACHED_BLOCKS = 16;

/** An append-only temp file, unlinked at once, written through a small buffer. */
class TempFile {
  private fd: number;
  /** Bytes in the file, flushed or not. */
  size = 0;
  private pending: string[] = [];
  private pendingChars = 0;
  /** Blocks lineAt read, newest first: the file only grows, so what was read stays true. */
  private blocks: { at: number; length: number; buf: Buffer }[] = [];

  constructor() {
    const dir = mkdtempSync(join(tmpdir(), 'nova-doctor-scan-'));
    const path = join(dir, 'spill');
    try {
      this.fd = openSync(path, 'w+', 0o600);
    } finally {
      try {
        unlinkSync(path);
      } catch {}
      rmdirSync(dir);
    }
  }

  /** Appends text; returns its byte offset. */
  append(text: string): number {
    const at = this.size;
    this.size += Buffer.byteLength(text);
    this.pending.push(text);
    this.pendingChars += text.length;
    if (this.pendingChars >= WRITE_BYTES) this.flush();
    return at;
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const buf = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
    for (let off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off, buf.length - off);
  }

  read(buf: Buffer, length: number, position: number): number {
    this.flush();
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n <= 0) break;
      got += n;
    }
    return got;
  }

  /** The lines of [start, end), each decoded on its own (no string keeps a whole chunk alive). */
  *lines(start: number, end: number): Generator<string> {
    let buf = Buffer.allocUnsafe(READ_BYTES);
    let have = 0; // bytes of buf in use, from its start
    let pos = start;
    while (pos < end || have > 0) {
      if (pos < end) {
        if (have === buf.length) {
          const bigger = Buffer.allocUnsafe(buf.length * 2); // a line longer than the buffer
          buf.copy(bigger, 0, 0, have);
          buf = bigger;
        }
        const n = this.read(buf.subarray(have), Math.min(buf.length - have, end - pos), pos);
        if (n <= 0) throw new Error('scan spill file ended early');
        pos += n;
        have += n;
      }
      let from = 0;
      for (let nl = buf.indexOf(10, 0); nl >= 0 && nl < have; nl = buf.indexOf(10, from)) {
        yield buf.toString('utf8', from, nl);
        from = nl + 1;
      }
      if (from === 0 && pos >= end) throw new Error('scan spill file: unterminated line');
      buf.copy(buf, 0, from, have);
      have -= from;
    }
  }

  /**
   * The line that starts at `position`. From a cached block when it holds the whole line: an incident's texts were
   * written together, and the next incident's nearby (one read of 2 KiB per text was 8k reads per GiB of log).
   */
  lineAt(position: number): string {
    for (const b of this.blocks) {
      if (position < b.at || position >= b.at + b.length) continue;
      const nl = b.buf.indexOf(10, position - b.at);
      if (nl >= 0 && nl < b.length) return b.buf.toString('utf8', position - b.at, nl);
      break; // the line goes on past the block: read from its start
    }
    const reused = this.blocks.length >= CACHED_BLOCKS ? this.blocks.pop() : undefined;
    const block = reused?.buf ?? Buffer.allocUnsafe(BLOCK_BYTES);
    const n = this.read(block, BLOCK_BYTES, position);
    this.blocks.unshift({ at: position, length: n, buf: block });
    const nl = block.subarray(0, n).indexOf(10);
    if (nl >= 0) return block.toString('utf8', 0, nl);
    // Longer than a block (rare): read it whole, uncached.
    for (let size = BLOCK_BYTES * 4; ; size *= 4) {
      const buf = Buffer.allocUnsafe(size);
      const got = this.read(buf, size, position);
      const end = buf.subarray(0, got).indexOf(10);
      if (end >= 0) return buf.toString('utf8', 0, end);
      if (got < size) throw new Error('scan spill file: unterminated line');
    }
  }

  close(): void {
    this.pending = [];
    this.blocks = [];
    closeSync(this.fd);
  }
}

/** A temp file, or null where none can be made (a read-only or full temp dir): then the store keeps its texts. */
function tempFileOrNull(): TempFile | null {
  try {
    return new TempFile();
  } catch {
    return null;
  }
}

/** Texts read back in the order they were added. */
export class SeqSpill {
  private mem: string[] = [];
  private memChars = 0;
  private file: TempFile | null = null;
  count = 0;

  constructor(private readonly budget = SPILL_AFTER_BYTES) {}

  add(text: string): void {
    this.count++;
    if (this.file) {
      this.file.append(`${text}\n`);
      return;
    }
    this.mem.push(text);
    this.memChars += text.length;
    if (this.memChars > this.budget) {
      this.file = tempFileOrNull();
      if (!this.file) this.memChars = Number.NEGATIVE_INFINITY; // no temp file: kept here
      for (const t of this.mem) this.file?.append(`${t}\n`);
      if (this.file) this.mem = [];
    }
  }

  *read(): Generator<string> {
    if (this.file) yield* this.file.lines(0, this.file.size);
    else yield* this.mem;
  }

  close(): void {
    this.file?.close();
    this.file = null;
    this.mem = [];
  }
}

/**
 * Texts read back by the number add() gave them, which is all a holder keeps (no table per text here): an
 * index while the texts are in memory, then the text's place in the file.
 */
export class TextStore {
  private mem: string[] = [];
  private memChars = 0;
  private file: TempFile | null = null;
  /** Where the texts that were in memory went (their numbers were handed out already). */
  private moved: number[] = [];

  constructor(private readonly budget = SPILL_AFTER_BYTES) {}

  add(text: string): number {
    if (this.file) return -1 - this.file.append(`${text}\n`);
    this.mem.push(text);
    this.memChars += text.length;
    const i = this.mem.length - 1;
    if (this.memChars > this.budget) {
      const file = tempFileOrNull();
      if (file) {
        this.file = file;
        this.moved = this.mem.map((t) => file.append(`${t}\n`));
        this.mem = [];
      } else this.memChars = Number.NEGATIVE_INFINITY; // no temp file: kept here
    }
    return i;
  }

  get(ref: number): string {
    if (!this.file) return this.mem[ref] as string;
    return this.file.lineAt(ref >= 0 ? (this.moved[ref] as number) : -1 - ref);
  }

  close(): void {
    this.file?.close();
    this.file = null;
    this.mem = [];
    this.moved = [];
  }
}

/**
 * (key, text) entries read back in key order: kept in memory up to the budget, then sorted and written as
 * a run; reading merges the runs. Keys must be unique (make the last part a sequence number) and survive
 * JSON (numbers and strings).
 */
export class SortedSpill<K> {
  private keys: K[] = [];
  private texts: string[] = [];
  private memChars = 0;
  private file: TempFile | null = null;
  private readonly runs: { start: number; end: number }[] = [];
  private lastKey: K | undefined;
  count = 0;

  constructor(
    private readonly compare: (a: K, b: K) => number,
    private readonly budget = SPILL_AFTER_BYTES,
  ) {}

  add(key: K, text: string): void {
    this.count++;
    // Once there is a file, an entry that comes after everything written goes straight on the end of the last
    // run: a log's entries nearly always do, and held here until the budget is full they were promoted to the
    // old generation for nothing (23 MB of a 4 GiB scan's).
    const last = this.runs.at(-1);
    if (
      this.file &&
      this.keys.length === 0 &&
      last?.end === this.file.size &&
      this.lastKey !== undefined &&
      this.compare(this.lastKey, key) < 0
    ) {
      this.file.append(`${JSON.stringify(key)}\t${text}\n`);
      last.end = this.file.size;
      this.lastKey = key;
      return;
    }
    this.keys.push(key);
    this.texts.push(text);
    this.memChars += text.length;
    if (this.memChars > this.budget) this.writeRun();
  }

  private sortedMemory(): number[] {
    const order = Array.from(this.keys, (_, i) => i);
    let sorted = true;
    for (let i = 1; i < this.keys.length && sorted; i++)
      sorted = this.compare(this.keys[i - 1] as K, this.keys[i] as K) < 0;
    if (!sorted) order.sort((a, b) => this.compare(this.keys[a] as K, this.keys[b] as K));
    return order;
  }

  private writeRun(): void {
    this.file ??= tempFileOrNull();
    if (!this.file) {
      this.memChars = Number.NEGATIVE_INFINITY; // no temp file: kept here
      return;
    }
    const start = this.file.size;
    const order = this.sortedMemory();
    for (const i of order) this.file.append(`${JSON.stringify(this.keys[i])}\t${this.texts[i]}\n`);
    const first = this.keys[order[0] as number] as K;
    const prev = this.runs.at(-1);
    // Logs are nearly in order: a run that starts after the last one ends continues it (one source to merge).
    if (prev && prev.end === start && this.lastKey !== undefined && this.compare(this.lastKey, first) < 0)
      prev.end = this.file.size;
    else this.runs.push({ start, end: this.file.size });
    this.lastKey = this.keys[order[order.length - 1] as number] as K;
    this.keys = [];
    this.texts = [];
    this.memChars = 0;
    if (this.runs.length > MAX_RUNS) {
      const runs = this.runs.splice(0);
      const from = this.file.size;
      for (const [key, text] of this.merge(runs.map((r) => this.runEntries(r.start, r.end))))
        this.file.append(`${JSON.stringify(key)}\t${text}\n`);
      this.runs.push({ start: from, end: this.file.size });
      this.lastKey = undefined;
    }
  }

  /** Every entry, in key order. Adding while reading is not allowed. */
  *read(): Generator<[K, string]> {
    const sources: Iterator<[K, string]>[] = this.runs.map((r) => this.runEntries(r.start, r.end));
    if (this.keys.length > 0) {
      const keys = this.keys;
      const texts = this.texts;
      const order = this.sortedMemory();
      sources.push(order.map((i): [K, string] => [keys[i] as K, texts[i] as string])[Symbol.iterator]());
    }
    yield* this.merge(sources);
  }

  private *merge(sources: Iterator<[K, string]>[]): Generator<[K, string]> {
    if (sources.length === 1) {
      for (
        let n = (sources[0] as Iterator<[K, string]>).next();
        !n.done;
        n = (sources[0] as Iterator<[K, string]>).next()
      )
        yield n.value;
      return;
    }
    const heads: ([K, string] | null)[] = sources.map((s) => {
      const n = s.next();
      return n.done ? null : n.value;
    });
    for (;;) {
      let best = -1;
      for (let i = 0; i < heads.length; i++) {
        const h = heads[i];
        if (h && (best < 0 || this.compare(h[0], (heads[best] as [K, string])[0]) < 0)) best = i;
      }
      if (best < 0) return;
      yield heads[best] as [K, string];
      const n = (sources[best] as Iterator<[K, string]>).next();
      heads[best] = n.done ? null : n.value;
    }
  }

  private *runEntries(start: number, end: number): Generator<[K, string]> {
    for (const line of (this.file as TempFile).lines(start, end)) {
      const tab = line.indexOf('\t');
      yield [JSON.parse(line.slice(0, tab)) as K, line.slice(tab + 1)];
    }
  }

  close(): void {
    this.file?.close();
    this.file = null;
    this.keys = [];
    this.texts = [];
  }
}
