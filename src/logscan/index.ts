// Public API of the log scanner: scanLogs() reads any number of nova logs (plain, .gz, stdin, globs)
// and returns incidents per instance; defaultLogInputs() says where logs usually are.

import { closeSync, createReadStream, openSync, readSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { type CorrelatedTexts, Correlator, type LogEvent, type ResolvedEvent } from './correlate.js';
import { correlateWhole } from './correlateWhole.js';
import { settledProbe } from './cpuProbe.js';
import { defaultLogInputs, expandGlob, hasGlob } from './inputs.js';
import { runInPool, runInThread, workerScript } from './pool.js';
import { dropPrestartedWorker, MIN_BYTES_FOR_THREADS } from './prestart.js';
import { JsonTexts } from './reportJson.js';
import { SUPP_NONE, SUPP_UNREADABLE } from './scanEvent.js';
import { chooseScanThreads, GZIP_RATIO, probeMatters, type ThreadChoice } from './threadChoice.js';
import { timeRange } from './timeRange.js';
import type { ScanProgress, ScanReport, ScanWarning, StreamedScanReport } from './types.js';
import { interpretingSink } from './unitInterpret.js';
import {
  DEFAULT_UNIT_OPTIONS,
  gzipMessage,
  ioMessage,
  scannerEngine,
  scanStreamUnit,
  type UnitOptions,
  type UnitResult,
  type WorkUnit,
} from './unitScan.js';

export { MAX_EVIDENCE_PER_INCIDENT, MAX_REJECTIONS_PER_INCIDENT } from './correlate.js';
export { DEFAULT_LOG_DIRS, defaultLogInputs, expandGlob } from './inputs.js';
export { parseOsloHeader, stripDebugSuffix } from './osloLine.js';
export { parseRecords } from './records.js';
export { JsonTexts, reportJsonPieces, writeReportJson } from './reportJson.js';
export { parseTimeBound, timeRange } from './timeRange.js';
export type * from './types.js';

export interface ScanOptions {
  /** Only records at or after this time: '2017-11-08', '2017-11-08 17:29', '2h' (before now). */
  since?: string | null;
  until?: string | null;
  onProgress?: (p: ScanProgress) => void;
  signal?: AbortSignal;
  /**
   * Threads to use, this one included; default: chooseScanThreads' answer for these files on this machine now
   * (threadChoice.ts; report.stats.threads says what it chose and why).
   * 0 or 1: everything in this thread. With 2, this thread and a worker share the byte ranges, and a .gz
   * is decompressed in a thread of its own while it is scanned.
   */
  workers?: number;
  /** Lines longer than this are skipped with a warning (default 8 MiB). */
  maxLineBytes?: number;
  /** [filter_scheduler]image_properties_default_architecture, if the cloud sets it. */
  defaultArchitecture?: string | null;
  /** Stream to read for '-' (default process.stdin). */
  stdin?: Readable;
  /** Below this many bytes in total (a .gz counting 8x its size), threads cost more than they save (default 128 MiB). */
  minBytesForWorkers?: number;
  /** Force the plain-JS needle scanner (tests). */
  engine?: 'wasm' | 'js';
  /** Plain files at least this big are split into byte ranges (default 16 MiB). */
  splitMinBytes?: number;
  /** About how big those ranges are (default 64 MiB): a range's events are held until it is done. */
  rangeBytes?: number;
  /** Report text kept in memory by each of the scan's stores before a temp file takes it (default 256 KiB; tests). */
  spillAfterBytes?: number;
  /** Below this much log the report is built whole in memory (default IN_MEMORY_BELOW_BYTES; 0: always streamed). */
  inMemoryBelowBytes?: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];
const SPLIT_MIN = 16 << 20;
/**
 * Byte ranges of about this size: several per thread, so a thread that starts late still gets its share. A
 * streamed scan holds a range's events until the range is done, and what outlives a scavenge or two is
 * promoted: 64 MiB ranges promoted ~2x what 16 MiB ones do (4 GiB: 47 against 24 MB, with the spill's
 * own texts no longer held).
 */
const RANGE_BYTES = 16 << 20;
/** With the whole report in memory, plain files are cut for the threads only: at most this many ranges each. */
const MAX_RANGES_PER_THREAD = 8;
const PROGRESS_INTERVAL_MS = 100;
/**
 * Below this much log (a .gz counting 8x its size), the events are held and the report built whole in
 * memory: the streamed correlation's spill costs more CPU than it saves memory. Measured on the bench's
 * realistic log (README, Performance): 1 GiB in memory peaks at ~80 MiB, streamed ~95; at 4 GiB in
 * memory ~130, streamed ~115. Since streamed texts are no longer held to be promoted (spill.ts, 16 MiB
 * ranges), 1 GiB streamed peaks at ~77 MiB but still takes ~1.10 s of CPU against ~0.86 s in memory (one
 * thread, 5 interleaved runs at load ~6.5); 4 GiB streamed ~79 MiB, 8 GiB ~82 (one thread), ~104 (two).
 */
export const IN_MEMORY_BELOW_BYTES = 2 * 2 ** 30;
interface Input {
  file: string; // as given
  /** `stream`: stdin ('-'), or a pipe, FIFO or character device named as a log (`scan <(zcat x.gz)`). */
  kind: 'plain' | 'gzip' | 'stream';
  size: number | null;
  /** The file's identity when it was looked at: a range unit that opens another file (rotated) says so. */
  dev?: number;
  ino?: number;
}

/**
 * Scans logs for ImagePropertiesFilter rejections and failed scheduling attempts. Never throws for
 * bad input (each problem becomes a ScanWarning naming the file); throws for a bad --since/--until
 * (one-line Error) and rejects with the signal's reason when aborted.
 * With no inputs at all, scans defaultLogInputs() and lists what it searched in `searched`.
 * The whole report in memory: for a report written out as it is read, see scanLogsStreamed.
 */
export async function scanLogs(inputs: readonly string[], opts: ScanOptions = {}): Promise<ScanReport> {
  const scanned = await scanLogsStreamed(inputs, opts);
  if (!isStreamed(scanned.report)) return scanned.report;
  try {
    const { instances, unattributed, noValidHost, ...rest } = scanned.report;
    const parse = <T>(texts: JsonTexts): T[] => Array.from(texts.texts(), (t) => JSON.parse(t) as T);
    return {
      instances: parse(instances),
      unattributed: parse(unattributed),
      noValidHost: parse(noValidHost),
      ...rest,
    };
  } finally {
    scanned.close();
  }
}

/**
 * A scan's report: whole in memory (small inputs), or with its arrays read from the scan's spill stores (see
 * Correlator). close() frees the stores. `inputsWithEvents`: the files that gave the scan at least one event.
 */
export interface StreamedScan {
  report: ScanReport | StreamedScanReport;
  inputsWithEvents: ReadonlySet<string>;
  close(): void;
}

export function isStreamed(report: ScanReport | StreamedScanReport): report is StreamedScanReport {
  return report.instances instanceof JsonTexts;
}

/**
 * scanLogs for a report that is written out once: below IN_MEMORY_BELOW_BYTES of log (and with no stream,
 * whose size is unknown) the events are kept and correlated at the end, the report whole in memory (the
 * fastest way); above it, events are correlated as the units are done (in file order), and the report's
 * arrays are JSON texts read back from memory or a temp file, as reportJsonPieces writes them: peak memory
 * grows with the instances and requests in the logs, not with their lines or attempts.
 */
export async function scanLogsStreamed(inputs: readonly string[], opts: ScanOptions = {}): Promise<StreamedScan> {
  const started = performance.now();
  const range = timeRange(opts.since, opts.until);
  const warnings: ScanWarning[] = [];
  let searched: string[] | undefined;
  let given = [...inputs];
  if (given.length === 0) {
    const d = defaultLogInputs();
    searched = d.searched;
    given = d.found;
    if (given.length === 0)
      warnings.push({
        file: d.searched.join(', '),
        message: 'no nova-scheduler log found in the usual places; name the log files to scan',
      });
  }

  // Resolve globs, check each file, sniff gzip.
  const resolved: Input[] = [];
  for (const g of given) {
    if (g === '-') {
      resolved.push({ file: '-', kind: 'stream', size: null });
      continue;
    }
    const paths = hasGlob(g) && !exists(g) ? expandGlob(g) : [g];
    if (paths.length === 0) warnings.push({ file: g, message: 'no file matches this pattern' });
    for (const p of paths) {
      const input = inspect(p, warnings);
      if (input) resolved.push(input);
    }
  }

  const files = resolved.map((r) => r.file);
  let choice: ThreadChoice | null = null;
  if (opts.workers === undefined) {
    const work = {
      cpus: availableParallelism(),
      plainBytes: resolved.reduce((a, r) => a + (r.kind === 'plain' ? (r.size ?? 0) : 0), 0),
      gzipBytes: resolved.reduce((a, r) => a + (r.kind === 'gzip' ? (r.size ?? 0) : 0), 0),
    };
    choice = chooseScanThreads({ ...work, probe: await settledProbe(probeMatters(work)) });
  }
  const threads = opts.workers ?? (choice as ThreadChoice).threads;
  const unitOpts: UnitOptions = {
    ...DEFAULT_UNIT_OPTIONS,
    range,
    maxLineBytes: opts.maxLineBytes ?? DEFAULT_UNIT_OPTIONS.maxLineBytes,
    engine: opts.engine ?? 'wasm',
    inflateScript: null,
  };

  // The whole report in memory, or streamed (see above).
  const estimate = resolved.reduce((a, r) => a + (r.size ?? 0) * (r.kind === 'gzip' ? GZIP_RATIO : 1), 0);
  const whole =
    !resolved.some((r) => r.kind === 'stream') && estimate < (opts.inMemoryBelowBytes ?? IN_MEMORY_BELOW_BYTES);

  // Units: plain files in byte ranges that start at line starts, .gz whole. Streamed, ranges whatever the
  // threads (a unit's events are held until it is done); whole, ranges for the threads only.
  const units: WorkUnit[] = [];
  const sizes = new Map<number, number>();
  resolved.forEach((r, input) => {
    if (r.kind === 'stream' || r.size === null || r.size === 0) return;
    if (r.kind === 'gzip') {
      const id = units.length;
      units.push({ id, input, file: r.file, kind: 'gzip' });
      sizes.set(id, r.size);
      return;
    }
    const rangeBytes = opts.rangeBytes ?? RANGE_BYTES;
    const parts =
      r.size < (opts.splitMinBytes ?? SPLIT_MIN)
        ? 1
        : !whole
          ? Math.max(threads, Math.ceil(r.size / rangeBytes))
          : threads > 1
            ? Math.max(threads, Math.min(threads * MAX_RANGES_PER_THREAD, Math.ceil(r.size / rangeBytes)))
            : 1;
    const cuts = splitPoints(r.file, r.size, parts, unitOpts.maxLineBytes);
    for (let i = 0; i + 1 < cuts.length; i++) {
      const id = units.length;
      units.push({
        id,
        input,
        file: r.file,
        kind: 'range',
        start: cuts[i] as number,
        end: cuts[i + 1] as number,
        size: r.size,
        dev: r.dev,
        ino: r.ino,
      });
      sizes.set(id, (cuts[i + 1] as number) - (cuts[i] as number));
    }
  });

  // Progress, throttled.
  const hasStream = resolved.some((r) => r.kind === 'stream');
  const bytesTotal = hasStream ? null : resolved.reduce((s, r) => s + (r.size ?? 0), 0);
  let bytesDone = 0;
  let filesDone = 0;
  let lastFile = files[0] ?? '';
  let lastEmit = 0;
  const emit = (force = false) => {
    if (!opts.onProgress) return;
    const now = Date.now();
    if (!force && now - lastEmit < PROGRESS_INTERVAL_MS) return;
    lastEmit = now;
    opts.onProgress({ file: lastFile, filesDone, filesTotal: files.length, bytesDone, bytesTotal });
  };
  const onBytes = (unitId: number, n: number) => {
    bytesDone += n;
    const u = units[unitId];
    if (u) lastFile = u.file;
    emit();
  };
  emit(true);

  const filter = { defaultArchitecture: opts.defaultArchitecture ?? null };
  const correlator = whole ? null : new Correlator(files, { ...filter, spillAfterBytes: opts.spillAfterBytes });
  const events: LogEvent[] = [];
  const feed = new UnitFeed(
    resolved,
    units,
    warnings,
    correlator ?? { add: (e) => events.push(e), endInput: () => {} },
  );

  // A thread costs ~0.1 s of CPU to start: worth it from about this much log (decompressed) on.
  const work = units.reduce((a, u) => a + (sizes.get(u.id) ?? 0) * (u.kind === 'gzip' ? GZIP_RATIO : 1), 0);
  const parallel = threads > 1 && work >= (opts.minBytesForWorkers ?? MIN_BYTES_FOR_THREADS);
  const script = parallel ? workerScript() : null;
  // A worker started early for logs that turn out not to need it (prestart.ts) goes now.
  if (!script) dropPrestartedWorker();
  const inflateScript = parallel && units.some((u) => u.kind === 'gzip') ? workerScript('gunzipWorker.js') : null;
  unitOpts.inflateScript = inflateScript?.href ?? null;
  const hooks = { onBytes, onResult: (r: UnitResult) => feed.result(r), signal: opts.signal };
  let threadsUsed = 0;
  let correlated: CorrelatedTexts | null = null;
  let report: ScanReport | StreamedScanReport;
  let scanned: number;
  try {
    const fileJob = script
      ? runInPool(units, unitOpts, threads, script, hooks).then((p) => {
          threadsUsed = p.threads;
        })
      : runInThread(units, unitOpts, hooks);
    // Streams (stdin, pipes, FIFOs) are read as they come, in this thread, alongside the files.
    const streamJobs = resolved.flatMap((r, input) =>
      r.kind === 'stream'
        ? [
            scanStdin(
              input,
              r.file,
              r.file === '-' ? (opts.stdin ?? process.stdin) : createReadStream(r.file, { highWaterMark: 1 << 20 }),
              unitOpts,
              hooks,
            ).then((res) => feed.result(res)),
          ]
        : [],
    );
    await Promise.all([fileJob, ...streamJobs]);
    opts.signal?.throwIfAborted();
    feed.end();
    filesDone = files.length;
    emit(true);
    scanned = performance.now();
    if (correlator) {
      const c = correlator.finish();
      correlated = c;
      report = {
        instances: new JsonTexts(c.instanceCount, () => c.instances()),
        unattributed: new JsonTexts(c.unattributedCount, () => c.unattributed()),
        noValidHost: new JsonTexts(c.noValidHostCount, () => c.noValidHost()),
        triage: c.triage,
        warnings,
        files: feed.fileStats,
      };
    } else report = { ...correlateWhole(files, events, filter), warnings, files: feed.fileStats };
  } catch (e) {
    correlator?.close();
    throw e;
  }

  const now = performance.now();
  // A lone .gz scanned here while a helper decompresses it is two threads as well.
  if (threadsUsed <= 1) threadsUsed = inflateScript ? 2 : 0;
  if (searched) report.searched = searched;
  report.stats = {
    workers: threadsUsed,
    engine: scannerEngine(unitOpts),
    elapsedMs: Math.round(now - started),
    readMs: Math.round(scanned - started),
    correlateMs: Math.round(now - scanned),
    threads: choice
      ? {
          chosen: choice.threads,
          reason: choice.reason,
          workBytes: choice.workBytes,
          breakEvenBytes: choice.breakEvenBytes,
          spare: +choice.spare.toFixed(2),
          probe: choice.probe,
        }
      : { chosen: threads, reason: `--threads ${threads}` },
  };
  return { report, inputsWithEvents: feed.inputsWithEvents, close: () => correlated?.close() };
}

/**
 * Unit results to the Correlator in file order (inputs as given, ranges in order), as they come: a result
 * that is early waits for the ones before it. Line numbers of a range continue from the ranges before it.
 */
class UnitFeed {
  readonly fileStats: { file: string; bytes: number; lines: number }[];
  readonly inputsWithEvents = new Set<string>();
  private readonly order: number[] = [];
  private next = 0;
  private readonly waiting = new Map<number, UnitResult>();
  private readonly inputOf = new Map<number, number>();
  private readonly unitsLeft = new Map<number, number>();
  private readonly lineBase = new Map<number, number>();
  /** Where the streams' warnings go: before every unit's, as they always have. */
  private streamWarningsAt: number;

  constructor(
    resolved: readonly Input[],
    units: readonly WorkUnit[],
    private readonly warnings: ScanWarning[],
    private readonly correlator: Pick<Correlator, 'add' | 'endInput'>,
  ) {
    this.fileStats = resolved.map((r) => ({ file: r.file, bytes: 0, lines: 0 }));
    this.streamWarningsAt = warnings.length;
    // Each input's units in order, a stream being one unit (streamUnitId) at its input's place.
    const unitsOf = new Map<number, number[]>();
    for (const u of units) {
      const ids = unitsOf.get(u.input);
      if (ids) ids.push(u.id);
      else unitsOf.set(u.input, [u.id]);
    }
    resolved.forEach((r, input) => {
      const ids = r.kind === 'stream' ? [streamUnitId(input)] : (unitsOf.get(input) ?? []);
      for (const id of ids) {
        this.order.push(id);
        this.inputOf.set(id, input);
      }
      if (ids.length > 0) this.unitsLeft.set(input, ids.length);
    });
  }

  result(r: UnitResult): void {
    this.waiting.set(r.id, r);
    for (;;) {
      const id = this.order[this.next];
      const ready = id === undefined ? undefined : this.waiting.get(id);
      if (!ready) return;
      this.waiting.delete(id as number);
      this.next++;
      this.add(ready);
    }
  }

  /** Every unit is in. */
  end(): void {
    if (this.next < this.order.length)
      throw new Error(`scan: ${this.order.length - this.next} unit(s) without a result`);
  }

  private add(r: UnitResult): void {
    const input = this.inputOf.get(r.id) as number;
    const base = this.lineBase.get(input) ?? 0;
    this.lineBase.set(input, base + r.newlines);
    const stat = this.fileStats[input];
    if (stat) {
      stat.bytes += r.bytes;
      stat.lines += r.lines;
    }
    if (r.events.length > 0) this.inputsWithEvents.add(stat?.file ?? '?');
    const ws = r.warnings.map((w) => (w.line === undefined ? w : { ...w, line: w.line + base }));
    if (r.id < 0) {
      this.warnings.splice(this.streamWarningsAt, 0, ...ws);
      this.streamWarningsAt += ws.length;
    } else this.warnings.push(...ws);
    const supp = (id: number) =>
      id === SUPP_UNREADABLE ? undefined : id === SUPP_NONE ? null : (r.supps[id] ?? undefined);
    const props = (id: number) => (id < 0 ? null : (r.props.parsed[id] ?? null));
    for (const e of r.events) {
      const w = e.ev;
      let ev: ResolvedEvent;
      if (w.kind === 'props')
        ev = {
          kind: 'props',
          props: props(w.propsId),
          supportedInstances: supp(w.suppId),
          hypervisorVersion: w.hypervisorVersion,
        };
      else if (w.kind === 'rejection') {
        ev = {
          kind: 'rejection',
          props: props(w.propsId),
          supportedInstances: supp(w.suppId),
          hypervisorVersion: w.hypervisorVersion,
          host: w.host,
          node: w.node,
        };
      } else ev = w;
      // In place: these objects are not used anywhere else, and copies of ~10^5 events cost GC time.
      const le = e as unknown as LogEvent;
      le.line = e.line + base;
      le.ev = ev;
      this.correlator.add(le);
    }
    const left = (this.unitsLeft.get(input) ?? 1) - 1;
    this.unitsLeft.set(input, left);
    if (left === 0) this.correlator.endInput(input);
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Checks one path; warns and returns null when it cannot be scanned. Empty files are kept (0 bytes). */
function inspect(path: string, warnings: ScanWarning[]): Input | null {
  let size: number;
  let id: { dev: number; ino: number };
  try {
    const st = statSync(path);
    if (st.isDirectory()) {
      warnings.push({ file: path, message: 'is a directory, not a log file (use a glob such as dir/*.log*)' });
      return null;
    }
    // A pipe has no size and cannot be read twice (no sniffing here, no byte ranges): read it as a stream.
    if (st.isFIFO() || st.isCharacterDevice() || st.isSocket()) return { file: path, kind: 'stream', size: null };
    size = st.size;
    id = { dev: st.dev, ino: st.ino };
  } catch (e) {
    warnings.push({ file: path, message: ioMessage(e) });
    return null;
  }
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    warnings.push({ file: path, message: ioMessage(e) });
    return null;
  }
  try {
    if (size === 0) {
      warnings.push({ file: path, message: 'empty file' });
      return { file: path, kind: 'plain', size: 0, ...id };
    }
    const head = Buffer.alloc(2);
    const n = readSync(fd, head, 0, 2, 0);
    const gzip = n === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    return { file: path, kind: gzip ? 'gzip' : 'plain', size, ...id };
  } catch (e) {
    warnings.push({ file: path, message: ioMessage(e) });
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Byte offsets [0, …, size] cutting a plain file into `parts` ranges that each start at a line start.
 * A cut that finds no newline within maxLineBytes is dropped (the ranges merge).
 */
export function splitPoints(path: string, size: number, parts: number, maxLineBytes: number): number[] {
  const cuts = [0];
  if (parts > 1) {
    const fd = openSync(path, 'r');
    const buf = Buffer.allocUnsafe(64 << 10);
    try {
      for (let i = 1; i < parts; i++) {
        let pos = Math.floor((size * i) / parts);
        const prev = cuts[cuts.length - 1] as number;
        if (pos <= prev) continue;
        let found = -1;
        for (let scanned = 0; scanned < maxLineBytes && pos < size; ) {
          const n = readSync(fd, buf, 0, buf.length, pos);
          if (n <= 0) break;
          const nl = buf.subarray(0, n).indexOf(10);
          if (nl >= 0) {
            found = pos + nl + 1;
            break;
          }
          pos += n;
          scanned += n;
        }
        if (found > prev && found < size) cuts.push(found);
      }
    } finally {
      closeSync(fd);
    }
  }
  cuts.push(size);
  return cuts;
}

/** stdin or a pipe, which may itself be gzip (zcat-less pipelines): sniffed from its first bytes. */
async function scanStdin(
  input: number,
  file: string,
  stream: Readable,
  opts: UnitOptions,
  hooks: { onBytes: (id: number, n: number) => void; signal?: AbortSignal },
): Promise<UnitResult> {
  const id = streamUnitId(input);
  let compressed = 0;
  let seen = false;
  const out = new PassThrough({ highWaterMark: 1 << 20 });
  let target: Writable | null = null;
  stream.on('data', (chunk: Buffer) => {
    seen ||= chunk.length > 0;
    compressed += chunk.length;
    if (!target) {
      if (chunk[0] === GZIP_MAGIC[0] && chunk[1] === GZIP_MAGIC[1]) {
        const gunzip = createGunzip({ chunkSize: 1 << 20 });
        gunzip.on('error', (e) => out.destroy(e));
        gunzip.pipe(out);
        target = gunzip;
      } else target = out;
    }
    if (!target.write(chunk)) {
      stream.pause();
      target.once('drain', () => stream.resume());
    }
  });
  stream.on('end', () => (target ?? out).end());
  stream.on('error', (e) => out.destroy(e));
  const r = await scanStreamUnit(id, input, file, out, opts, {
    sink: interpretingSink,
    onBytes: (n) => hooks.onBytes(id, n),
    signal: hooks.signal,
    describeError: (e) => gzipMessage(e, compressed),
  });
  if (!seen) r.warnings.push({ file, message: file === '-' ? 'empty input on stdin' : 'empty input' });
  return r;
}

/** Stream inputs have no work unit: their results carry an id below every unit's, naming the input. */
function streamUnitId(input: number): number {
  return -1 - input;
}
