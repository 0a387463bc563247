// Scanning one unit of work (a byte range of a plain file, a whole .gz file, or a stream such as stdin)
// into ScanEvents. The same code runs inside a worker thread and, as a fallback, in the calling thread.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { createGunzip } from 'node:zlib';
import type { SupportedInstance } from '../nova/types.js';
import { type DeferredLines, LineRecorder, type RecordingBuffers } from './deferredLines.js';
import type { FromInflater, ToInflater } from './gunzipWorker.js';
import { type HitLine, HitLineScanner, type LongLine } from './hitLines.js';
import { type Inflater, openInflater } from './inflate.js';
import { chooseAnchors, createNeedleScanner, makeNeedle, type NeedleScanner } from './needleScan.js';
import type { PropsTable, ScanEvent } from './scanEvent.js';
import { tightHeapGrowth } from './scanHeap.js';
import type { TimeRange } from './timeRange.js';
import type { ScanWarning } from './types.js';

/** Text that every line worth reading contains at least one of. */
export const NEEDLES: readonly string[] = [
  'image_props_filter', // the three ImagePropertiesFilter DEBUG lines (logger and source path)
  'Filtering removed all hosts', // nova.filters, INFO and DEBUG
  'returned 0 hosts', // nova.filters "Filter X returned 0 hosts"
  'No valid host was found', // conductor, api, oslo.messaging
  'Starting to schedule for instances', // scheduler manager: request id → instance uuids
  'Got no allocation candidates', // placement said no before any filter ran
];

export type WorkUnit =
  | {
      id: number;
      input: number;
      file: string;
      kind: 'range';
      start: number;
      end: number;
      /** The file's size and identity when the scan planned its ranges: a shrunk or replaced file is warned of. */
      size?: number;
      dev?: number;
      ino?: number;
    }
  | { id: number; input: number; file: string; kind: 'gzip' };

export interface UnitOptions {
  range: TimeRange;
  maxLineBytes: number;
  chunkBytes: number;
  engine: 'wasm' | 'js';
  /**
   * URL of the compiled gunzip helper (dist/logscan/gunzipWorker.js): .gz units are then decompressed in a
   * thread of their own while the scanning thread reads; null: decompress in the scanning thread.
   */
  inflateScript?: string | null;
}

export interface UnitResult {
  id: number;
  events: ScanEvent[];
  props: PropsTable;
  /** supported_instances lists that WireEvents refer to by suppId. */
  supps: (SupportedInstance[] | null)[];
  /** Newlines in the unit: line numbers of later ranges of the same file start after them. */
  newlines: number;
  /** Lines in the unit (newlines, plus a last line without one). */
  lines: number;
  bytes: number;
  /** Line numbers here are relative to the unit, like the events'. */
  warnings: ScanWarning[];
  /** Lines a recording sink kept, still to be interpreted (events is empty until then). */
  deferred?: DeferredLines;
}

export const DEFAULT_UNIT_OPTIONS: Omit<UnitOptions, 'range'> = {
  maxLineBytes: 8 << 20,
  chunkBytes: 1 << 20,
  engine: 'wasm',
};

function scannerFor(opts: UnitOptions): NeedleScanner {
  return createNeedleScanner(
    NEEDLES.map((t) => makeNeedle(t)),
    opts.chunkBytes,
    opts.engine,
  );
}

/**
 * One scanner per thread, engine and chunk size, shared by every unit the thread scans: its memory
 * (~1 MiB) and the compiled kernel are reused, and a unit's data only lives in it for the duration of
 * one synchronous feed, so units that interleave across awaits (stdin next to files) never see each
 * other's bytes. The anchors are chosen once, from the first sample of log this thread sees.
 */
const shared = new Map<string, { scanner: NeedleScanner; tuned: boolean }>();
function threadScanner(opts: UnitOptions): { scanner: NeedleScanner; tune: (sample: Uint8Array) => void } {
  const key = `${opts.engine}:${opts.chunkBytes}`;
  let entry = shared.get(key);
  if (!entry) shared.set(key, (entry = { scanner: scannerFor(opts), tuned: false }));
  const e = entry;
  return {
    scanner: e.scanner,
    tune(sample) {
      if (e.tuned) return;
      e.tuned = true;
      e.scanner.setNeedles(chooseAnchors(NEEDLES, sample.subarray(0, 256 << 10)));
    },
  };
}

let engineKind: 'wasm' | 'js' | null = null;

/**
 * The needle engine this runtime really uses ('js' when WebAssembly SIMD is unavailable): the kind of this
 * thread's scanner when it has one (a scan that read anything here), else of one made to find out (its memory
 * and kernel compiled for nothing, ~1 MiB and a few ms: not for every report).
 */
export function scannerEngine(opts: UnitOptions): 'wasm' | 'js' {
  if (opts.engine === 'js') return 'js';
  engineKind ??= shared.get(`${opts.engine}:${opts.chunkBytes}`)?.scanner.kind ?? scannerFor(opts).kind;
  return engineKind;
}

/** Binary, not a log: many NUL/control bytes at the start (a NUL-filled hole later is tolerated per line). */
export function looksBinary(sample: Uint8Array): boolean {
  let bad = 0;
  for (let i = 0; i < sample.length; i++) {
    const b = sample[i] as number;
    if (b === 0 || b < 9 || (b > 13 && b < 32 && b !== 27)) bad++;
  }
  return sample.length > 0 && bad / sample.length > 0.1;
}

/** Scanning in the calling thread gives the event loop a turn this often (progress, cancellation, UI). */
const YIELD_BYTES = 8 << 20;

export interface UnitHooks {
  /** Where the unit's hit lines go (the unit's interpretation): see LineSink. */
  sink: SinkFactory;
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/**
 * Where a unit's hit lines go: interpreted at once (interpretingSink, in the thread that collects the
 * results) or recorded for that thread (recordingSink, on workers: deferredLines.ts says why). This
 * module only finds lines, so a worker never loads the interpreter.
 */
export interface LineSink {
  line(h: HitLine): void;
  longLine(l: LongLine): void;
  /** The unit's warnings; the scan adds its own (unreadable, binary). */
  readonly warnings: ScanWarning[];
  /** The interpretation part of the unit's result, once its last line is in. */
  finish(): Pick<UnitResult, 'events' | 'props' | 'supps' | 'deferred'>;
}
export type SinkFactory = (input: number, file: string, opts: UnitOptions) => LineSink;

/** Keeps the lines, packed, for interpretDeferred in another thread; in buffers from `reuse` when it has some. */
export const recordingSinkWith =
  (reuse: () => RecordingBuffers | undefined): SinkFactory =>
  () => {
    const recorder = new LineRecorder(reuse());
    return {
      line: (h) => recorder.line(h),
      longLine: (l) => recorder.longLine(l),
      warnings: [],
      finish: () => ({ events: [], props: { texts: [], parsed: [] }, supps: [], deferred: recorder.finish() }),
    };
  };

/** Keeps the lines, packed, for interpretDeferred in another thread. */
export const recordingSink: SinkFactory = recordingSinkWith(() => undefined);

/** Runs one unit of either kind. */
export function runUnit(unit: WorkUnit, opts: UnitOptions, hooks: UnitHooks): Promise<UnitResult> {
  return unit.kind === 'gzip' ? scanGzipUnit(unit, opts, hooks) : scanRangeUnit(unit, opts, hooks);
}

/** Scans a plain file's byte range [start, end) that begins at a line start. */
export async function scanRangeUnit(
  unit: Extract<WorkUnit, { kind: 'range' }>,
  opts: UnitOptions,
  hooks: UnitHooks,
): Promise<UnitResult> {
  const { sink, hit, scanner, tune } = unitReader(unit.input, unit.file, opts, hooks.sink, unit.start);
  let fd: number;
  try {
    fd = openSync(unit.file, 'r');
  } catch (e) {
    sink.warnings.push({ file: unit.file, message: ioMessage(e) });
    return result(unit.id, sink, hit);
  }
  try {
    // Rotated (renamed and replaced) between planning and now: these offsets belong to another file.
    const st = unit.ino !== undefined ? fstatSync(fd) : null;
    if (st && (st.ino !== unit.ino || st.dev !== unit.dev)) {
      sink.warnings.push({
        file: unit.file,
        offset: unit.start,
        message: `replaced (rotated?) while it was scanned: bytes ${unit.start}-${unit.end} not scanned`,
      });
      return result(unit.id, sink, hit);
    }
    let pos = unit.start;
    let first = true;
    let sinceYield = 0;
    const shrank = () =>
      sink.warnings.push({
        file: unit.file,
        offset: pos,
        message: `shrank while it was scanned (truncated or rotated?): ${unit.size ?? unit.end} bytes when the scan began, scanned up to byte ${pos}`,
      });
    while (pos < unit.end) {
      if (hooks.signal?.aborted) break;
      const { start, length } = hit.area;
      const n = readSync(fd, scanner.buffer, start, Math.min(length, unit.end - pos), pos);
      if (n <= 0) {
        // Truncated (copytruncate rotation, an operator's `> file`) under the scan: the rest is gone.
        shrank();
        break;
      }
      if (first) {
        first = false;
        const sample = scanner.buffer.subarray(start, start + n);
        if (unit.start === 0 && looksBinary(sample.subarray(0, 65536))) {
          sink.warnings.push({
            file: unit.file,
            offset: 0,
            message: 'binary file (NUL or control bytes), not a log: skipped',
          });
          break;
        }
        tune(sample);
      }
      hit.feedInPlace(n);
      pos += n;
      hooks.onBytes?.(n);
      sinceYield += n;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        // Let the event loop breathe (progress rendering, cancellation) when scanning in-thread.
        await new Promise((r) => setImmediate(r));
      }
    }
    // Truncated and written again while this range was read: what was read may mix two logs.
    if (pos >= unit.end && unit.size !== undefined && fstatSync(fd).size < unit.size) shrank();
    hit.end();
  } catch (e) {
    sink.warnings.push({ file: unit.file, message: ioMessage(e) });
  } finally {
    closeSync(fd);
  }
  return result(unit.id, sink, hit);
}

/** Scans a readable stream of log bytes (stdin, or a decompressed .gz). */
export async function scanStreamUnit(
  id: number,
  input: number,
  file: string,
  stream: Readable,
  opts: UnitOptions,
  hooks: UnitHooks & { describeError?: (e: unknown) => string },
): Promise<UnitResult> {
  const { sink, hit, tune } = unitReader(input, file, opts, hooks.sink);
  let first = true;
  let skipped = false;
  await new Promise<void>((resolve) => {
    const onAbort = () => {
      stream.destroy();
      resolve();
    };
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    stream.on('data', (chunk: Buffer) => {
      if (skipped) return;
      if (first) {
        first = false;
        if (looksBinary(chunk.subarray(0, 65536))) {
          sink.warnings.push({ file, offset: 0, message: BINARY_DATA });
          skipped = true;
          stream.destroy();
          resolve();
          return;
        }
        tune(chunk);
      }
      hit.feed(chunk);
      hooks.onBytes?.(chunk.length);
    });
    stream.on('error', (e) => {
      sink.warnings.push({
        file,
        offset: hit.bytes,
        message: hooks.describeError ? hooks.describeError(e) : ioMessage(e),
      });
      resolve();
    });
    stream.on('end', () => resolve());
    stream.on('close', () => resolve());
  });
  if (!skipped) hit.end();
  return result(id, sink, hit);
}

/**
 * A whole .gz file (members concatenated by logrotate are read one after the other). Decompressed by a
 * helper thread while this one scans (opts.inflateScript), else here; zlib's stream API is the fallback
 * when this Node's zlib handle cannot be driven directly (inflate.ts).
 */
export async function scanGzipUnit(
  unit: Extract<WorkUnit, { kind: 'gzip' }>,
  opts: UnitOptions,
  hooks: UnitHooks,
): Promise<UnitResult> {
  let inflater: Inflater | null;
  try {
    inflater = openInflater(unit.file);
  } catch (e) {
    const sink = hooks.sink(unit.input, unit.file, opts);
    sink.warnings.push({ file: unit.file, offset: 0, message: gzipMessage(e, 0) });
    return emptyResult(unit.id, sink);
  }
  if (inflater === null) return scanGzipStream(unit, opts, hooks);
  if (opts.inflateScript) {
    // The helper opens the file itself; this probe only proved the handle works here.
    inflater.close();
    return scanGzipWithHelper(unit, opts, hooks, opts.inflateScript);
  }
  return scanGzipInThread(unit, inflater, opts, hooks);
}

/** Decompresses straight into the scanner's memory: no copy, no allocation per chunk. */
async function scanGzipInThread(
  unit: Extract<WorkUnit, { kind: 'gzip' }>,
  inflater: Inflater,
  opts: UnitOptions,
  hooks: UnitHooks,
): Promise<UnitResult> {
  const { sink, hit, scanner, tune } = unitReader(unit.input, unit.file, opts, hooks.sink);
  let reported = 0;
  try {
    let first = true;
    let sinceYield = 0;
    for (;;) {
      if (hooks.signal?.aborted) break;
      const { start, length } = hit.area;
      let n: number;
      try {
        n = inflater.read(scanner.buffer, start, length);
      } catch (e) {
        sink.warnings.push({ file: unit.file, offset: hit.bytes, message: gzipMessage(e, inflater.compressedBytes) });
        break;
      }
      if (n === 0) break;
      if (first) {
        first = false;
        const sample = scanner.buffer.subarray(start, start + n);
        if (looksBinary(sample.subarray(0, 65536))) {
          sink.warnings.push({ file: unit.file, offset: 0, message: BINARY_DATA });
          return emptyResult(unit.id, sink);
        }
        tune(sample);
      }
      hit.feedInPlace(n);
      hooks.onBytes?.(inflater.compressedBytes - reported);
      reported = inflater.compressedBytes;
      sinceYield += n;
      if (sinceYield >= YIELD_BYTES) {
        sinceYield = 0;
        await new Promise((r) => setImmediate(r));
      }
    }
    hit.end();
  } finally {
    hooks.onBytes?.(inflater.compressedBytes - reported);
    inflater.close();
  }
  return result(unit.id, sink, hit);
}

/** Buffers that travel between the helper (decompressing into them) and this thread (scanning them). */
const HELPER_BUFFERS = 4;

/** Another thread decompresses into a few buffers that go back and forth; this one scans them. */
async function scanGzipWithHelper(
  unit: Extract<WorkUnit, { kind: 'gzip' }>,
  opts: UnitOptions,
  hooks: UnitHooks,
  script: string,
): Promise<UnitResult> {
  const { sink, hit, tune } = unitReader(unit.input, unit.file, opts, hooks.sink);
  let worker: Worker;
  try {
    worker = new Worker(new URL(script), { workerData: { tightHeap: tightHeapGrowth() } });
  } catch {
    const inflater = openInflater(unit.file);
    return inflater ? scanGzipInThread(unit, inflater, opts, hooks) : scanGzipStream(unit, opts, hooks);
  }
  let reported = 0;
  let skipped = false;
  await new Promise<void>((resolve) => {
    let settled = false;
    const done = () => {
      if (settled) return;
      settled = true;
      hooks.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      resolve();
    };
    const onAbort = () => done();
    hooks.signal?.addEventListener('abort', onAbort, { once: true });
    let first = true;
    worker.on('message', (m: FromInflater) => {
      if (settled) return;
      if (m.type === 'data') {
        const chunk = new Uint8Array(m.buffer, 0, m.length);
        if (first) {
          first = false;
          if (looksBinary(chunk.subarray(0, 65536))) {
            sink.warnings.push({ file: unit.file, offset: 0, message: BINARY_DATA });
            skipped = true;
            done();
            return;
          }
          tune(chunk);
        }
        hit.feed(chunk);
        hooks.onBytes?.(m.compressed - reported);
        reported = m.compressed;
        worker.postMessage({ type: 'buffer', buffer: m.buffer } satisfies ToInflater, [m.buffer]);
      } else {
        hooks.onBytes?.(m.compressed - reported);
        reported = m.compressed;
        if (m.error)
          sink.warnings.push({ file: unit.file, offset: hit.bytes, message: gzipMessage(m.error, m.compressed) });
        done();
      }
    });
    worker.on('error', (e) => {
      sink.warnings.push({ file: unit.file, offset: hit.bytes, message: `decompression stopped: ${ioMessage(e)}` });
      done();
    });
    const buffers = Array.from({ length: HELPER_BUFFERS }, () => new ArrayBuffer(opts.chunkBytes));
    worker.postMessage({ type: 'start', file: unit.file, buffers } satisfies ToInflater, buffers);
  });
  if (skipped) {
    return emptyResult(unit.id, sink);
  }
  hit.end();
  return result(unit.id, sink, hit);
}

/** zlib's stream API: the fallback when the zlib handle cannot be driven directly (exported for tests). */
export function scanGzipStream(
  unit: Extract<WorkUnit, { kind: 'gzip' }>,
  opts: UnitOptions,
  hooks: UnitHooks,
): Promise<UnitResult> {
  const file = createReadStream(unit.file, { highWaterMark: 1 << 20 });
  let compressed = 0;
  file.on('data', (c) => {
    compressed += c.length;
  });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  file.on('error', (e) => gunzip.destroy(e));
  file.pipe(gunzip);
  // Progress in compressed bytes: that is what the file size (bytesTotal) measures.
  let reported = 0;
  return scanStreamUnit(unit.id, unit.input, unit.file, gunzip, opts, {
    sink: hooks.sink,
    signal: hooks.signal,
    onBytes: () => {
      hooks.onBytes?.(compressed - reported);
      reported = compressed;
    },
    describeError: (e) => gzipMessage(e, compressed),
  });
}

const BINARY_DATA = 'binary data (NUL or control bytes), not a log: skipped';

/** The sink, the thread's scanner and the hit-line reader of one unit (`baseOffset`: its first byte). */
function unitReader(input: number, file: string, opts: UnitOptions, sinks: SinkFactory, baseOffset = 0) {
  const sink = sinks(input, file, opts);
  const { scanner, tune } = threadScanner(opts);
  const hit = new HitLineScanner(
    scanner,
    NEEDLES.map((t) => makeNeedle(t)),
    (h) => sink.line(h),
    (l) => sink.longLine(l),
    opts.maxLineBytes,
    baseOffset,
  );
  return { sink, hit, scanner, tune };
}

export function gzipMessage(e: unknown, compressedBytes: number): string {
  const code = (e as { code?: string }).code;
  // The default finishFlush makes zlib say so when the input ends mid-stream; the data before
  // that point has already been delivered and scanned (checked: same bytes as Z_SYNC_FLUSH yields).
  if (code === 'Z_BUF_ERROR')
    return `truncated gzip data: scanned what decompressed before the end (${compressedBytes} compressed bytes read)`;
  if (code === 'TRAILING_GARBAGE')
    return `bytes after the last gzip member are not gzip (a rotation cut short?): scanned everything before them (${compressedBytes} compressed bytes read)`;
  if (code === 'Z_DATA_ERROR')
    return `corrupt gzip data after ${compressedBytes} compressed bytes: scanned up to there (${(e as Error).message})`;
  return ioMessage(e);
}

export function ioMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a log file';
    default:
      return err.message ?? String(e);
  }
}

export function longLineWarning(file: string, line: number, offset: number, length: number, max: number): ScanWarning {
  return { file, line, offset, message: `line longer than ${max} bytes (${length} bytes) skipped` };
}

/** A unit that was skipped (binary) or could not be opened: its warnings only. */
function emptyResult(id: number, sink: LineSink): UnitResult {
  return { id, ...sink.finish(), newlines: 0, lines: 0, bytes: 0, warnings: sink.warnings };
}

function result(id: number, sink: LineSink, hit: HitLineScanner): UnitResult {
  return {
    id,
    ...sink.finish(),
    newlines: hit.newlines,
    lines: hit.newlines + (hit.trailingLine ? 1 : 0),
    bytes: hit.bytes,
    warnings: sink.warnings,
  };
}
