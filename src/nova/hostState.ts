// HostState.__repr__ (nova/scheduler/host_manager.py) in its three forms:
//   Kilo/Liberty:   (host, node) ram:120000 disk:900000 io_ops:0 instances:12
//   Mitaka…Zed:     (host, node) ram: 120000MB disk: 900000MB io_ops: 0 instances: 12
//   2023.1+:        (host, node) ram: 120000MB disk: 900000MB io_ops: 0 instances: 12, allocation_candidates: 3

export interface HostStateRepr {
  host: string;
  /** hypervisor_hostname (libvirt: FQDN; ironic: node uuid; vmware: may contain parentheses). */
  node: string;
  freeRamMb: number | null;
  freeDiskMb: number | null;
  ioOps: number | null;
  instances: number | null;
  allocationCandidates: number | null;
  /** Index just past the repr. */
  end: number;
}

const NUM = '(-?\\d+(?:\\.\\d+)?)';
const TAIL = new RegExp(
  `^ ram: ?${NUM}(?:MB)? disk: ?${NUM}(?:MB)? io_ops: ?${NUM} instances: ?${NUM}(?:, allocation_candidates: (\\d+))?`,
);

/** Parses a HostState repr at the start of `text`. Returns null when the text does not start with one. */
export function parseHostStateRepr(text: string): HostStateRepr | null {
  if (!text.startsWith('(')) return null;
  const sep = text.indexOf(', ');
  const close = text.indexOf(') ram:');
  if (sep < 0 || close < 0 || sep > close) return null;
  const host = text.slice(1, sep);
  const node = text.slice(sep + 2, close);
  const m = TAIL.exec(text.slice(close + 1, close + 200));
  if (!m) return null;
  const num = (s: string | undefined): number | null => (s === undefined ? null : Number(s));
  return {
    host,
    node,
    freeRamMb: num(m[1]),
    freeDiskMb: num(m[2]),
    ioOps: num(m[3]),
    instances: num(m[4]),
    allocationCandidates: num(m[5]),
    end: close + 1 + m[0].length,
  };
}

/** Where host and node lie in a HostState repr read from bytes (see hostStateSpans). */
export interface HostStateSpans {
  /** Index just past the host (the ', ' before the node starts here). */
  hostEnd: number;
  /** Index of the ') ram:' after the node. */
  nodeEnd: number;
}

/**
 * parseHostStateRepr's decision on ASCII bytes, without decoding them: the spans of host and node when
 * b[start, end) starts with a repr, else null. A host-reject line (8.3k per GiB of a realistic log) needs only
 * these two names; the numbers are checked the way TAIL checks them and not read. The caller ensures the
 * bytes are ASCII (byte offsets are then string offsets), and the test holds it to parseHostStateRepr.
 */
export function hostStateSpans(b: Uint8Array, start: number, end: number): HostStateSpans | null {
  if (start >= end || b[start] !== 40) return null;
  const sep = indexIn(b, SEP, start, end);
  const close = sep < 0 ? -1 : indexIn(b, RAM, start, end);
  if (sep < 0 || close < 0 || sep > close) return null;
  // TAIL on text.slice(close + 1, close + 200): anchored, matched within those 199 characters.
  const limit = Math.min(end, close + 200);
  let p = close + 1;
  for (const label of TAIL_LABELS) {
    if (!matchesAt(b, label, p, limit)) return null;
    p += label.length;
    if (p < limit && b[p] === 32) p++;
    p = numberEnd(b, p, limit);
    if (p < 0) return null;
    if (label !== TAIL_LAST && label !== IO_OPS && p + 1 < limit && b[p] === 77 && b[p + 1] === 66) p += 2; // MB
  }
  return { hostEnd: sep, nodeEnd: close };
}

const SEP = Buffer.from(', ');
const RAM = Buffer.from(') ram:');
const IO_OPS = Buffer.from(' io_ops:');
const TAIL_LAST = Buffer.from(' instances:');
const TAIL_LABELS = [Buffer.from(' ram:'), Buffer.from(' disk:'), IO_OPS, TAIL_LAST];

/** End of NUM (-?\d+(?:\.\d+)?) at p, within limit; -1 when there is none. Greedy equals the regex here. */
function numberEnd(b: Uint8Array, p: number, limit: number): number {
  if (p < limit && b[p] === 45) p++;
  const digits = p;
  while (p < limit && isDigit(b[p] as number)) p++;
  if (p === digits) return -1;
  if (p + 1 < limit && b[p] === 46 && isDigit(b[p + 1] as number)) {
    p += 2;
    while (p < limit && isDigit(b[p] as number)) p++;
  }
  return p;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function matchesAt(b: Uint8Array, needle: Uint8Array, at: number, limit: number): boolean {
  if (at + needle.length > limit) return false;
  for (let i = 0; i < needle.length; i++) if (b[at + i] !== needle[i]) return false;
  return true;
}

/** The first needle in b[from, end): a loop, as the needles lie a few dozen bytes in (a Buffer.indexOf call costs more). */
function indexIn(b: Uint8Array, needle: Uint8Array, from: number, end: number): number {
  const first = needle[0];
  for (let i = from; i + needle.length <= end; i++) if (b[i] === first && matchesAt(b, needle, i, end)) return i;
  return -1;
}
