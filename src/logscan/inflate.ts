// Gunzip into memory the caller owns, synchronously, one piece at a time. Node's zlib streams allocate a
// fresh output Buffer per chunk and hop through the thread pool for each: on a 1 GiB log that is ~2.5x the
// CPU of the inflate itself, most of it garbage collection. zlib.gunzipSync does its work through the
// stream's native handle (handle.writeSync + the _writeState pair); this drives that handle the same way,
// but with one reused input buffer and the caller's output memory. The handle is not public API: when it
// is missing (another Node), openInflater returns null and callers use the stream.
import { closeSync, openSync, readSync } from 'node:fs';
import * as zlib from 'node:zlib';
import { constants, createInflateRaw } from 'node:zlib';

interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  onerror: (message: string, errno: number, code?: string) => void;
  reset(): void;
  close(): void;
}

/** A zlib error as the stream would have emitted it (code Z_BUF_ERROR for a truncated file, …). */
export class InflateError extends Error {
  constructor(
    message: string,
    readonly errno: number,
    readonly code: string | undefined,
  ) {
    super(message);
  }
}

export interface Inflater {
  /**
   * Fills out[off, off + len) with decompressed bytes; returns how many, 0 at the end of the data.
   * Multi-member files (logrotate + cat) are read through. Bad or truncated data: the bytes before the
   * fault are returned first, the next call throws an InflateError: code Z_BUF_ERROR for a file that ends
   * inside a member, TRAILING_GARBAGE for bytes after the last member that are not one, Z_DATA_ERROR for
   * corrupt data or a failed check.
   */
  read(out: Uint8Array, off: number, len: number): number;
  /** Compressed bytes read from the file so far. */
  readonly compressedBytes: number;
  close(): void;
}

const IN_BYTES = 256 << 10;
/**
 * Output per zlib call. On corrupt deflate data zlib reports the error, not what it wrote before it in that call
 * (the stream API loses its chunk likewise): smaller calls lose less at the fault, at ~1 µs per call.
 */
const OUT_PER_CALL = 64 << 10;

// gzip members (RFC 1952) are framed here and only their deflate data goes to zlib (a raw inflater): zlib's own
// gunzip reads on into whatever follows a member in the same call and, when that is not another member (what a
// crash during rotation leaves: a cut member, garbage), reports the error and not the bytes it had written before
// it, which lost all of a small log. Framed here, every byte zlib decoded is handed out before the fault, and the
// end of a truncated file is found without Z_FINISH (which would also drop the last call's output).
const FTEXT_MASK = 0xe0; // reserved flag bits must be zero
const FHCRC = 2;
const FEXTRA = 4;
const FNAME = 8;
const FCOMMENT = 16;

/** Length of the gzip header at buf[off, off + len), 0 when more bytes are needed, -1 when it is not one. */
function gzipHeaderLength(buf: Uint8Array, off: number, len: number): number {
  if (len >= 1 && buf[off] !== 0x1f) return -1;
  if (len >= 2 && buf[off + 1] !== 0x8b) return -1;
  if (len >= 3 && buf[off + 2] !== 8) return -1;
  if (len >= 4 && ((buf[off + 3] as number) & FTEXT_MASK) !== 0) return -1;
  if (len < 10) return 0;
  const flg = buf[off + 3] as number;
  let p = 10;
  if (flg & FEXTRA) {
    if (len < p + 2) return 0;
    p += 2 + ((buf[off + p] as number) | ((buf[off + p + 1] as number) << 8));
  }
  for (const flag of [FNAME, FCOMMENT]) {
    if (!(flg & flag)) continue;
    const nul = buf.subarray(off + Math.min(p, len), off + len).indexOf(0);
    if (nul < 0) return 0;
    p += nul + 1;
  }
  if (flg & FHCRC) p += 2;
  return p <= len ? p : 0;
}

const crc32: ((data: Uint8Array, value?: number) => number) | undefined = (
  zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }
).crc32;

/** null when this Node's zlib has no usable sync handle. Throws for a file that cannot be opened. */
export function openInflater(path: string): Inflater | null {
  const stream = createInflateRaw() as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
  const handle = stream._handle;
  const state = stream._writeState;
  if (
    !handle ||
    typeof handle.writeSync !== 'function' ||
    typeof handle.close !== 'function' ||
    typeof handle.reset !== 'function' ||
    !(state instanceof Uint32Array) ||
    state.length < 2
  )
    return null;
  const h = handle as ZlibHandle;
  // Set by the handle during writeSync (a holder: TypeScript cannot see a callback assign a local).
  const seen: { fault: InflateError | null } = { fault: null };
  h.onerror = (message, errno, code) => {
    seen.fault = new InflateError(message, errno, code);
  };
  const fd = openSync(path, 'r');
  const input = Buffer.allocUnsafe(IN_BYTES);
  let inOff = 0;
  let inLen = 0;
  let pos = 0;
  let eof = false;
  let ended = false;
  let pendingFault: InflateError | null = null;
  let closed = false;
  // Where we are in the file: a member's header, its deflate data, its trailer, or between members.
  let phase: 'header' | 'body' | 'trailer' | 'between' = 'header';
  let members = 0;
  let memberCrc = 0;
  let memberSize = 0;

  /** At least `need` unread input bytes if the file has them (compacting the buffer); false at end of file. */
  const fill = (need: number): boolean => {
    while (inLen < need && !eof) {
      if (inOff > 0) {
        input.copyWithin(0, inOff, inOff + inLen);
        inOff = 0;
      }
      const n = readSync(fd, input, inLen, IN_BYTES - inLen, pos);
      pos += n;
      inLen += n;
      if (n === 0) eof = true;
    }
    return inLen >= need;
  };
  const fault = (message: string, code: string) => {
    pendingFault = new InflateError(message, 0, code);
  };

  return {
    get compressedBytes() {
      return pos;
    },
    read(out, off, len) {
      if (pendingFault) {
        const f = pendingFault;
        pendingFault = null;
        ended = true;
        throw f;
      }
      let produced = 0;
      while (!ended && !pendingFault && produced < len) {
        if (phase === 'between') {
          // Zero padding after the last member is fine (zlib's gunzip accepts it too); another member goes on.
          if (!fill(1)) {
            ended = true;
            break;
          }
          if (input[inOff] === 0) {
            const rest = input.subarray(inOff, inOff + inLen);
            const nonZero = rest.findIndex((b) => b !== 0);
            if (nonZero < 0) {
              inOff += inLen;
              inLen = 0;
              continue;
            }
            inOff += nonZero;
            inLen -= nonZero;
            fault('bytes that are not gzip after zero padding', 'TRAILING_GARBAGE');
            break;
          }
          phase = 'header';
        }
        if (phase === 'header') {
          let hlen = 0;
          for (let want = 10; ; want = Math.min(IN_BYTES, inLen + 1)) {
            const have = fill(want);
            hlen = gzipHeaderLength(input, inOff, inLen);
            if (hlen !== 0 || !have || inLen >= IN_BYTES) break;
          }
          if (hlen === 0) {
            fault('unexpected end of file', 'Z_BUF_ERROR'); // a header cut short
            break;
          }
          if (hlen < 0) {
            if (members === 0) fault('incorrect header check', 'Z_DATA_ERROR');
            else fault('bytes that are not gzip after the last member', 'TRAILING_GARBAGE');
            break;
          }
          inOff += hlen;
          inLen -= hlen;
          members++;
          memberCrc = 0;
          memberSize = 0;
          phase = 'body';
          continue;
        }
        if (phase === 'trailer') {
          if (!fill(8)) {
            fault('unexpected end of file', 'Z_BUF_ERROR');
            break;
          }
          const crc = input.readUInt32LE(inOff);
          const size = input.readUInt32LE(inOff + 4);
          inOff += 8;
          inLen -= 8;
          if (size !== memberSize >>> 0 || (crc32 && crc !== memberCrc >>> 0)) {
            fault(size !== memberSize >>> 0 ? 'incorrect length check' : 'incorrect data check', 'Z_DATA_ERROR');
            break;
          }
          h.reset();
          phase = 'between';
          continue;
        }
        // The member's deflate data.
        if (inLen === 0 && !fill(1)) {
          // The file ends inside the member: everything zlib could decode has been handed out already.
          fault('unexpected end of file', 'Z_BUF_ERROR');
          break;
        }
        const room = Math.min(len - produced, OUT_PER_CALL);
        h.writeSync(constants.Z_NO_FLUSH, input, inOff, inLen, out, off + produced, room);
        if (seen.fault) {
          // What this call decompressed is lost, as it is with the stream (no output on error).
          pendingFault = seen.fault;
          seen.fault = null;
          break;
        }
        const outLeft = state[0] as number;
        const inLeft = state[1] as number;
        const n = room - outLeft;
        if (crc32 && n > 0) memberCrc = crc32(out.subarray(off + produced, off + produced + n), memberCrc);
        memberSize += n;
        inOff += inLen - inLeft;
        inLen = inLeft;
        produced += n;
        if (outLeft === 0) continue; // this call's room is full: call again (or the caller comes back)
        // Room left but input not taken: the deflate data has ended; its trailer follows.
        if (inLeft > 0) phase = 'trailer';
        else if (n === 0 && inLen === 0 && eof) {
          fault('unexpected end of file', 'Z_BUF_ERROR');
          break;
        }
      }
      if (produced === 0 && pendingFault) {
        const f: InflateError = pendingFault;
        pendingFault = null;
        ended = true;
        throw f;
      }
      return produced;
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
      h.close();
    },
  };
}
