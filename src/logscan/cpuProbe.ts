// The probe threadChoice.ts decides with: how much CPU other processes (and the hypervisor: steal) used while this
// one started. It costs no CPU: the kernel's counters (/proc/stat for all CPUs, /proc/self/stat for this
// process's threads) are read when the scan is prepared (startup.ts, or when this module loads) and again when
// the threads are chosen; others = all CPUs' busy time - ours. Where there is no /proc (or the window is too
// short for its 10 ms ticks to say much), the 1-minute load average stands in (a process that has just started
// adds nothing to it yet); where that is 0 too (Windows), the load is unknown.
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import type { ParallelProbe } from './threadChoice.js';

export interface CpuSample {
  atMs: number;
  /** Ticks (USER_HZ) of all CPUs: busy (everything but idle and iowait) and in all; CPUs counted. */
  busy: number;
  total: number;
  cpus: number;
  /** This process's ticks, all threads (utime + stime). */
  own: number;
}

/** Below this many ticks per CPU the counters say too little (±1 tick each). */
const MIN_TICKS_PER_CPU = 5;

/** The kernel's counters now, or null where there is no /proc. */
export function sampleCpu(): CpuSample | null {
  try {
    const stat = readFileSync('/proc/stat', 'latin1');
    const self = readFileSync('/proc/self/stat', 'latin1');
    return parseCpuSample(stat, self, performance.now());
  } catch {
    return null;
  }
}

/** Parses /proc/stat's `cpu` lines and /proc/self/stat (exported for tests). */
export function parseCpuSample(stat: string, self: string, atMs: number): CpuSample | null {
  const lines = stat.split('\n');
  const all = lines[0]?.split(/\s+/);
  if (all?.[0] !== 'cpu' || !all) return null;
  // user nice system idle iowait irq softirq steal (guest, guest_nice are inside user and nice).
  const f = all.slice(1, 9).map(Number);
  if (f.length < 4 || f.some((n) => !Number.isFinite(n))) return null;
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  const cpus = lines.filter((l) => /^cpu\d/.test(l)).length;
  // /proc/self/stat: "pid (comm) state ..."; comm may hold spaces and parentheses, so count from the last ')'.
  const rest = self.slice(self.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (cpus === 0 || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { atMs, busy: total - idle, total, cpus, own: utime + stime };
}

/** What others used between two samples, in CPUs; null when the window is too short to tell. */
export function othersBusyBetween(a: CpuSample, b: CpuSample): number | null {
  const perCpu = (b.total - a.total) / b.cpus;
  if (!(perCpu >= MIN_TICKS_PER_CPU)) return null;
  const others = b.busy - a.busy - (b.own - a.own);
  return Math.max(0, others / perCpu);
}

let started: CpuSample | null = null;

/** Starts the window (once): called as a scan is prepared, before its modules load. */
export function markScanStart(): void {
  started ??= sampleCpu();
}
markScanStart();

/**
 * How long the window must be for the counters to say something: MIN_TICKS_PER_CPU ticks of 10 ms, and one more for
 * where the window starts and ends inside a tick.
 */
export const MIN_WINDOW_MS = (MIN_TICKS_PER_CPU + 1) * 10;

/**
 * The probe once the window since markScanStart is long enough to measure, waiting out what is left of it (at most
 * MIN_WINDOW_MS) when `matters` says the choice depends on it. A scan starts in less than that now, so without the
 * wait the probe fell back to the 1-minute load average, which still counts the work of processes already gone
 * (a bench's previous runs, a cron job): on a quiet machine it gave "others busy 2.0 CPU" and one thread at 4 GiB,
 * 2.41 s against 2.09 s with two.
 */
export async function settledProbe(matters: boolean): Promise<ParallelProbe> {
  const waited = started && matters ? MIN_WINDOW_MS - (performance.now() - started.atMs) : 0;
  if (waited > 0) await new Promise((r) => setTimeout(r, Math.ceil(waited)));
  return probeParallelism();
}

/** The probe, now: over the window since markScanStart, else the load average. */
export function probeParallelism(): ParallelProbe {
  const now = sampleCpu();
  if (started && now) {
    const others = othersBusyBetween(started, now);
    if (others !== null) return { source: 'proc-stat', othersBusy: others, windowMs: now.atMs - started.atMs };
  }
  const load = loadavg()[0] ?? 0;
  if (load > 0) return { source: 'loadavg', othersBusy: load };
  return { source: 'none', othersBusy: null };
}
