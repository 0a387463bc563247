// Gunzip into memory the caller owns, synchronously, one piece at a time. Node's zlib streams allocate a
// fresh output Buffer per chunk and hop through the thread pool for each: on a 1 GiB log that is ~2.5x the
// CPU of the inflate itself, most of it garbage collection. zlib.gunzipSync does its work through the
// stream's native handle (handle.writeSync + the _writeState pair); this drives that handle the same way,
// but with one reused input buffer and the caller's output memory. The handle is not public API: when it
// is missing (another Node), openInflater returns null and callers use the stream.
import { closeSync, openSync, readSync } from 'node:fs';
import { constants, createGunzip } from 'node:zlib';

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
   * fault are returned first, the next call throws an InflateError.
   */
  read(out: Uint8Array, off: number, len: number): number;
  /** Compressed bytes read from the file so far. */
  readonly compressedBytes: number;
  close(): void;
}

const IN_BYTES = 256 << 10;
/**
 * Output per zlib call. On bad data zlib reports the error, not what it wrote before it in that call
 * (the stream API loses its chunk likewise): smaller calls lose less at the fault, at ~1 µs per call.
 */
const OUT_PER_CALL = 64 << 10;

/** null when this Node's zlib has no usable sync handle. Throws for a file that cannot be opened. */
export function openInflater(path: string): Inflater | null {
  const stream = createGunzip() as unknown as { _handle?: Partial<ZlibHandle>; _writeState?: unknown };
  const handle = stream._handle;
  const state = stream._writeState;
  if (
    !handle ||
    typeof handle.writeSync !== 'function' ||
    typeof handle.close !== 'function' ||
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
      while (!ended && produced < len) {
        if (inLen === 0 && !eof) {
          inLen = readSync(fd, input, 0, IN_BYTES, pos);
          inOff = 0;
          pos += inLen;
          if (inLen === 0) eof = true;
        }
        const room = Math.min(len - produced, OUT_PER_CALL);
        h.writeSync(eof ? constants.Z_FINISH : constants.Z_NO_FLUSH, input, inOff, inLen, out, off + produced, room);
        if (seen.fault) {
          // What this call decompressed is lost, as it is with the stream (no output on error).
          pendingFault = seen.fault;
          seen.fault = null;
          break;
        }
        const outLeft = state[0] as number;
        const inLeft = state[1] as number;
        inOff += inLen - inLeft;
        inLen = inLeft;
        produced += room - outLeft;
        if (outLeft === 0) continue; // this call's room is full: call again (or the caller comes back)
        // Room left but input not taken: zlib wants no more (as the stream does, the data ends here).
        // Room left after the Z_FINISH call: everything has come out.
        if (inLeft > 0 || eof) ended = true;
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
