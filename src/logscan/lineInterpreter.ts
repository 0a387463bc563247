// Hit lines (bytes) to ScanEvents for one unit. The common, long lines are read without decoding them
// whole: an ImagePropertiesFilter line is ~3 KB of which only the header is new (its properties and
// supported_instances repeat for every host of a request and are recognised by their bytes), and the
// DEBUG "Filtering removed all hosts" line lists every host but only its head and tail matter.
// The props line and the host line that follows it are paired here into one 'rejection'.
import { isAscii, isUtf8 } from 'node:buffer';
import { hostStateSpans } from '../nova/hostState.js';
import { type ParsedImageProps, parseImagePropsText } from '../nova/imageMetaProps.js';
import { parseHypervisorVersion, parseSupportedInstances } from '../nova/supportedInstances.js';
import type { SupportedInstance } from '../nova/types.js';
import { classifyMessage, type FilterResults, type MessageEvent, type RemovedAllEvent } from './events.js';
import type { HitLine } from './hitLines.js';
import { parseJsonRecord } from './jsonRecord.js';
import { eventOfLine } from './lineEvent.js';
import { debugSuffixStart, type OsloHeader, stripDebugSuffix } from './osloLine.js';
import { type PropsTable, type ScanEvent, SUPP_NONE, SUPP_UNREADABLE, type WireEvent } from './scanEvent.js';
import { closeInTime, inRange, type TimeRange } from './timeRange.js';
import type { ScanWarning } from './types.js';

const MAX_WARNINGS_PER_KIND = 5;
const MAP_TRIM_EVERY = 4096;
const MAP_KEEP = 1024;
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

const PROPS_HEAD = Buffer.from('Instance contains properties ');
const NOT_PROVIDED = Buffer.from(' that are not provided by the compute node supported_instances ');
const HV_VERSION = Buffer.from(' or hypervisor version ');
const DO_NOT_MATCH = Buffer.from(' do not match');
const NONE_ADVERTISED = Buffer.from(', but no corresponding supported_instances are advertised by the compute node');
const HOST_REJECT = Buffer.from(' does not support requested instance_properties');
const START = Buffer.from('Starting to schedule for instances: ');
const REMOVED_ALL = Buffer.from('Filtering removed all hosts for the request with ');
const FILTER_RESULTS = Buffer.from("'. Filter results: ");
const LAST_FILTER_END = Buffer.from("', None)]");

/** A few recently seen byte strings and their ids: consecutive lines of a request repeat them. */
class RecentBytes {
  private readonly items: { bytes: Buffer; id: number }[] = [];
  find(b: Buffer): number {
    for (const it of this.items) if (it.bytes.length === b.length && it.bytes.equals(b)) return it.id;
    return -1;
  }
  add(b: Buffer, id: number): void {
    if (this.items.length >= 4) this.items.pop();
    this.items.unshift({ bytes: Buffer.from(b), id });
  }
}

/**
 * Equal strings as one object: request ids, loggers and host names repeat on every line of a request,
 * and the report keeps them; one copy each saves memory. `fromBytes` looks among the few strings read
 * last (consecutive lines share them) by comparing bytes, which is cheaper than decoding and hashing.
 */
export class Interner {
  private readonly map = new Map<string, string>();
  private readonly recentBytes: Buffer[] = [];
  private readonly recentStrings: string[] = [];
  private next = 0;

  of(s: string): string {
    const known = this.map.get(s);
    if (known !== undefined) return known;
    if (this.map.size >= 50_000) this.map.clear();
    this.map.set(s, s);
    return s;
  }

  /** b[start, end) as a latin1 string (the callers' bytes are ASCII). */
  fromBytes(b: Buffer, start: number, end: number): string {
    const len = end - start;
    const rb = this.recentBytes;
    for (let k = 0; k < rb.length; k++) {
      const c = rb[k] as Buffer;
      if (c.length !== len) continue;
      let i = len - 1; // ids differ at the end soonest
      while (i >= 0 && c[i] === b[start + i]) i--;
      if (i < 0) return this.recentStrings[k] as string;
    }
    const str = this.of(b.toString('latin1', start, end));
    const slot = rb.length < RECENT_STRINGS ? rb.length : this.next++ % RECENT_STRINGS;
    rb[slot] = Buffer.from(b.subarray(start, end));
    this.recentStrings[slot] = str;
    return str;
  }
}
const RECENT_STRINGS = 12;

/**
 * Parses and interned strings shared by all the units a thread interprets: a log repeats the same few
 * property sets, filter result lists, loggers and hosts from start to end, and a cold parse of an
 * ImageMetaProps repr costs more than a whole unit's worth of cache lookups. Parsed values are never
 * modified, so sharing them is safe; each map is bounded.
 */
interface ThreadCaches {
  parsed: Map<string, ParsedImageProps | null>;
  /** "Filter results: […]" texts (same cloud, same filters). */
  results: Map<string, FilterResults>;
  strings: Interner;
}
let caches: ThreadCaches | null = null;
function threadCaches(): ThreadCaches {
  caches ??= { parsed: new Map(), results: new Map(), strings: new Interner() };
  return caches;
}
const MAX_CACHED = 10_000;

export class LineInterpreter {
  readonly events: ScanEvent[] = [];
  readonly warnings: ScanWarning[] = [];
  readonly props: PropsTable = { texts: [], parsed: [] };
  readonly supps: (SupportedInstance[] | null)[] = [];
  private readonly propsIds = new Map<string, number>();
  private readonly suppIds = new Map<string, number>();
  private readonly recentProps = new RecentBytes();
  private readonly recentSupp = new RecentBytes();
  // Shared by every unit this thread interprets (see threadCaches).
  private readonly parseCache = threadCaches().parsed;
  private readonly resultsCache = threadCaches().results;
  private readonly strings = threadCaches().strings;
  private readonly warned = new Map<string, number>();
  /** Props lines waiting for their host line, by pid and request id. */
  private readonly pending = new Map<string, ScanEvent>();
  /** The last "Filtering removed all hosts" and "Filter X returned 0 hosts" per pid and request id. */
  private readonly lastRemoved = new Map<string, ScanEvent>();
  private readonly lastZero = new Map<string, { event: ScanEvent; index: number }>();
  /** Events folded into others: their slots in `events` are emptied (compacted at finish). */
  private dropped = 0;
  private pushes = 0;
  /** The pid most lines have: its requests are keyed by request id alone (no key string to build). */
  private mainPid: number | null | undefined = undefined;

  constructor(
    private readonly input: number,
    private readonly file: string,
    private readonly range: TimeRange,
  ) {}

  warn(kind: string, w: ScanWarning): void {
    const n = this.warned.get(kind) ?? 0;
    this.warned.set(kind, n + 1);
    if (n < MAX_WARNINGS_PER_KIND) this.warnings.push(w);
    else if (n === MAX_WARNINGS_PER_KIND)
      this.warnings.push({ file: this.file, message: `more ${kind} warnings in this file not shown` });
  }

  line(hit: HitLine): void {
    let bytes = hit.bytes;
    // A CRLF log's '\r' is not the message's, as the text parser (parseOsloLine) has it: left on, the DEBUG suffix
    // was not found and "Starting to schedule" and "returned 0 hosts" lines were lost.
    if (bytes[bytes.length - 1] === 0x0d) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.indexOf(0) >= 0) {
      this.warn('NUL', {
        file: this.file,
        line: hit.line,
        offset: hit.offset,
        message: 'line contains NUL bytes (removed before parsing)',
      });
      bytes = Buffer.from(bytes.filter((b) => b !== 0));
    }
    if (!isUtf8(bytes)) {
      this.warn('UTF-8', {
        file: this.file,
        line: hit.line,
        offset: hit.offset,
        message: 'line is not valid UTF-8 (read with replacement characters)',
      });
    }
    if (bytes[0] === 0x7b) {
      // '{': oslo.log's JSON format ([DEFAULT] use_json), one record a line.
      const rec = parseJsonRecord(bytes.toString('utf8'));
      if (rec) {
        if (!inRange(rec.header.time, this.range)) return;
        const ev = classifyMessage(rec.message, this.parseCache, this.resultsCache);
        if (ev) this.push(hit, this.internHeader(rec.header), this.wire(ev));
        return;
      }
    }
    const header = parseHeaderBytes(bytes, this.strings);
    if (header === null) {
      // Not the standard header (devstack, journald, colours, syslog prefix): the string parser.
      const le = eventOfLine(bytes.toString('utf8'), this.parseCache);
      if (!le?.event || !inRange(le.header.time, this.range)) return;
      this.push(hit, le.header, this.wire(le.event));
      return;
    }
    if (!header.hasContext) return; // a traceback line of the record before
    if (!inRange(header.time, this.range)) return;
    const at = header.messageStart;
    if (startsAt(bytes, PROPS_HEAD, at)) {
      const ev = this.propsLine(bytes, at + PROPS_HEAD.length);
      if (ev) this.push(hit, header, ev);
      return;
    }
    if (header.level === 'DEBUG' && startsAt(bytes, REMOVED_ALL, at)) {
      const ev = removedAllDebug(bytes, at);
      if (ev) this.push(hit, header, ev);
      return;
    }
    // Without the DEBUG suffix, found in the bytes (-1: the ' {{…}}' form, left to stripDebugSuffix).
    const end = header.level === 'DEBUG' ? debugSuffixStart(bytes, at, bytes.length) : bytes.length;
    if (end >= 0 && startsAt(bytes, START, at)) {
      const instances = scheduledInstances(bytes, at + START.length, end);
      if (instances !== undefined) {
        this.push(hit, header, { kind: 'schedule-start', instances });
        return;
      }
    }
    if (end >= 0 && bytes[at] === 0x28) {
      const ev = this.hostRejectLine(bytes, at, end);
      if (ev !== undefined) {
        if (ev !== null) this.push(hit, header, ev);
        return;
      }
    }
    const message = end < 0 ? stripDebugSuffix(bytes.toString('utf8', at)).message : bytes.toString('utf8', at, end);
    const ev = classifyMessage(message, this.parseCache, this.resultsCache);
    if (ev) this.push(hit, header, this.wire(ev));
  }

  /** Flushes props lines whose host line never came (or comes in the next unit); events in log order. */
  finish(): void {
    for (const e of this.pending.values()) this.events.push(e);
    this.pending.clear();
    const events = this.events as (ScanEvent | null)[];
    if (this.dropped > 0) {
      let w = 0;
      for (const e of events) if (e !== null) events[w++] = e;
      events.length = w;
      this.dropped = 0;
    }
    // Nearly sorted already (only flushed props lines are late): check before sorting.
    for (let i = 1; i < this.events.length; i++) {
      if ((this.events[i - 1] as ScanEvent).offset > (this.events[i] as ScanEvent).offset) {
        this.events.sort((a, b) => a.offset - b.offset);
        break;
      }
    }
  }

  private push(hit: HitLine, header: OsloHeader, ev: WireEvent): void {
    const e: ScanEvent = {
      input: this.input,
      offset: hit.offset,
      line: hit.line,
      time: header.time,
      pid: header.pid,
      level: header.level,
      logger: header.logger,
      requestId: header.requestId,
      globalRequestId: header.globalRequestId,
      instanceUuid: header.instanceUuid,
      ev,
    };
    if (this.mainPid === undefined) this.mainPid = header.pid;
    // Interned request ids hash once; other pids (rare) get a key of their own.
    const key =
      header.pid === this.mainPid ? (header.requestId ?? '') : `${header.pid ?? ''}|${header.requestId ?? ''}`;
    if (++this.pushes % MAP_TRIM_EVERY === 0) this.trimMaps();
    if (ev.kind === 'props') {
      const prev = this.pending.get(key);
      if (prev) {
        this.events.push(prev);
        this.pending.delete(key); // re-insert: the maps are trimmed oldest first
      }
      this.pending.set(key, e);
      return;
    }
    if (ev.kind === 'host-reject') {
      const p = this.pending.get(key);
      if (p && p.ev.kind === 'props') {
        this.pending.delete(key);
        const { propsId, suppId, hypervisorVersion } = p.ev;
        p.ev = { kind: 'rejection', propsId, suppId, hypervisorVersion, host: ev.host, node: ev.node };
        this.events.push(p);
        return;
      }
    }
    if (ev.kind === 'returned-zero') {
      this.lastZero.delete(key);
      this.lastZero.set(key, { event: e, index: this.events.length });
    }
    if (ev.kind === 'removed-all') {
      // "Filter X returned 0 hosts" is said again by this line; one attempt, one event (as correlate does).
      const zero = this.lastZero.get(key);
      if (zero) {
        if (this.events[zero.index] === zero.event) {
          (this.events as (ScanEvent | null)[])[zero.index] = null;
          this.dropped++;
        }
        this.lastZero.delete(key);
      }
      const last = this.lastRemoved.get(key);
      if (
        last &&
        last.ev.kind === 'removed-all' &&
        !last.ev.both &&
        last.ev.form !== ev.form &&
        last.ev.filter === ev.filter &&
        (last.ev.instance === ev.instance || ev.instance === null) &&
        closeInTime(last.time, header.time)
      ) {
        // The DEBUG and INFO lines of one attempt: keep the first line, with the INFO line's counts.
        last.ev = { ...last.ev, steps: ev.form === 'info' ? ev.steps : last.ev.steps, both: true };
        return;
      }
      this.lastRemoved.delete(key);
      this.lastRemoved.set(key, e);
    }
    this.events.push(e);
  }

  /**
   * Requests come and go: state older than the last few thousand requests is of no use for pairing
   * lines logged back to back, and unbounded maps cost memory and time. Maps keep insertion order.
   */
  private trimMaps(): void {
    const maps: Map<string, unknown>[] = [this.pending, this.lastRemoved, this.lastZero];
    for (const m of maps) {
      if (m.size <= MAP_KEEP) continue;
      let excess = m.size - MAP_KEEP;
      for (const [k, v] of m) {
        if (excess-- <= 0) break;
        if (m === this.pending) this.events.push(v as ScanEvent); // a props line whose host line never came
        m.delete(k);
      }
    }
  }

  /** A header parsed from a string, its repeated strings interned as the byte path does. */
  private internHeader(h: OsloHeader): OsloHeader {
    const of = (v: string | null) => (v === null ? null : this.strings.of(v));
    return {
      ...h,
      logger: this.strings.of(h.logger),
      requestId: of(h.requestId),
      globalRequestId: of(h.globalRequestId),
      instanceUuid: of(h.instanceUuid),
    };
  }

  /** An event from the decoding path, with its property texts interned. */
  private wire(ev: MessageEvent): WireEvent {
    if (ev.kind === 'host-reject')
      return { kind: 'host-reject', host: this.strings.of(ev.host), node: this.strings.of(ev.node) };
    if (ev.kind === 'removed-all' && ev.instance !== null) ev.instance = this.strings.of(ev.instance);
    if (ev.kind !== 'props') return ev;
    const propsId = ev.props === null ? -1 : this.internProps(ev.propsText, ev.props);
    let suppId: number;
    if (ev.supportedInstances === undefined) suppId = SUPP_UNREADABLE;
    else if (ev.supportedInstances === null) suppId = SUPP_NONE;
    else suppId = this.internSupp(JSON.stringify(ev.supportedInstances), ev.supportedInstances);
    return { kind: 'props', propsId, suppId, hypervisorVersion: ev.hypervisorVersion };
  }

  private internProps(text: string, parsed: ParsedImageProps | null): number {
    let id = this.propsIds.get(text);
    if (id === undefined) {
      id = this.props.texts.length;
      this.propsIds.set(text, id);
      this.props.texts.push(text);
      this.props.parsed.push(parsed);
    }
    return id;
  }

  private internSupp(key: string, supp: SupportedInstance[]): number {
    let id = this.suppIds.get(key);
    if (id === undefined) {
      id = this.supps.length;
      this.suppIds.set(key, id);
      this.supps.push(supp);
    }
    return id;
  }

  /** "Instance contains properties P that are not provided … S or hypervisor version V do not match". */
  private propsLine(bytes: Buffer, propsStart: number): WireEvent | null {
    let propsEnd: number;
    let suppId: number;
    let hypervisorVersion: number | null | undefined;
    const np = bytes.lastIndexOf(NOT_PROVIDED);
    if (np > propsStart) {
      propsEnd = np;
      const suppStart = np + NOT_PROVIDED.length;
      const hv = bytes.lastIndexOf(HV_VERSION);
      if (hv < suppStart) {
        suppId = SUPP_UNREADABLE;
      } else {
        suppId = this.suppFromBytes(bytes.subarray(suppStart, hv));
        const dnm = bytes.indexOf(DO_NOT_MATCH, hv);
        hypervisorVersion =
          dnm < 0 ? undefined : parseHypervisorVersion(bytes.toString('latin1', hv + HV_VERSION.length, dnm));
      }
    } else {
      const na = bytes.lastIndexOf(NONE_ADVERTISED);
      if (na <= propsStart) return null;
      propsEnd = na;
      suppId = SUPP_NONE;
    }
    const pb = bytes.subarray(propsStart, propsEnd);
    let propsId = this.recentProps.find(pb);
    if (propsId < 0) {
      const text = pb.toString('utf8');
      let parsed = this.parseCache.get(text);
      if (parsed === undefined) {
        parsed = parseImagePropsText(text);
        if (this.parseCache.size >= MAX_CACHED) this.parseCache.clear();
        this.parseCache.set(text, parsed);
      }
      propsId = parsed === null ? -1 : this.internProps(text, parsed);
      this.recentProps.add(pb, propsId);
    }
    return { kind: 'props', propsId, suppId, hypervisorVersion };
  }

  /**
   * "(host, node) ram: … does not support requested instance_properties" read from the bytes: what
   * classifyMessage would make of the decoded message b[at, end), only host and node decoded. They are
   * interned by value, not by fromBytes: a request names more hosts than its few recent slots hold, and its
   * misses (a copy of the bytes each) cost more than decoding. undefined: not surely such a line, or not
   * ASCII (byte offsets would not be string offsets): the caller decodes and classifies.
   */
  private hostRejectLine(b: Buffer, at: number, end: number): WireEvent | null | undefined {
    const hr = b.indexOf(HOST_REJECT, at);
    if (hr < 0 || hr + HOST_REJECT.length > end || !isAscii(b)) return undefined; // the whole line: no subarray
    const spans = hostStateSpans(b, at, end);
    if (spans === null) return null; // classifyMessage: '(' and the phrase, but no repr
    return {
      kind: 'host-reject',
      host: this.strings.of(b.toString('latin1', at + 1, spans.hostEnd)),
      node: this.strings.of(b.toString('latin1', spans.hostEnd + 2, spans.nodeEnd)),
    };
  }

  private suppFromBytes(b: Buffer): number {
    const known = this.recentSupp.find(b);
    if (known !== -1) return known;
    const text = b.toString('utf8');
    const parsed = parseSupportedInstances(text);
    const id = parsed === null ? SUPP_UNREADABLE : this.internSupp(JSON.stringify(parsed), parsed);
    this.recentSupp.add(b, id);
    return id;
  }
}

/** The level names oslo writes (WARN is nova's old alias of WARNING). */
const LEVELS: readonly (readonly [Buffer, string])[] = [
  ['DEBUG', 'DEBUG'],
  ['INFO', 'INFO'],
  ['WARNING', 'WARNING'],
  ['WARN', 'WARNING'],
  ['ERROR', 'ERROR'],
  ['CRITICAL', 'CRITICAL'],
  ['AUDIT', 'AUDIT'],
  ['TRACE', 'TRACE'],
].map(([w, l]) => [Buffer.from(w as string), l as string] as const);

function levelAt(b: Buffer, start: number, end: number): string {
  for (const [word, level] of LEVELS) if (word.length === end - start && startsAt(b, word, start)) return level;
  return '';
}

/** `needle` at exactly `at` (not anywhere after it, which is what indexOf would look for). */
export function startsAt(b: Buffer, needle: Buffer, at: number): boolean {
  if (at + needle.length > b.length) return false;
  for (let i = 0; i < needle.length; i++) if (b[at + i] !== needle[i]) return false;
  return true;
}

const INSTANCE_OPEN = Buffer.from('[instance: ');

/** What the timestamp 'YYYY-MM-DD HH:MM:SS.mmm ' has at each position: 0 a digit, else that byte. */
const TIME_SHAPE = Uint8Array.from('0000-00-00 00:00:00.000 ', (c) => (c === '0' ? 0 : c.charCodeAt(0)));

function hasTimestamp(b: Buffer): boolean {
  for (let i = 0; i < 24; i++) {
    const want = TIME_SHAPE[i] as number;
    const c = b[i] as number;
    if (want === 0 ? c < 48 || c > 57 : c !== want) return false;
  }
  return true;
}

/**
 * The standard oslo header read straight from bytes ('YYYY-MM-DD HH:MM:SS.mmm PID LEVEL logger [ctx]
 * [instance: uuid] '), allocating only the strings it returns (loggers and request ids interned). null
 * for anything else (no pid, other time formats, syslog prefixes, colours): the string parser handles those.
 */
export function parseHeaderBytes(b: Buffer, strings?: Interner): OsloHeader | null {
  const n = b.length;
  if (n < 30 || !hasTimestamp(b)) return null;
  let p = 24;
  let pid = 0;
  const pidStart = p;
  while (p < n && (b[p] as number) >= 48 && (b[p] as number) <= 57 && p - pidStart < 10)
    pid = pid * 10 + ((b[p++] as number) - 48);
  if (p === pidStart || b[p] !== 32) return null;
  const levelStart = ++p;
  while (p < n && (b[p] as number) >= 65 && (b[p] as number) <= 90) p++;
  if (b[p] !== 32) return null;
  const level = levelAt(b, levelStart, p);
  if (level === '') return null;
  const loggerStart = ++p;
  // An ASCII logger name (a non-ASCII one is left to the string parser, which decodes it as UTF-8). It ends where
  // the text parser's [^\s[\]] ends: \t, \n, \v, \f and \r stop it too, and the string parser takes the line.
  while (p < n && p - loggerStart < 300) {
    const c = b[p] as number;
    if (c === 32 || c === 91 || c === 93 || c >= 128 || (c >= 9 && c <= 13)) break;
    p++;
  }
  if (p === loggerStart || b[p] !== 32) return null;
  const logger = take(b, loggerStart, p, strings);
  p++;
  let hasContext = false;
  let requestId: string | null = null;
  let globalRequestId: string | null = null;
  if (b[p] === 91 && !startsAt(b, INSTANCE_OPEN, p)) {
    const close = b.indexOf(93, p);
    if (close < 0 || close - p > 4096) return null;
    hasContext = true;
    const sp1 = indexOfBefore(b, 32, p + 1, close);
    const t1End = sp1 < 0 ? close : sp1;
    const t1Req = isReqId(b, p + 1, t1End);
    if (sp1 >= 0) {
      const sp2 = indexOfBefore(b, 32, sp1 + 1, close);
      const t2End = sp2 < 0 ? close : sp2;
      const t1 = t1End - (p + 1);
      const t1None =
        (t1 === 4 && b[p + 1] === 78 && b[p + 2] === 111 && b[p + 3] === 110 && b[p + 4] === 101) ||
        (t1 === 1 && b[p + 1] === 45);
      if ((t1Req || t1None) && isReqId(b, sp1 + 1, t2End)) {
        globalRequestId = t1Req ? take(b, p + 1, t1End, strings) : null;
        requestId = take(b, sp1 + 1, t2End, strings);
      } else if (t1Req) requestId = take(b, p + 1, t1End, strings);
    } else if (t1Req) requestId = take(b, p + 1, t1End, strings);
    p = close + 1;
    if (b[p] === 32) p++;
  }
  let instanceUuid: string | null = null;
  if (b[p] === 91 && b[p + 47] === 93 && startsAt(b, INSTANCE_OPEN, p)) {
    const uuid = b.toString('latin1', p + 11, p + 47);
    if (UUID.test(uuid)) {
      instanceUuid = strings ? strings.of(uuid.toLowerCase()) : uuid.toLowerCase();
      p += 48;
      if (b[p] === 32) p++;
    }
  }
  return {
    time: b.toString('latin1', 0, 23),
    pid,
    level,
    logger,
    globalRequestId,
    requestId,
    userIdentity: null,
    instanceUuid,
    hasContext,
    messageStart: p,
    text: '',
  };
}

/** b[from, to) as a string, interned when the caller has an interner (a function, not a closure made per line). */
function take(b: Buffer, from: number, to: number, strings: Interner | undefined): string {
  return strings ? strings.fromBytes(b, from, to) : b.toString('latin1', from, to);
}

function indexOfBefore(b: Buffer, byte: number, from: number, end: number): number {
  const i = b.indexOf(byte, from);
  return i >= 0 && i < end ? i : -1;
}

/** 'req-' followed by hex digits and dashes (nova's request ids are req-<uuid>). */
function isReqId(b: Buffer, start: number, end: number): boolean {
  if (end - start < 5 || end - start > 68) return false;
  if (b[start] !== 114 || b[start + 1] !== 101 || b[start + 2] !== 113 || b[start + 3] !== 45) return false;
  for (let i = start + 4; i < end; i++) {
    const c = b[i] as number;
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 45)) return false;
  }
  return true;
}

/**
 * The instances of "Starting to schedule for instances: ['uuid', …]" (4.8k lines per GiB) read from the
 * bytes b[from, end) when they are in the one shape nova writes: a list of quoted UUIDs, nothing around it.
 * That is what parsePyLiteralExact and classifyMessage's UUID filter make of it; any other text (u'',
 * spaces, other items, an empty list) is undefined, for the caller to decode and classify.
 */
export function scheduledInstances(b: Uint8Array, from: number, end: number): string[] | undefined {
  if (b[from] !== 91 || b[end - 1] !== 93) return undefined; // [ … ]
  const instances: string[] = [];
  let p = from + 1;
  for (;;) {
    if (p + 38 > end - 1 || b[p] !== 39 || b[p + 37] !== 39 || !isUuidAt(b, p + 1)) return undefined;
    const uuid = Buffer.from(b.buffer, b.byteOffset + p + 1, 36).toString('latin1');
    instances.push(uuid.toLowerCase());
    p += 38;
    if (p === end - 1) return instances;
    if (b[p] !== 44 || b[p + 1] !== 32) return undefined; // ', '
    p += 2;
  }
}

/** b[at, at + 36) has the UUID regex's shape: hex digits, '-' at 8, 13, 18, 23. */
function isUuidAt(b: Uint8Array, at: number): boolean {
  for (let i = 0; i < 36; i++) {
    const c = b[at + i] as number;
    if (i === 8 || i === 13 || i === 18 || i === 23) {
      if (c !== 45) return false;
    } else if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false;
  }
  return true;
}

/**
 * DEBUG "Filtering removed all hosts …": the instance from the head and the last filter from the tail
 * ("…, ('ImagePropertiesFilter', None)]"); the host lists in between are never decoded. The INFO line
 * logged right after carries the counts.
 */
function removedAllDebug(bytes: Buffer, at: number): RemovedAllEvent | null {
  const fr = bytes.indexOf(FILTER_RESULTS, at);
  if (fr < 0 || fr - at > 400) return null;
  let head = bytes.toString('latin1', at + REMOVED_ALL.length, fr);
  let reservationId: string | null = null;
  if (head.startsWith("reservation ID '")) {
    const q = head.indexOf("' and ");
    if (q < 0) return null;
    reservationId = head.slice(16, q);
    head = head.slice(q + 6);
  }
  if (!head.startsWith("instance ID '")) return null;
  const uuid = head.slice(13);
  const end = bytes.lastIndexOf(LAST_FILTER_END);
  let filter: string | null = null;
  if (end > fr) {
    const open = bytes.lastIndexOf("('", end);
    const name = open > fr ? bytes.toString('latin1', open + 2, end) : '';
    if (/^[A-Za-z_][\w.]{0,200}$/.test(name)) filter = name;
  }
  return {
    kind: 'removed-all',
    instance: UUID.test(uuid) ? uuid.toLowerCase() : null,
    reservationId,
    form: 'debug',
    filter,
    steps: [],
  };
}
