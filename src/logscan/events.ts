// What one log record means for scheduling: the messages nova writes in image_props_filter.py,
// filters.py, scheduler/manager.py, and where NoValidHost surfaces (conductor, api). Pure: text in, event out.
import { parseHostStateRepr } from '../nova/hostState.js';
import { type ParsedImageProps, parseImagePropsText } from '../nova/imageMetaProps.js';
import { parsePyLiteralExact } from '../nova/pyLiteral.js';
import { parseHypervisorVersion, parseSupportedInstances } from '../nova/supportedInstances.js';
import type { SupportedInstance } from '../nova/types.js';

/** "Instance contains properties …": one host refused the image (DEBUG, image_props_filter). */
export interface PropsEvent {
  kind: 'props';
  /** The properties text as logged; equal texts parse equally, so callers may cache on it. */
  propsText: string;
  props: ParsedImageProps | null;
  /** null: "no corresponding supported_instances are advertised"; undefined: not readable (abbreviated). */
  supportedInstances: SupportedInstance[] | null | undefined;
  hypervisorVersion: number | null | undefined;
}

/** "<HostState> does not support requested instance_properties" (DEBUG, follows a PropsEvent). */
export interface HostRejectEvent {
  kind: 'host-reject';
  host: string;
  node: string;
}

/** "Filter X returned 0 hosts" (INFO, nova.filters). */
export interface ReturnedZeroEvent {
  kind: 'returned-zero';
  filter: string;
}

export interface FilterStep {
  filter: string;
  start: number | null;
  end: number | null;
}

/** "Filtering removed all hosts for the request with [reservation ID '…' and ]instance ID '…'. Filter results: …". */
export interface RemovedAllEvent {
  kind: 'removed-all';
  /** null when nova logged '' (cells v1 legacy dicts). */
  instance: string | null;
  reservationId: string | null;
  form: 'info' | 'debug';
  /** The filter that removed the last host (last element of the results). */
  filter: string | null;
  steps: FilterStep[];
  /** The DEBUG and INFO lines of one attempt, already merged into this event (location: the first). */
  both?: boolean;
}

/** "Starting to schedule for instances: […]" (DEBUG, scheduler manager). */
export interface ScheduleStartEvent {
  kind: 'schedule-start';
  instances: string[];
}

/** "No valid host was found. <reason>" wherever it is logged (conductor, api, oslo.messaging). */
export interface NoValidHostTextEvent {
  kind: 'no-valid-host';
  reason: string | null;
}

/** "Got no allocation candidates from the Placement API." (scheduler manager): NoValidHost before any filter. */
export interface NoCandidatesEvent {
  kind: 'no-candidates';
}

export type MessageEvent =
  | PropsEvent
  | HostRejectEvent
  | ReturnedZeroEvent
  | RemovedAllEvent
  | ScheduleStartEvent
  | NoValidHostTextEvent
  | NoCandidatesEvent;

const PROPS_HEAD = 'Instance contains properties ';
const NOT_PROVIDED = ' that are not provided by the compute node supported_instances ';
const HV_VERSION = ' or hypervisor version ';
const DO_NOT_MATCH = ' do not match';
const NONE_ADVERTISED = ', but no corresponding supported_instances are advertised by the compute node';
const HOST_REJECT = ' does not support requested instance_properties';
const REMOVED_ALL = 'Filtering removed all hosts for the request with ';
const START = 'Starting to schedule for instances: ';
const NO_VALID_HOST = 'No valid host was found.';
const NO_CANDIDATES = 'Got no allocation candidates from the Placement API';
const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** What "Filter results: […]" says (parseFilterResults). */
export type FilterResults = { form: 'info' | 'debug'; filter: string | null; steps: FilterStep[] };

/**
 * Classifies a message (DEBUG suffix already removed). `cache` memoises the parse of property texts,
 * which repeat for every host of a request; `resultsCache` the "Filter results" lists, which repeat for
 * every failed attempt (their steps are then shared: treat them as read-only).
 */
export function classifyMessage(
  message: string,
  cache?: Map<string, ParsedImageProps | null>,
  resultsCache?: Map<string, FilterResults>,
): MessageEvent | null {
  if (message.startsWith(PROPS_HEAD)) return propsEvent(message, cache);
  if (message.startsWith('(') && message.includes(HOST_REJECT)) {
    const hs = parseHostStateRepr(message);
    if (hs) return { kind: 'host-reject', host: hs.host, node: hs.node };
    return null;
  }
  if (message.startsWith('Filter ') && message.endsWith(' returned 0 hosts')) {
    const filter = message.slice(7, -17);
    if (/^[A-Za-z_][\w.]{0,200}$/.test(filter)) return { kind: 'returned-zero', filter };
    return null;
  }
  if (message.startsWith(REMOVED_ALL)) return removedAll(message, resultsCache);
  if (message.startsWith(START)) {
    const v = parsePyLiteralExact(message.slice(START.length));
    if (!Array.isArray(v)) return null;
    const instances = v.filter((x): x is string => typeof x === 'string' && UUID.test(x)).map((x) => x.toLowerCase());
    return { kind: 'schedule-start', instances };
  }
  if (message.startsWith(NO_CANDIDATES)) return { kind: 'no-candidates' };
  const nvh = message.indexOf(NO_VALID_HOST);
  if (nvh >= 0) {
    const reason = firstLine(message.slice(nvh + NO_VALID_HOST.length)).trim();
    return { kind: 'no-valid-host', reason: reason === '' ? null : reason };
  }
  return null;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

function propsEvent(message: string, cache?: Map<string, ParsedImageProps | null>): PropsEvent | null {
  let propsText: string;
  let supportedInstances: SupportedInstance[] | null | undefined;
  let hypervisorVersion: number | null | undefined;
  const np = message.lastIndexOf(NOT_PROVIDED);
  if (np >= 0) {
    propsText = message.slice(PROPS_HEAD.length, np);
    const rest = message.slice(np + NOT_PROVIDED.length);
    const hv = rest.lastIndexOf(HV_VERSION);
    if (hv < 0) {
      supportedInstances = undefined;
      hypervisorVersion = undefined;
    } else {
      const parsed = parseSupportedInstances(rest.slice(0, hv));
      supportedInstances = parsed === null ? undefined : parsed;
      const tail = rest.slice(hv + HV_VERSION.length);
      const dm = tail.indexOf(DO_NOT_MATCH);
      hypervisorVersion = dm < 0 ? undefined : parseHypervisorVersion(tail.slice(0, dm));
    }
  } else {
    const na = message.lastIndexOf(NONE_ADVERTISED);
    if (na < 0) return null;
    propsText = message.slice(PROPS_HEAD.length, na);
    supportedInstances = null;
    hypervisorVersion = undefined;
  }
  let props = cache?.get(propsText);
  if (props === undefined) {
    props = parseImagePropsText(propsText);
    if (cache) {
      if (cache.size > 10_000) cache.clear();
      cache.set(propsText, props);
    }
  }
  return { kind: 'props', propsText, props, supportedInstances, hypervisorVersion };
}

function removedAll(message: string, resultsCache?: Map<string, FilterResults>): RemovedAllEvent | null {
  let rest = message.slice(REMOVED_ALL.length);
  let reservationId: string | null = null;
  if (rest.startsWith("reservation ID '")) {
    const q = rest.indexOf("'", 16);
    if (q < 0) return null;
    reservationId = rest.slice(16, q);
    if (!rest.startsWith("' and ", q)) return null;
    rest = rest.slice(q + 6);
  }
  if (!rest.startsWith("instance ID '")) return null;
  const q = rest.indexOf("'", 13);
  if (q < 0) return null;
  const uuid = rest.slice(13, q);
  const instance = UUID.test(uuid) ? uuid.toLowerCase() : null;
  const head = "'. Filter results: ";
  if (!rest.startsWith(head, q)) return null;
  const results = firstLine(rest.slice(q + head.length)).trim();
  let parsed = resultsCache?.get(results);
  if (parsed === undefined) {
    parsed = parseFilterResults(results);
    if (resultsCache) {
      if (resultsCache.size >= 1000) resultsCache.clear();
      resultsCache.set(results, parsed);
    }
  }
  return {
    kind: 'removed-all',
    instance,
    reservationId,
    form: parsed.form,
    filter: parsed.filter,
    steps: parsed.steps,
  };
}

const STEP = /^([A-Za-z_][\w.]*): \(start: (\d+), end: (\d+)\)$/;

/**
 * INFO form: `['RetryFilter: (start: 9, end: 9)', …]` (plain str, no u'' even on py2).
 * DEBUG form: `[('RetryFilter', [(u'host', u'node'), …]), …, ('ImagePropertiesFilter', None)]`: it can be
 * large (every host per filter), so only the filter names are read, without building the host lists.
 */
export function parseFilterResults(text: string): FilterResults {
  if (text.startsWith("['") || text === '[]') {
    const v = parsePyLiteralExact(text);
    const steps: FilterStep[] = [];
    if (Array.isArray(v)) {
      for (const s of v) {
        if (typeof s !== 'string') continue;
        const m = STEP.exec(s);
        if (m) steps.push({ filter: m[1] as string, start: Number(m[2]), end: Number(m[3]) });
      }
    }
    const last = steps[steps.length - 1];
    return { form: 'info', filter: last && last.end === 0 ? last.filter : (last?.filter ?? null), steps };
  }
  // DEBUG: each element starts with "('Name', " (py2 may write u'Name' only for the hosts).
  const steps: FilterStep[] = [];
  const re = /\(u?'([A-Za-z_][\w.]{0,200})', (None\)|\[)/y;
  let depth = 0;
  let i = 0;
  // Only tuples at nesting depth 1 are filter entries; walk brackets outside quotes once.
  let quote = 0;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (quote !== 0) {
      if (c === 92) i++;
      else if (c === quote) quote = 0;
      continue;
    }
    if (c === 39 || c === 34) quote = c;
    else if (c === 91 || c === 40) {
      if (depth === 1 && c === 40) {
        re.lastIndex = i;
        const m = re.exec(text);
        if (m) steps.push({ filter: m[1] as string, start: null, end: m[2] === 'None)' ? 0 : null });
      }
      depth++;
    } else if (c === 93 || c === 41) depth--;
  }
  const last = steps[steps.length - 1];
  return { form: 'debug', filter: last?.filter ?? null, steps };
}
