// From events in log order to the report: rejections paired with their host line, tied to instances
// through request ids, NoValidHost attempts de-duplicated (nova logs each one as DEBUG and INFO), and the
// per-filter triage.
//
// It streams: a Correlator takes the events of each unit as the scan finishes it (in file order across
// inputs), and holds only what is bounded by the instances and requests it has seen: the request index
// (which instances each request id names, whether its scheduling failed on ImagePropertiesFilter), one
// aggregate per instance and the triage. Rejections and failed attempts go to spill stores (spill.ts: in
// memory up to a budget, then a temp file) as soon as they are built, because whether a rejection belongs
// to an instance, and which instance an attempt was for, can depend on a line of a later input (a
// conductor log names requests a scheduler log opened). finish() then reads them back once, in the
// report's order, with the index complete, and the report's arrays come out as JSON texts, element by
// element, from those stores: nothing grows with the lines or the attempts in memory.
// Deterministic: the same events give the same texts, whatever the budget (the tests compare both).
import type { ParsedImageProps } from '../nova/imageMetaProps.js';
import { type FilterOptions, filteredValues, hostMismatches } from '../nova/imagePropsFilter.js';
import type { FilteredProperty, PropertyMismatch, SupportedInstance } from '../nova/types.js';
import type { MessageEvent } from './events.js';
import type { ScanEvent } from './scanEvent.js';
import { SeqSpill, SortedSpill, SPILL_AFTER_BYTES, TextStore } from './spill.js';
import { closeInTime } from './timeRange.js';
import type { Incident, NoValidHostEvent, ScanReport, TriageReport, UnattributedRejection } from './types.js';

export const MAX_REJECTIONS_PER_INCIDENT = 50;
export const IMAGE_FILTER = 'ImagePropertiesFilter';
export const MAX_EVIDENCE_PER_INCIDENT = 200;

export interface ResolvedPropsEvent {
  kind: 'props';
  props: ParsedImageProps | null;
  supportedInstances: SupportedInstance[] | null | undefined;
  hypervisorVersion: number | null | undefined;
}

/** A props line already paired with its host line (done where the lines were read). */
export interface ResolvedRejectionEvent extends Omit<ResolvedPropsEvent, 'kind'> {
  kind: 'rejection';
  host: string;
  node: string;
}

export type ResolvedEvent = Exclude<MessageEvent, { kind: 'props' }> | ResolvedPropsEvent | ResolvedRejectionEvent;

/** A ScanEvent whose property table reference has been resolved. */
export type LogEvent = Omit<ScanEvent, 'ev'> & { ev: ResolvedEvent };

type Correlated = Pick<ScanReport, 'instances' | 'unattributed' | 'noValidHost' | 'triage'>;

export interface CorrelateOptions extends FilterOptions {
  /** Text each spill store keeps in memory before it uses a temp file (tests make it tiny). */
  spillAfterBytes?: number;
}

/** The report's correlated part, its arrays as JSON texts read from the spill stores. close() frees them. */
export interface CorrelatedTexts {
  instanceCount: number;
  unattributedCount: number;
  noValidHostCount: number;
  triage: TriageReport;
  instances(): Iterable<string>;
  unattributed(): Iterable<string>;
  noValidHost(): Iterable<string>;
  close(): void;
}

/** Events must be in log order: by input, then offset. Pure: events in, report out (all in memory). */
export function correlate(
  files: readonly string[],
  events: readonly LogEvent[],
  opts: CorrelateOptions = {},
): Correlated {
  const c = new Correlator(files, { spillAfterBytes: Number.POSITIVE_INFINITY, ...opts });
  for (const e of events) c.add(e);
  const t = c.finish();
  try {
    const parse = <T>(texts: Iterable<string>): T[] => Array.from(texts, (x) => JSON.parse(x) as T);
    return {
      instances: parse<Incident>(t.instances()),
      unattributed: parse<UnattributedRejection>(t.unattributed()),
      noValidHost: parse<NoValidHostEvent>(t.noValidHost()),
      triage: t.triage,
    };
  } finally {
    t.close();
  }
}

/** What the index knows of one request id (or global request id). */
interface RequestInfo {
  /** The id itself: the one copy of the string the report's texts use. */
  id: string;
  /** Instances the request is about (nearly always one: a string until there is a second). */
  instances: string | Set<string> | undefined;
  /** A scheduler attempt of this request ended on ImagePropertiesFilter. */
  failed: boolean;
  /** The scheduler's own lines speak of this request (its conductor/API NoValidHost text is not listed). */
  scheduler: boolean;
  /** Rejections with this request id not yet placed by finish() (an unattributed entry is done at 0). */
  rejectionsLeft: number;
  /** The first conductor/API "No valid host" text of this request. */
  text?: PendingText;
}

interface PendingText {
  seq: number;
  instanceUuid: string | null;
  requestId: string;
  globalRequestId: string | null;
  laterInstance: string | null;
  time: string;
  input: number;
  line: number;
  offset: number;
  source: NonNullable<NoValidHostEvent['source']>;
  reason: string | null;
}

/** The last "Filtering removed all hosts" of a request, while its DEBUG/INFO twin may still come. */
interface LastRemoved {
  key: NvhKey;
  time: string;
  form: 'info' | 'debug';
  filter: string | null;
  instance: string | null;
}

/** A failed attempt as spilled before the index is complete: finish() fills in instance and reason. */
interface NvhRecord {
  /** r: removed all hosts, z: a filter returned 0 hosts, c: no allocation candidates, t: conductor/API text. */
  k: 'r' | 'z' | 'c' | 't';
  /** The instance when the line itself names it; else null and `look` says to ask the index. */
  i: string | null;
  look: 0 | 1;
  /** For a text: an instance named by a later text of the same request (used when the index knows none). */
  li?: string | null;
  r: string | null;
  g: string | null;
  t: string;
  f: string | null;
  in: number;
  l: number;
  o: number;
  s: NonNullable<NoValidHostEvent['source']>;
  why: string | null;
  st?: unknown;
}

/** Attempts in report order: by time, then as they came (the scheduler's, then the texts), then a patch. */
type NvhKey = [time: string, group: 0 | 1, seq: number, patch: 0 | 1];
const compareNvh = (a: NvhKey, b: NvhKey) =>
  a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1] || a[2] - b[2] || a[3] - b[3];

/** Rejections in report order: by file (its first position among the inputs), line, then as built. */
type RejKey = [file: number, line: number, seq: number];
const compareRej = (a: RejKey, b: RejKey) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** What finish() needs of a rejection: [requestId, globalRequestId, time, host, input, offset, its JSON in `bodies`]. */
type RejHead = [string | null, string | null, string, string | null, number, number, number];
/** A rejection's mismatches as finish() reads them: [property, value, passingValues]. */
type RejMismatches = [string, string, (string | null)[]][];

export class Correlator {
  private readonly requests = new Map<string, RequestInfo>();
  /** Props lines waiting for their host line, by input, pid and request id. */
  private readonly pendingProps = new Map<string, LogEvent>();
  private readonly pendingZero = new Map<string, LogEvent>();
  private readonly lastRemoved = new Map<string, LastRemoved>();
  private readonly rejections: SortedSpill<RejKey>;
  private readonly attempts: SortedSpill<NvhKey>;
  private readonly fileIndex: number[];
  private readonly mismatchMemo: DiagnosisMemo = new WeakMap();
  private readonly fileTexts: string[] = [];
  /** Each rejection's JSON, by the number its spilled entry holds. */
  private readonly bodies: TextStore;
  private readonly budget: number;
  private rejSeq = 0;
  private outSeq = 0;
  private textSeq = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly opts: CorrelateOptions = {},
  ) {
    this.budget = opts.spillAfterBytes ?? SPILL_AFTER_BYTES;
    this.rejections = new SortedSpill(compareRej, this.budget);
    this.attempts = new SortedSpill(compareNvh, this.budget);
    this.bodies = new TextStore(this.budget);
    // Places compare by file name's first position (a file given twice is one file).
    this.fileIndex = files.map((f) => files.indexOf(f));
  }

  private info(id: string): RequestInfo {
    let r = this.requests.get(id);
    if (!r)
      this.requests.set(id, (r = { id, instances: undefined, failed: false, scheduler: false, rejectionsLeft: 0 }));
    return r;
  }

  private addInstance(id: string | null, uuid: string): void {
    if (id === null) return;
    const r = this.info(id);
    const known = r.instances;
    if (known === undefined) r.instances = uuid;
    else if (typeof known === 'string') {
      if (known !== uuid) r.instances = new Set([known, uuid]);
    } else known.add(uuid);
  }

  /** The instances a request id and global id name, as the index knows them now. */
  private lookup(requestId: string | null, globalId: string | null): string[] {
    const a = requestId === null ? undefined : this.requests.get(requestId)?.instances;
    const b = globalId === null ? undefined : this.requests.get(globalId)?.instances;
    if (b === undefined) return a === undefined ? [] : typeof a === 'string' ? [a] : [...a];
    const out = new Set<string>();
    for (const s of [a, b]) {
      if (typeof s === 'string') out.add(s);
      else if (s) for (const u of s) out.add(u);
    }
    return [...out];
  }

  private single(requestId: string | null, globalId: string | null): string | null {
    const l = this.lookup(requestId, globalId);
    return l.length === 1 ? (l[0] as string) : null;
  }

  /** One event; all of them in log order (by input, then offset). */
  add(e: LogEvent): void {
    const ev = e.ev;
    // 1. The index: which instances each request id is about.
    if (e.instanceUuid) {
      this.addInstance(e.requestId, e.instanceUuid);
      this.addInstance(e.globalRequestId, e.instanceUuid);
    }
    if (ev.kind === 'removed-all') {
      if (ev.instance) {
        this.addInstance(e.requestId, ev.instance);
        this.addInstance(e.globalRequestId, ev.instance);
      }
    } else if (ev.kind === 'schedule-start') {
      for (const u of ev.instances) {
        this.addInstance(e.requestId, u);
        this.addInstance(e.globalRequestId, u);
      }
    }
    // 2. Rejections: "Instance contains properties …" followed by "<host> does not support …".
    if (ev.kind === 'rejection') this.build(e, ev, ev);
    else if (ev.kind === 'props') {
      const k = `${e.input}\u0000${e.pid ?? ''}\u0000${e.requestId ?? ''}`;
      const prev = this.pendingProps.get(k);
      if (prev && prev.ev.kind === 'props') this.build(prev, prev.ev, null);
      this.pendingProps.set(k, e);
    } else if (ev.kind === 'host-reject') {
      const k = `${e.input}\u0000${e.pid ?? ''}\u0000${e.requestId ?? ''}`;
      const prev = this.pendingProps.get(k);
      this.pendingProps.delete(k);
      if (prev && prev.ev.kind === 'props') this.build(prev, prev.ev, ev);
      else this.build(e, null, ev);
    } else this.attempt(e);
  }

  /** An input is over: its props lines still waiting for a host line never get one. */
  endInput(input: number): void {
    for (const [k, p] of this.pendingProps) {
      if (p.input !== input) continue;
      this.pendingProps.delete(k);
      if (p.ev.kind === 'props') this.build(p, p.ev, null);
    }
  }

  private build(
    src: LogEvent,
    pe: ResolvedPropsEvent | ResolvedRejectionEvent | null,
    host: { host: string; node: string } | null,
  ): void {
    const d = pe ? diagnose(pe, this.opts, this.mismatchMemo) : { mismatches: [], partial: true };
    // The JSON of what every host of a request repeats (properties, host side, mismatches) is made once.
    d.texts ??= {
      middle: JSON.stringify({
        requested: pe?.props ? requestedOf(pe.props, this.opts) : {},
        supportedInstances: pe?.supportedInstances ?? null,
        hypervisorVersion: pe?.hypervisorVersion ?? null,
        mismatches: d.mismatches,
      }).slice(1, -1),
      mismatches: JSON.stringify(d.mismatches.map((m) => [m.property, m.value, m.passingValues])),
    };
    if (src.requestId !== null) this.info(src.requestId).rejectionsLeft++;
    const hostName = host?.host ?? null;
    // JSON.stringify of the Rejection, by parts.
    const body =
      `{"requestId":${JSON.stringify(src.requestId)},"time":${JSON.stringify(src.time)},"host":${JSON.stringify(hostName)},` +
      `"node":${JSON.stringify(host?.node ?? null)},${d.texts.middle},"location":{"file":${this.fileJson(src.input)},` +
      `"line":${src.line},"offset":${src.offset}}${d.partial ? ',"partial":true' : ''}}`;
    // The JSON goes to its store once, and is read from it once, when the report is written.
    const head: RejHead = [
      src.requestId,
      src.globalRequestId,
      src.time,
      hostName,
      src.input,
      src.offset,
      this.bodies.add(body),
    ];
    this.rejections.add(
      [this.fileIndex[src.input] ?? src.input, src.line, this.rejSeq++],
      `${JSON.stringify(head)}\t${d.texts.mismatches}`,
    );
  }

  private fileJson(input: number): string {
    let t = this.fileTexts[input];
    if (t === undefined) this.fileTexts[input] = t = JSON.stringify(this.files[input] ?? '?');
    return t;
  }

  // 3. Failed attempts, de-duplicated as they come; spilled with what the index cannot know yet.
  private attempt(e: LogEvent): void {
    const ev = e.ev;
    const reqKey = e.requestId ?? `${e.input}:${e.pid ?? ''}`;
    if (ev.kind === 'returned-zero') {
      const prev = this.pendingZero.get(reqKey);
      if (prev) this.flushZero(prev);
      this.pendingZero.set(reqKey, e);
      if (e.requestId) this.info(e.requestId).scheduler = true;
    } else if (ev.kind === 'removed-all') {
      this.pendingZero.delete(reqKey);
      if (e.requestId) this.info(e.requestId).scheduler = true;
      const last = this.lastRemoved.get(reqKey);
      if (
        !ev.both &&
        last &&
        last.form !== ev.form &&
        last.filter === ev.filter &&
        (last.instance === ev.instance || ev.instance === null) &&
        closeInTime(last.time, e.time)
      ) {
        // The DEBUG (full) and INFO (counts) lines of one attempt: keep one event, with the counts.
        this.lastRemoved.delete(reqKey);
        if (ev.form === 'info') this.attempts.add([last.key[0], 0, last.key[2], 1], JSON.stringify(ev.steps));
        return;
      }
      const fixed = ev.instance ?? e.instanceUuid ?? null;
      const key = this.push(e, 'r', fixed, ev.filter, null, ev.steps);
      // Merged already where the lines were read: nothing can pair with it any more.
      if (ev.both === true) this.lastRemoved.delete(reqKey);
      else
        this.lastRemoved.set(reqKey, {
          key,
          time: e.time,
          form: ev.form,
          filter: ev.filter,
          // The index as it is now: the twin line comes right after, and names the same instance.
          instance: fixed ?? this.single(e.requestId, e.globalRequestId),
        });
    } else if (ev.kind === 'no-candidates') {
      if (e.requestId) this.info(e.requestId).scheduler = true;
      this.push(e, 'c', e.instanceUuid, null, PLACEMENT_REASON);
    } else if (ev.kind === 'no-valid-host') {
      if (e.requestId === null) {
        // No request to share it with: listed as it is.
        const rec: NvhRecord = {
          k: 't',
          i: e.instanceUuid,
          look: e.instanceUuid === null ? 1 : 0,
          r: null,
          g: e.globalRequestId,
          t: e.time,
          f: null,
          in: e.input,
          l: e.line,
          o: e.offset,
          s: sourceOf(e.logger),
          why: ev.reason,
        };
        this.attempts.add([e.time, 1, this.textSeq++, 0], JSON.stringify(rec));
        return;
      }
      const r = this.info(e.requestId);
      const seen = r.text;
      if (seen) {
        if (seen.instanceUuid === null) seen.laterInstance ??= e.instanceUuid;
        seen.reason ??= ev.reason;
        return;
      }
      r.text = {
        seq: this.textSeq++,
        instanceUuid: e.instanceUuid,
        requestId: r.id,
        globalRequestId: e.globalRequestId,
        laterInstance: null,
        time: e.time,
        input: e.input,
        line: e.line,
        offset: e.offset,
        source: sourceOf(e.logger),
        reason: ev.reason,
      };
    }
  }

  private flushZero(e: LogEvent): void {
    if (e.ev.kind === 'returned-zero') this.push(e, 'z', e.instanceUuid, e.ev.filter, null);
  }

  private push(
    e: LogEvent,
    k: NvhRecord['k'],
    fixed: string | null,
    filter: string | null,
    why: string | null,
    steps?: unknown,
  ): NvhKey {
    if (e.requestId && filter === IMAGE_FILTER) this.info(e.requestId).failed = true;
    const rec: NvhRecord = {
      k,
      i: fixed,
      look: fixed === null ? 1 : 0,
      r: e.requestId,
      g: e.globalRequestId,
      t: e.time,
      f: filter,
      in: e.input,
      l: e.line,
      o: e.offset,
      s: 'scheduler',
      why,
    };
    if (steps !== undefined) rec.st = steps;
    const key: NvhKey = [e.time, 0, this.outSeq++, 0];
    this.attempts.add(key, JSON.stringify(rec));
    return key;
  }

  /** Frees the spill stores of a scan that will not finish (aborted). */
  close(): void {
    this.rejections.close();
    this.attempts.close();
    this.bodies.close();
  }

  /** Everything has been added: places every rejection and attempt, and gives the report's texts. */
  finish(): CorrelatedTexts {
    for (const e of this.pendingProps.values()) if (e.ev.kind === 'props') this.build(e, e.ev, null);
    this.pendingProps.clear();
    for (const e of this.pendingZero.values()) this.flushZero(e);
    this.pendingZero.clear();
    this.lastRemoved.clear();
    for (const r of this.requests.values()) {
      const t = r.text;
      // The scheduler's own lines describe this attempt: the text only lends them its reason and instance.
      if (t && !r.scheduler) this.attempts.add([t.time, 1, t.seq, 0], JSON.stringify(this.textRecord(t)));
    }

    const files = this.files;
    const incidents = new Map<string, IncidentAggregate>();
    const incident = (uuid: string) => {
      let b = incidents.get(uuid);
      if (!b) incidents.set(uuid, (b = new IncidentAggregate(uuid, this.fileIndex)));
      return b;
    };
    const rejectionTexts = this.bodies;
    const unattributed = new SortedSpill<number>((a, b) => a - b, this.budget);
    const noValidHost = new SeqSpill(this.budget);
    const conductorLines = new SeqSpill(this.budget);
    const open = new Map<string, UnattributedAggregate>();
    let ordinal = 0;
    const done = (key: string) => {
      const u = open.get(key);
      if (!u) return;
      open.delete(key);
      unattributed.add(u.ordinal, u.text(this.bodies));
    };
    const interned = new Interned();
    const mismatchTexts = new Map<string, RejMismatches>();
    try {
      // 4. Incidents: instances whose scheduling failed because ImagePropertiesFilter removed the last host.
      // Rejections of other requests (another host passed, another filter had the last word, or no request
      // id at all) stay visible as unattributed, with the instance when the log names it.
      for (const [key, text] of this.rejections.read()) {
        const tab = text.indexOf('\t');
        const [requestId, globalId, time, host, input, offset, body] = JSON.parse(text.slice(0, tab)) as RejHead;
        const mmText = text.slice(tab + 1);
        let mismatches = mismatchTexts.get(mmText);
        if (!mismatches) mismatchTexts.set(mmText, (mismatches = JSON.parse(mmText) as RejMismatches));
        const rid = this.canonical(requestId);
        const failed =
          (requestId !== null && this.requests.get(requestId)?.failed === true) ||
          (globalId !== null && this.requests.get(globalId)?.failed === true);
        const uuids = this.lookup(requestId, globalId);
        const at = { input, line: key[1], offset };
        if (failed && uuids.length > 0) {
          for (const u of uuids) incident(u).addRejection(body, host, mismatches, at, time, rid, interned);
        } else {
          const k = requestId ?? '';
          let u = open.get(k);
          if (!u)
            open.set(
              k,
              (u = new UnattributedAggregate(ordinal++, rid, uuids.length === 1 ? (uuids[0] as string) : null)),
            );
          u.add(body, host, mismatches, interned);
        }
        if (requestId !== null) {
          const r = this.requests.get(requestId);
          if (r && --r.rejectionsLeft === 0) done(requestId);
        }
      }
      this.rejections.close();
      for (const k of [...open.keys()]) done(k);

      // Attempts by time; each finished with what the whole index knows, then counted.
      const triage = new TriageBuilder();
      const finishAttempt = (rec: NvhRecord) => {
        const n = this.attemptOf(rec);
        noValidHost.add(JSON.stringify(n));
        triage.add(n);
        if (n.instance && n.filter === IMAGE_FILTER && n.source === 'scheduler')
          incident(n.instance).addEvidence(rec.in, rec.l, rec.o, n.time, this.canonical(n.requestId), true);
        else if (n.instance && n.source !== 'scheduler')
          conductorLines.add(JSON.stringify([n.instance, rec.in, rec.l, rec.o, n.time, n.requestId]));
      };
      let held: NvhRecord | null = null;
      for (const [key, text] of this.attempts.read()) {
        if (key[3] === 1) {
          // The INFO twin of the attempt just read: its counts.
          if (held) held.st = JSON.parse(text);
          continue;
        }
        if (held) finishAttempt(held);
        held = JSON.parse(text) as NvhRecord;
      }
      if (held) finishAttempt(held);
      this.attempts.close();
      // Conductor/API lines about an instance that has an incident are part of its evidence.
      for (const text of conductorLines.read()) {
        const [uuid, input, line, offset, time, requestId] = JSON.parse(text) as [
          string,
          number,
          number,
          number,
          string,
          string | null,
        ];
        incidents.get(uuid)?.addEvidence(input, line, offset, time, requestId, false);
      }
      conductorLines.close();

      const ordered = [...incidents.values()].sort((a, b) =>
        a.first < b.first ? -1 : a.first > b.first ? 1 : a.uuid < b.uuid ? -1 : 1,
      );
      incidents.clear();
      const triageReport = triage.done();
      return {
        instanceCount: ordered.length,
        unattributedCount: unattributed.count,
        noValidHostCount: noValidHost.count,
        triage: triageReport,
        *instances() {
          for (const b of ordered) yield b.text(files, rejectionTexts);
        },
        unattributed: () =>
          (function* () {
            for (const [, t] of unattributed.read()) yield t;
          })(),
        noValidHost: () => noValidHost.read(),
        close() {
          rejectionTexts.close();
          unattributed.close();
          noValidHost.close();
        },
      };
    } catch (e) {
      for (const s of [rejectionTexts, unattributed, noValidHost, conductorLines, this.rejections, this.attempts])
        s.close();
      throw e;
    }
  }

  /** The index's copy of a request id (one string for every incident that lists it). */
  private canonical(id: string | null): string | null {
    return id === null ? null : (this.requests.get(id)?.id ?? id);
  }

  private textRecord(t: PendingText): NvhRecord {
    return {
      k: 't',
      i: t.instanceUuid,
      look: t.instanceUuid === null ? 1 : 0,
      li: t.laterInstance,
      r: t.requestId,
      g: t.globalRequestId,
      t: t.time,
      f: null,
      in: t.input,
      l: t.line,
      o: t.offset,
      s: t.source,
      why: t.reason,
    };
  }

  /** The attempt as the report lists it, with the instance and reason the index and texts give it. */
  private attemptOf(rec: NvhRecord): NoValidHostEvent {
    let instance = rec.i ?? (rec.look === 1 ? this.single(rec.r, rec.g) : null);
    let reason = rec.why;
    const location = { file: this.files[rec.in] ?? '?', line: rec.l, offset: rec.o };
    if (rec.k === 't') {
      instance ??= rec.li ?? null;
      return { instance, requestId: rec.r, time: rec.t, filter: null, location, source: rec.s, reason };
    }
    // A conductor/API text of the same request lends the scheduler's line its reason and instance.
    const text = rec.r === null ? undefined : this.requests.get(rec.r)?.text;
    if (text) {
      reason ??= text.reason ?? null;
      instance ??= this.textRecordInstance(text);
    }
    const n: NoValidHostEvent = {
      instance,
      requestId: rec.r,
      time: rec.t,
      filter: rec.f,
      location,
      source: rec.s,
      reason,
    };
    if (rec.k === 'r') n.steps = rec.st as NoValidHostEvent['steps'];
    return n;
  }

  private textRecordInstance(t: PendingText): string | null {
    return t.instanceUuid ?? this.single(t.requestId, t.globalRequestId) ?? t.laterInstance;
  }
}

/** Mismatch objects and host names, one copy each for every aggregate that holds them. */
class Interned {
  private readonly strings = new Map<string, string>();
  private readonly pairs = new Map<string, { property: string; value: string }>();
  of(s: string): string {
    let v = this.strings.get(s);
    if (v === undefined) this.strings.set(s, (v = s));
    return v;
  }
  pair(property: string, value: string): { property: string; value: string } {
    const k = `${property}\u0000${value}`;
    let v = this.pairs.get(k);
    if (!v) this.pairs.set(k, (v = { property: this.of(property), value: this.of(value) }));
    return v;
  }
}

/** Where evidence was seen: input, line, offset (a flat list, three numbers each). */
class IncidentAggregate {
  readonly requestIds: string[] = [];
  private readonly mismatches: { property: string; value: string }[] = [];
  private readonly passing: [string, (string | null)[]][] = [];
  private readonly hosts = new Set<string>();
  private readonly rejections: number[] = [];
  private rejectionCount = 0;
  private attempts = 0;
  private readonly evidence: number[] = [];
  first = '';
  private last = '';

  constructor(
    readonly uuid: string,
    private readonly fileIndex: readonly number[],
  ) {}

  private seen(time: string, requestId: string | null): void {
    if (requestId && !this.requestIds.includes(requestId)) this.requestIds.push(requestId);
    if (time !== '') {
      if (this.first === '' || time < this.first) this.first = time;
      if (time > this.last) this.last = time;
    }
  }

  /** `attempt`: a failed attempt (counted) rather than a conductor/API line. */
  addEvidence(
    input: number,
    line: number,
    offset: number,
    time: string,
    requestId: string | null,
    attempt: boolean,
  ): void {
    if (attempt) this.attempts++;
    this.seen(time, requestId);
    const file = this.fileIndex[input] ?? input;
    const ev = this.evidence;
    for (let i = 0; i < ev.length; i += 3)
      if (ev[i + 1] === line && (this.fileIndex[ev[i] as number] ?? ev[i]) === file) return;
    if (ev.length >= MAX_EVIDENCE_PER_INCIDENT * 3) return;
    ev.push(input, line, offset);
  }

  addRejection(
    body: number,
    host: string | null,
    mismatches: RejMismatches,
    at: { input: number; line: number; offset: number },
    time: string,
    requestId: string | null,
    interned: Interned,
  ): void {
    this.rejectionCount++;
    if (this.rejections.length < MAX_REJECTIONS_PER_INCIDENT) this.rejections.push(body);
    if (host) this.hosts.add(interned.of(host));
    for (const [property, value, passingValues] of mismatches) {
      if (!this.mismatches.some((x) => x.property === property && x.value === value))
        this.mismatches.push(interned.pair(property, value));
      let p = this.passing.find((x) => x[0] === property)?.[1];
      if (!p) this.passing.push([interned.of(property), (p = [])]);
      for (const v of passingValues) if (!p.includes(v)) p.push(v);
    }
    this.addEvidence(at.input, at.line, at.offset, time, requestId, false);
  }

  /** The incident's JSON, as JSON.stringify gives it for an Incident. */
  text(files: readonly string[], store: TextStore): string {
    const ev = this.evidence;
    const order = Array.from({ length: ev.length / 3 }, (_, i) => i * 3);
    const fileOf = (i: number) => this.fileIndex[ev[i] as number] ?? (ev[i] as number);
    order.sort((a, b) => fileOf(a) - fileOf(b) || (ev[a + 1] as number) - (ev[b + 1] as number));
    const evidence = order.map((i) => ({ file: files[ev[i] as number] ?? '?', line: ev[i + 1], offset: ev[i + 2] }));
    const head = JSON.stringify({
      uuid: this.uuid,
      requestIds: this.requestIds,
      mismatches: this.mismatches,
      passingValues: Object.fromEntries(this.passing),
      hostsRejected: [...this.hosts].sort(),
      firstSeen: this.first,
      lastSeen: this.last,
    });
    const rejections = this.rejections.map((i) => store.get(i)).join(',');
    return `${head.slice(0, -1)},"rejections":[${rejections}],"evidence":${JSON.stringify(evidence)},"rejectionCount":${this.rejectionCount},"attempts":${this.attempts}}`;
  }
}

/** Rejections of one request that is not an incident, until its last one has been placed. */
class UnattributedAggregate {
  private readonly mismatches: { property: string; value: string }[] = [];
  private readonly rejections: number[] = [];
  private count = 0;
  private readonly hosts: string[] = [];

  constructor(
    readonly ordinal: number,
    private readonly requestId: string | null,
    private readonly knownInstance: string | null,
  ) {}

  add(body: number, host: string | null, mismatches: RejMismatches, interned: Interned): void {
    this.count++;
    if (this.rejections.length < MAX_REJECTIONS_PER_INCIDENT) this.rejections.push(body);
    if (host && !this.hosts.includes(host)) this.hosts.push(interned.of(host));
    for (const [property, value] of mismatches)
      if (!this.mismatches.some((x) => x.property === property && x.value === value))
        this.mismatches.push(interned.pair(property, value));
  }

  /** The entry's JSON, as JSON.stringify gives it for an UnattributedRejection. */
  text(bodies: TextStore): string {
    return `{"requestId":${JSON.stringify(this.requestId)},"mismatches":${JSON.stringify(this.mismatches)},"rejections":[${this.rejections.map((r) => bodies.get(r)).join(',')}],"rejectionCount":${this.count},"knownInstance":${JSON.stringify(this.knownInstance)},"hostsRejected":${JSON.stringify(this.hosts.sort())}}`;
  }
}

type Diagnosis = {
  mismatches: PropertyMismatch[];
  partial: boolean;
  /** The rejection's JSON between its host and its location, and the mismatches as finish() reads them. */
  texts?: { middle: string; mismatches: string };
};
/** props → supportedInstances (the shared array, or a sentinel for null/undefined) → hypervisor version → result. */
export type DiagnosisMemo = WeakMap<object, WeakMap<object, Map<number | null | undefined, Diagnosis>>>;
const NO_SUPP = {};
const UNREADABLE_SUPP = {};

/**
 * Mismatches for one rejection line, memoised by identity: equal property sets and supported_instances
 * lists are shared objects (interned where the lines were read), and every host of a request repeats them.
 */
export function diagnose(
  pe: ResolvedPropsEvent | ResolvedRejectionEvent,
  opts: FilterOptions,
  memo: DiagnosisMemo,
): Diagnosis {
  if (!pe.props) return { mismatches: [], partial: true };
  let bySupp = memo.get(pe.props);
  if (!bySupp) memo.set(pe.props, (bySupp = new WeakMap()));
  const suppKey = pe.supportedInstances === undefined ? UNREADABLE_SUPP : (pe.supportedInstances ?? NO_SUPP);
  let byHv = bySupp.get(suppKey);
  if (!byHv) bySupp.set(suppKey, (byHv = new Map()));
  let d = byHv.get(pe.hypervisorVersion);
  if (!d) byHv.set(pe.hypervisorVersion, (d = diagnoseOnce(pe, pe.props, opts)));
  return d;
}

function diagnoseOnce(
  pe: ResolvedPropsEvent | ResolvedRejectionEvent,
  props: ParsedImageProps,
  opts: FilterOptions,
): Diagnosis {
  let m: PropertyMismatch[];
  let partial = props.partial;
  if (pe.supportedInstances === undefined) {
    // The host side is unreadable (e.g. "[...]" in a pasted line): every filtered property that is set
    // is a suspect, and removing it is the one change known to pass.
    partial = true;
    m = suspects(props, opts);
  } else {
    m = hostMismatches(
      props.props,
      { supportedInstances: pe.supportedInstances ?? [], hypervisorVersion: pe.hypervisorVersion ?? null },
      opts,
    );
    // Nova said no but the same rules say yes: something the line does not show (a default architecture,
    // a maxphysaddr limit). Report the set properties rather than nothing.
    if (m.length === 0) {
      partial = true;
      m = suspects(props, opts);
    }
  }
  return { mismatches: m, partial };
}

const requestedMemo = new WeakMap<ParsedImageProps, Record<string, string>>();

/** The filtered properties an image requests; one shared object per parsed property set. */
export function requestedOf(props: ParsedImageProps, opts: FilterOptions): Record<string, string> {
  let r = requestedMemo.get(props);
  if (!r) requestedMemo.set(props, (r = filteredValues(props.props, opts) as Record<string, string>));
  return r;
}

function suspects(props: ParsedImageProps, opts: FilterOptions): PropertyMismatch[] {
  return Object.entries(filteredValues(props.props, opts)).map(([property, value]) => ({
    property: property as FilteredProperty,
    value: value as string,
    passingValues: [null],
  }));
}

/** NoValidHostEvent.reason of "Got no allocation candidates from the Placement API". */
export const PLACEMENT_REASON = 'Placement returned no allocation candidates';

export function sourceOf(logger: string): NonNullable<NoValidHostEvent['source']> {
  // nova.scheduler.utils.set_vm_state_and_notify runs in the conductor.
  if (logger.startsWith('nova.conductor') || logger === 'nova.scheduler.utils') return 'conductor';
  if (logger.startsWith('nova.scheduler') || logger === 'nova.filters') return 'scheduler';
  if (logger.startsWith('nova.api')) return 'api';
  return 'other';
}

/** Why scheduling failed, counted as the attempts come by time (the report's order). */
export class TriageBuilder {
  private readonly byFilter = new Map<string, { attempts: number; instances: Set<string> }>();
  private readonly perHour = new Map<string, { attempts: number; byFilter: Record<string, number> }>();
  private readonly perInstance = new Map<
    string,
    { attempts: number; byFilter: Record<string, number>; lastFilter: string | null; lastSeen: string }
  >();

  add(e: NoValidHostEvent): void {
    if (e.source !== 'scheduler') return;
    const f = e.filter ?? (e.reason === PLACEMENT_REASON ? 'Placement' : 'unknown');
    let bf = this.byFilter.get(f);
    if (!bf) this.byFilter.set(f, (bf = { attempts: 0, instances: new Set() }));
    bf.attempts++;
    if (e.instance) bf.instances.add(e.instance);
    const hour = e.time === '' ? 'unknown' : `${e.time.slice(0, 13)}:00`;
    let h = this.perHour.get(hour);
    if (!h) this.perHour.set(hour, (h = { attempts: 0, byFilter: {} }));
    h.attempts++;
    h.byFilter[f] = (h.byFilter[f] ?? 0) + 1;
    if (e.instance) {
      let pi = this.perInstance.get(e.instance);
      if (!pi) this.perInstance.set(e.instance, (pi = { attempts: 0, byFilter: {}, lastFilter: null, lastSeen: '' }));
      pi.attempts++;
      pi.byFilter[f] = (pi.byFilter[f] ?? 0) + 1;
      if (e.time >= pi.lastSeen) {
        pi.lastSeen = e.time;
        pi.lastFilter = f;
      }
    }
  }

  done(): TriageReport {
    return {
      byFilter: [...this.byFilter]
        .map(([filter, v]) => ({ filter, attempts: v.attempts, instances: v.instances.size }))
        .sort((a, b) => b.attempts - a.attempts || (a.filter < b.filter ? -1 : 1)),
      perHour: [...this.perHour]
        .map(([hour, v]) => ({ hour, ...v }))
        .sort((a, b) => (a.hour < b.hour ? -1 : a.hour > b.hour ? 1 : 0)),
      perInstance: [...this.perInstance]
        .map(([instance, v]) => ({ instance, ...v }))
        .sort((a, b) => b.attempts - a.attempts || (a.instance < b.instance ? -1 : 1)),
    };
  }
}
