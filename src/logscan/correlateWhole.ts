// The whole-report correlation: every event of the scan in memory, the report's arrays built as objects.
// It is the fast path for inputs whose events fit comfortably in memory (see IN_MEMORY_BELOW_BYTES in
// index.ts): no JSON texts built, spilled and parsed back. The Correlator (correlate.ts) gives the same
// report for inputs of any size in bounded memory; the tests hold the two to the same bytes
// (test/logscan/streamedReport.test.ts). The helpers they share (diagnosis, triage) are correlate.ts's.
import type { FilterOptions } from '../nova/imagePropsFilter.js';
import {
  type DiagnosisMemo,
  diagnose,
  IMAGE_FILTER,
  type LogEvent,
  MAX_EVIDENCE_PER_INCIDENT,
  MAX_REJECTIONS_PER_INCIDENT,
  PLACEMENT_REASON,
  type ResolvedPropsEvent,
  type ResolvedRejectionEvent,
  requestedOf,
  sourceOf,
  TriageBuilder,
} from './correlate.js';
import { closeInTime } from './timeRange.js';
import type {
  Incident,
  LogLocation,
  NoValidHostEvent,
  Rejection,
  ScanReport,
  TriageReport,
  UnattributedRejection,
} from './types.js';

type Correlated = Pick<ScanReport, 'instances' | 'unattributed' | 'noValidHost' | 'triage'>;

interface RejectionRec {
  rejection: Rejection;
  requestId: string | null;
  globalRequestId: string | null;
}

/** Events must be in log order: by input, then offset. */
export function correlateWhole(
  files: readonly string[],
  events: readonly LogEvent[],
  opts: FilterOptions = {},
): Correlated {
  const loc = (e: LogEvent): LogLocation => ({ file: files[e.input] ?? '?', line: e.line, offset: e.offset });

  // 1. Which instances each request id is about (nearly always one: a string until there is a second).
  const instancesOf = new Map<string, string | Set<string>>();
  const addInstance = (id: string | null, uuid: string) => {
    if (id === null) return;
    const known = instancesOf.get(id);
    if (known === undefined) instancesOf.set(id, uuid);
    else if (typeof known === 'string') {
      if (known !== uuid) instancesOf.set(id, new Set([known, uuid]));
    } else known.add(uuid);
  };
  const addBoth = (e: LogEvent, uuid: string) => {
    addInstance(e.requestId, uuid);
    addInstance(e.globalRequestId, uuid);
  };
  for (const e of events) {
    if (e.instanceUuid) addBoth(e, e.instanceUuid);
    const ev = e.ev;
    if (ev.kind === 'removed-all') {
      if (ev.instance) addBoth(e, ev.instance);
    } else if (ev.kind === 'schedule-start') for (const u of ev.instances) addBoth(e, u);
  }
  const looked = new Map<string, string[]>();
  const lookup = (requestId: string | null, globalId: string | null): string[] => {
    // Memoised for the common case (no global id): every rejection of a request asks the same question.
    const memoKey = globalId === null ? requestId : null;
    if (memoKey !== null) {
      const hit = looked.get(memoKey);
      if (hit) return hit;
    }
    const out = new Set<string>();
    for (const id of [requestId, globalId]) {
      const s = id === null ? undefined : instancesOf.get(id);
      if (typeof s === 'string') out.add(s);
      else if (s) for (const u of s) out.add(u);
    }
    const list = [...out];
    if (memoKey !== null) looked.set(memoKey, list);
    return list;
  };
  const single = (requestId: string | null, globalId: string | null): string | null => {
    const l = lookup(requestId, globalId);
    return l.length === 1 ? (l[0] as string) : null;
  };

  // 2. Rejections: "Instance contains properties …" followed by "<host> does not support …".
  const rejections: RejectionRec[] = [];
  const pending = new Map<string, LogEvent>();
  const mismatchMemo: DiagnosisMemo = new WeakMap();
  const build = (
    src: LogEvent,
    pe: ResolvedPropsEvent | ResolvedRejectionEvent | null,
    host: { host: string; node: string } | null,
  ) => {
    const { mismatches, partial } = pe ? diagnose(pe, opts, mismatchMemo) : { mismatches: [], partial: true };
    const rejection: Rejection = {
      requestId: src.requestId,
      time: src.time,
      host: host?.host ?? null,
      node: host?.node ?? null,
      requested: pe?.props ? requestedOf(pe.props, opts) : {},
      supportedInstances: pe?.supportedInstances ?? null,
      hypervisorVersion: pe?.hypervisorVersion ?? null,
      mismatches,
      location: loc(src),
    };
    if (partial) rejection.partial = true;
    rejections.push({ rejection, requestId: src.requestId, globalRequestId: src.globalRequestId });
  };
  const keyOf = (e: LogEvent) => `${e.input}\u0000${e.pid ?? ''}\u0000${e.requestId ?? ''}`;
  for (const e of events) {
    const ev = e.ev;
    if (ev.kind === 'rejection') build(e, ev, ev);
    else if (ev.kind === 'props') {
      const k = keyOf(e);
      const prev = pending.get(k);
      if (prev && prev.ev.kind === 'props') build(prev, prev.ev, null);
      pending.set(k, e);
    } else if (ev.kind === 'host-reject') {
      const k = keyOf(e);
      const prev = pending.get(k);
      pending.delete(k);
      if (prev && prev.ev.kind === 'props') build(prev, prev.ev, ev);
      else build(e, null, ev);
    }
  }
  for (const p of pending.values()) if (p.ev.kind === 'props') build(p, p.ev, null);
  rejections.sort((a, b) => compareLoc(a.rejection.location, b.rejection.location, files));

  // 3. NoValidHost attempts.
  const noValidHost = noValidHostEvents(events, loc, single);

  // 4. Incidents: instances whose scheduling failed because ImagePropertiesFilter removed the last host.
  // Rejections of other requests (another host passed, another filter had the last word, or no request
  // id at all) stay visible as unattributed, with the instance when the log names it.
  const failedRequests = new Set<string>();
  for (const n of noValidHost) {
    if (n.requestId && n.source === 'scheduler' && n.filter === IMAGE_FILTER) failedRequests.add(n.requestId);
  }
  const incidents = new Map<string, IncidentBuilder>();
  const incident = (uuid: string) => {
    let b = incidents.get(uuid);
    if (!b) incidents.set(uuid, (b = new IncidentBuilder(uuid)));
    return b;
  };
  const unattributed = new Map<string, UnattributedRejection>();
  for (const r of rejections) {
    const failed =
      (r.requestId !== null && failedRequests.has(r.requestId)) ||
      (r.globalRequestId !== null && failedRequests.has(r.globalRequestId));
    const uuids = lookup(r.requestId, r.globalRequestId);
    if (failed && uuids.length > 0) {
      for (const u of uuids) incident(u).addRejection(r.rejection);
      continue;
    }
    const key = r.requestId ?? '';
    let u = unattributed.get(key);
    if (!u) {
      unattributed.set(
        key,
        (u = {
          requestId: r.requestId,
          mismatches: [],
          rejections: [],
          rejectionCount: 0,
          knownInstance: uuids.length === 1 ? (uuids[0] as string) : null,
          hostsRejected: [],
        }),
      );
    }
    u.rejectionCount = (u.rejectionCount ?? 0) + 1;
    if (u.rejections.length < MAX_REJECTIONS_PER_INCIDENT) u.rejections.push(r.rejection);
    if (r.rejection.host && !u.hostsRejected?.includes(r.rejection.host)) u.hostsRejected?.push(r.rejection.host);
    for (const m of r.rejection.mismatches) {
      if (!u.mismatches.some((x) => x.property === m.property && x.value === m.value))
        u.mismatches.push({ property: m.property, value: m.value });
    }
  }
  for (const u of unattributed.values()) u.hostsRejected?.sort();
  for (const n of noValidHost) {
    if (n.instance && n.filter === IMAGE_FILTER && n.source === 'scheduler') incident(n.instance).addAttempt(n);
  }
  for (const n of noValidHost) {
    // Conductor/API lines about an instance that already has an incident are part of its evidence.
    if (n.instance && n.source !== 'scheduler' && incidents.has(n.instance))
      incident(n.instance).addEvidence(n.location, n.time, n.requestId);
  }

  const instances = [...incidents.values()]
    .map((b) => b.done(files))
    .sort((a, b) => (a.firstSeen < b.firstSeen ? -1 : a.firstSeen > b.firstSeen ? 1 : a.uuid < b.uuid ? -1 : 1));
  return { instances, unattributed: [...unattributed.values()], noValidHost, triage: triage(noValidHost) };
}

function compareLoc(a: LogLocation, b: LogLocation, files: readonly string[]): number {
  const fa = files.indexOf(a.file);
  const fb = files.indexOf(b.file);
  if (fa !== fb) return fa - fb;
  return a.line - b.line;
}

class IncidentBuilder {
  private readonly requestIds: string[] = [];
  private readonly mismatches: { property: string; value: string }[] = [];
  private readonly passing = new Map<string, (string | null)[]>();
  private readonly hosts = new Set<string>();
  private readonly rejections: Rejection[] = [];
  private rejectionCount = 0;
  private attempts = 0;
  private readonly evidence: LogLocation[] = [];
  /** file → lines already in evidence (no per-line key strings). */
  private readonly evidenceKeys = new Map<string, Set<number>>();
  private first = '';
  private last = '';

  constructor(readonly uuid: string) {}

  private seen(time: string, requestId: string | null): void {
    if (requestId && !this.requestIds.includes(requestId)) this.requestIds.push(requestId);
    if (time !== '') {
      if (this.first === '' || time < this.first) this.first = time;
      if (time > this.last) this.last = time;
    }
  }

  addEvidence(l: LogLocation, time: string, requestId: string | null): void {
    this.seen(time, requestId);
    let lines = this.evidenceKeys.get(l.file);
    if (!lines) this.evidenceKeys.set(l.file, (lines = new Set()));
    if (lines.has(l.line) || this.evidence.length >= MAX_EVIDENCE_PER_INCIDENT) return;
    lines.add(l.line);
    this.evidence.push(l);
  }

  addRejection(r: Rejection): void {
    this.rejectionCount++;
    if (this.rejections.length < MAX_REJECTIONS_PER_INCIDENT) this.rejections.push(r);
    if (r.host) this.hosts.add(r.host);
    for (const m of r.mismatches) {
      if (!this.mismatches.some((x) => x.property === m.property && x.value === m.value))
        this.mismatches.push({ property: m.property, value: m.value });
      let p = this.passing.get(m.property);
      if (!p) this.passing.set(m.property, (p = []));
      for (const v of m.passingValues) if (!p.includes(v)) p.push(v);
    }
    this.addEvidence(r.location, r.time, r.requestId);
  }

  addAttempt(n: NoValidHostEvent): void {
    this.attempts++;
    this.addEvidence(n.location, n.time, n.requestId);
  }

  done(files: readonly string[]): Incident {
    const evidence = [...this.evidence].sort((a, b) => compareLoc(a, b, files));
    return {
      uuid: this.uuid,
      requestIds: this.requestIds,
      mismatches: this.mismatches,
      passingValues: Object.fromEntries(this.passing),
      hostsRejected: [...this.hosts].sort(),
      firstSeen: this.first,
      lastSeen: this.last,
      rejections: this.rejections,
      evidence,
      rejectionCount: this.rejectionCount,
      attempts: this.attempts,
    };
  }
}

function noValidHostEvents(
  events: readonly LogEvent[],
  loc: (e: LogEvent) => LogLocation,
  single: (r: string | null, g: string | null) => string | null,
): NoValidHostEvent[] {
  const out: NoValidHostEvent[] = [];
  const reqKey = (e: LogEvent) => e.requestId ?? `${e.input}:${e.pid ?? ''}`;
  const pendingZero = new Map<string, LogEvent>();
  const lastRemoved = new Map<string, { ev: NoValidHostEvent; form: 'info' | 'debug'; merged: boolean }>();
  const schedulerRequests = new Set<string>();
  const texts = new Map<string, NoValidHostEvent>();

  const flushZero = (e: LogEvent) => {
    if (e.ev.kind !== 'returned-zero') return;
    out.push({
      instance: e.instanceUuid ?? single(e.requestId, e.globalRequestId),
      requestId: e.requestId,
      time: e.time,
      filter: e.ev.filter,
      location: loc(e),
      source: 'scheduler',
      reason: null,
    });
  };

  for (const e of events) {
    const ev = e.ev;
    if (ev.kind === 'returned-zero') {
      const k = reqKey(e);
      const prev = pendingZero.get(k);
      if (prev) flushZero(prev);
      pendingZero.set(k, e);
      if (e.requestId) schedulerRequests.add(e.requestId);
    } else if (ev.kind === 'removed-all') {
      const k = reqKey(e);
      pendingZero.delete(k);
      if (e.requestId) schedulerRequests.add(e.requestId);
      const last = lastRemoved.get(k);
      if (
        !ev.both &&
        last &&
        !last.merged &&
        last.form !== ev.form &&
        last.ev.filter === ev.filter &&
        (last.ev.instance === ev.instance || ev.instance === null) &&
        closeInTime(last.ev.time, e.time)
      ) {
        // The DEBUG (full) and INFO (counts) lines of one attempt: keep one event, with the counts.
        last.merged = true;
        if (ev.form === 'info') last.ev.steps = ev.steps;
        continue;
      }
      const n: NoValidHostEvent = {
        instance: ev.instance ?? e.instanceUuid ?? single(e.requestId, e.globalRequestId),
        requestId: e.requestId,
        time: e.time,
        filter: ev.filter,
        location: loc(e),
        source: 'scheduler',
        reason: null,
        steps: ev.steps,
      };
      out.push(n);
      lastRemoved.set(k, { ev: n, form: ev.form, merged: ev.both === true });
    } else if (ev.kind === 'no-candidates') {
      if (e.requestId) schedulerRequests.add(e.requestId);
      out.push({
        instance: e.instanceUuid ?? single(e.requestId, e.globalRequestId),
        requestId: e.requestId,
        time: e.time,
        filter: null,
        location: loc(e),
        source: 'scheduler',
        reason: PLACEMENT_REASON,
      });
    } else if (ev.kind === 'no-valid-host') {
      const key = e.requestId ?? `@${e.input}:${e.offset}`;
      const seen = texts.get(key);
      if (seen) {
        seen.instance ??= e.instanceUuid;
        seen.reason ??= ev.reason;
        continue;
      }
      texts.set(key, {
        instance: e.instanceUuid ?? single(e.requestId, e.globalRequestId),
        requestId: e.requestId,
        time: e.time,
        filter: null,
        location: loc(e),
        source: sourceOf(e.logger),
        reason: ev.reason,
      });
    }
  }
  for (const e of pendingZero.values()) flushZero(e);
  const byRequest = new Map<string, NoValidHostEvent[]>();
  for (const s of out) {
    if (!s.requestId) continue;
    const l = byRequest.get(s.requestId);
    if (l) l.push(s);
    else byRequest.set(s.requestId, [s]);
  }
  for (const [key, n] of texts) {
    if (n.requestId && schedulerRequests.has(key)) {
      // The scheduler's own lines already describe this attempt: lend them the reason and instance.
      for (const s of byRequest.get(n.requestId) ?? []) {
        s.reason ??= n.reason ?? null;
        s.instance ??= n.instance;
      }
      continue;
    }
    // The filter is known when the scheduler's log for the same request is part of the scan.
    out.push(n);
  }
  out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return out;
}

function triage(events: readonly NoValidHostEvent[]): TriageReport {
  const t = new TriageBuilder();
  for (const e of events) t.add(e);
  return t.done();
}
