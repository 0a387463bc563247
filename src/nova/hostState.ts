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
