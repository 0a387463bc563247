// Scanning one unit of work (a byte range of a plain file, a whole .gz file, or a stream such as stdin)
// into ScanEvents. The same code runs inside a worker thread and, as a fallback, in the calling thread.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { SupportedInstance } from '../nova/types.js';
import { HitLineScanner } from './hitLines.js';
import { LineInterpreter } from './lineInterpreter.js';
import { chooseAnchors, createNeedleScanner, makeNeedle, type NeedleScanner } from './needleScan.js';
import type { PropsTable, ScanEvent } from './scanEvent.js';
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
  | { id: number; input: number; file: string; kind: 'range'; start: number; end: number }
  | { id: number; input: number; file: string; kind: 'gzip' };

export interface UnitOptions {
  range: TimeRange;
  maxLineBytes: number;
  chunkBytes: number;
  engine: 'wasm' | 'js';
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
}

export const DEFAULT_UNIT_OPTIONS: Omit<UnitOptions, 'range'> = {
  maxLineBytes: 8 << 20,
  chunkBytes: 1 << 20,
  engine: 'wasm',
};

/**
 * A scanner of its own for each unit: units may run concurrently in one thread (stdin next to files),
 * and the data lives in the scanner's memory. Creating one costs ~1 MiB and a kernel compile (≈1 ms).
 */
function scannerFor(opts: UnitOptions): NeedleScanner {
  return createNeedleScanner(
    NEEDLES.map((t) => makeNeedle(t)),
    opts.chunkBytes,
    opts.engine,
  );
}

let engineKind: 'wasm' | 'js' | null = null;

/** The needle engine this runtime really uses ('js' when WebAssembly SIMD is unavailable). */
export function scannerEngine(opts: UnitOptions): 'wasm' | 'js' {
  if (opts.engine === 'js') return 'js';
  engineKind ??= scannerFor(opts).kind;
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

export interface UnitHooks {
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

/** Scans a plain file's byte range [start, end) that begins at a line start. */
export async function scanRangeUnit(
  unit: Extract<WorkUnit, { kind: 'range' }>,
  opts: UnitOptions,
  hooks: UnitHooks = {},
): Promise<UnitResult> {
  const interp = new LineInterpreter(unit.input, unit.file, opts.range);
  const scanner = scannerFor(opts);
  const hit = new HitLineScanner(
    scanner,
    NEEDLES.map((t) => makeNeedle(t)),
    (h) => interp.line(h),
    (l) => interp.warn('long line', longLineWarning(unit.file, l.line, l.offset, l.length, opts.maxLineBytes)),
    opts.maxLineBytes,
    unit.start,
  );
  let fd: number;
  try {
    fd = openSync(unit.file, 'r');
  } catch (e) {
    interp.warnings.push({ file: unit.file, message: ioMessage(e) });
    return result(unit.id, interp, hit);
  }
  try {
    let pos = unit.start;
    let first = true;
    let sinceYield = 0;
    while (pos < unit.end) {
      if (hooks.signal?.aborted) break;
      const { start, length } = hit.area;
      const n = readSync(fd, scanner.buffer, start, Math.min(length, unit.end - pos), pos);
      if (n <= 0) break;
      if (first) {
        first = false;
        const sample = scanner.buffer.subarray(start, start + n);
        if (unit.start === 0 && looksBinary(sample.subarray(0, 65536))) {
          interp.warnings.push({
            file: unit.file,
            offset: 0,
            message: 'binary file (NUL or control bytes), not a log: skipped',
          });
          break;
        }
        scanner.setNeedles(chooseAnchors(NEEDLES, sample.subarray(0, 64 << 10)));
      }
      hit.feedInPlace(n);
      pos += n;
      hooks.onBytes?.(n);
      sinceYield += n;
      if (sinceYield >= 32 << 20) {
        sinceYield = 0;
        // Let the event loop breathe (progress rendering, cancellation) when scanning in-thread.
        await new Promise((r) => setImmediate(r));
      }
    }
    hit.end();
  } catch (e) {
    interp.warnings.push({ file: unit.file, message: ioMessage(e) });
  } finally {
    closeSync(fd);
  }
  return result(unit.id, interp, hit);
}

/** Scans a readable stream of log bytes (stdin, or a decompressed .gz). */
export async function scanStreamUnit(
  id: number,
  input: number,
  file: string,
  stream: Readable,
  opts: UnitOptions,
  hooks: UnitHooks & { describeError?: (e: unknown) => string } = {},
): Promise<UnitResult> {
  const interp = new LineInterpreter(input, file, opts.range);
  const scanner = scannerFor(opts);
  const hit = new HitLineScanner(
    scanner,
    NEEDLES.map((t) => makeNeedle(t)),
    (h) => interp.line(h),
    (l) => interp.warn('long line', longLineWarning(file, l.line, l.offset, l.length, opts.maxLineBytes)),
    opts.maxLineBytes,
  );
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
          interp.warnings.push({ file, offset: 0, message: 'binary data (NUL or control bytes), not a log: skipped' });
          skipped = true;
          stream.destroy();
          resolve();
          return;
        }
        scanner.setNeedles(chooseAnchors(NEEDLES, chunk.subarray(0, 64 << 10)));
      }
      hit.feed(chunk);
      hooks.onBytes?.(chunk.length);
    });
    stream.on('error', (e) => {
      interp.warnings.push({
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
  return result(id, interp, hit);
}

/** A whole .gz file (members concatenated by logrotate are read one after the other). */
export async function scanGzipUnit(
  unit: Extract<WorkUnit, { kind: 'gzip' }>,
  opts: UnitOptions,
  hooks: UnitHooks = {},
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
    signal: hooks.signal,
    onBytes: () => {
      hooks.onBytes?.(compressed - reported);
      reported = compressed;
    },
    describeError: (e) => gzipMessage(e, compressed),
  });
}

export function gzipMessage(e: unknown, compressedBytes: number): string {
  const code = (e as { code?: string }).code;
  // The default finishFlush makes zlib say so when the input ends mid-stream; the data before
  // that point has already been delivered and scanned (checked: same bytes as Z_SYNC_FLUSH yields).
  if (code === 'Z_BUF_ERROR')
    return `truncated gzip data: scanned what decompressed before the end (${compressedBytes} compressed bytes read)`;
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

function longLineWarning(file: string, line: number, offset: number, length: number, max: number): ScanWarning {
  return { file, line, offset, message: `line longer than ${max} bytes (${length} bytes) skipped` };
}

function result(id: number, interp: LineInterpreter, hit: HitLineScanner): UnitResult {
  interp.finish();
  return {
    id,
    events: interp.events,
    props: interp.props,
    supps: interp.supps,
    newlines: hit.newlines,
    lines: hit.newlines + (hit.trailingLine ? 1 : 0),
    bytes: hit.bytes,
    warnings: interp.warnings,
  };
}
