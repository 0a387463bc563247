// Output of commands that stream thousands of records (trace --all): encoded straight into a Buffer and
// written one piece at a time, paced by the reader so a slow pipe or pager never makes the output pile up
// in memory. Joining the records into big strings first cost far more than the writes: one non-ASCII
// display name makes the whole joined string two-byte, and encoding that is slow.
import { once } from 'node:events';
import { jsonSafe, plainAsciiJson, terminalSafe } from '../../terminalText.js';

// A piece is a fresh Buffer each time (the stream may hold the last one). At 1 MiB each came from mmap,
// touched for the first time and kept until a GC: a 2 GiB scan's 15 MB of JSON added ~13 MiB to peak RSS
// and 3.5k page faults. 64 KiB pieces come from malloc's reused memory; the extra writes cost nothing.
export const PIECE_BYTES = 64 << 10;

export class BufferedOut {
  private buf = Buffer.allocUnsafe(PIECE_BYTES);
  private used = 0;

  private readonly safe: (text: string) => string;
  private readonly json: boolean;

  /**
   * `immediate`: every record is written at once (a terminal: the operator sees each as it comes). `kind`: what is
   * written, for the last pass every text gets on its way out: `text` is escaped for the terminal (terminalSafe),
   * `json` as \u escapes (jsonSafe: each write must hold whole string literals); both mask passwords.
   */
  constructor(
    private readonly stream: NodeJS.WritableStream = process.stdout,
    private readonly immediate = Boolean((stream as { isTTY?: boolean }).isTTY),
    kind: 'text' | 'json' = 'text',
  ) {
    this.safe = kind === 'json' ? jsonSafe : terminalSafe;
    this.json = kind === 'json';
  }

  /**
   * Adds `text`; a promise (to await before the next write) only when it had to write a piece out, so
   * callers writing thousands of small pieces do not pay an await each.
   */
  write(raw: string): Promise<void> | undefined {
    // JSON is encoded first and checked after: the byte count says whether it was all ASCII, which with no DEL and
    // no password leaves jsonSafe nothing to do (plainAsciiJson). A sweep's 229 MB went through jsonSafe's pattern
    // for ~0.3 s of CPU; nearly every record is such text.
    if (this.json && !this.immediate && this.used + raw.length * 3 <= this.buf.length) {
      const at = this.used;
      const written = this.buf.write(raw, at, 'utf8');
      if (plainAsciiJson(raw, written)) {
        this.used += written;
        return undefined;
      }
    }
    const text = this.safe(raw);
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    const most = text.length * 3;
    if (this.used + most > this.buf.length || this.immediate) return this.writeOut(text);
    this.used += this.buf.write(text, this.used, 'utf8');
    return undefined;
  }

  private async writeOut(text: string): Promise<void> {
    const most = text.length * 3;
    if (this.used + most > this.buf.length) await this.flush();
    if (most > this.buf.length) await this.send(Buffer.from(text, 'utf8'));
    else this.used += this.buf.write(text, this.used, 'utf8');
    if (this.immediate) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    const piece = this.buf.subarray(0, this.used);
    // The stream may keep the piece until it is written: the next records go into a fresh buffer.
    this.buf = Buffer.allocUnsafe(PIECE_BYTES);
    this.used = 0;
    await this.send(piece);
  }

  private async send(piece: Buffer): Promise<void> {
    if (!this.stream.write(piece)) await once(this.stream, 'drain');
  }
}
