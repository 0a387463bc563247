// How many threads a scan uses when not told (--threads): one pure function of what is known at start: the work
// (plain bytes, .gz bytes x a typical ratio), the CPUs, and how much of a second CPU nobody else is using (the
// probe, cpuProbe.ts). The thresholds follow from a cost model, not from one run's figures:
//
//   one thread:  T1 = F + S * c1
//   two threads: T2 = F + D + S * c2(spare),   c2(spare) = c2free + (1 - spare) * (c2busy - c2free)
//
// S the bytes to scan, c1 the one-thread cost per byte, D the second thread's fixed cost (its start and V8
// warming up there as well), c2free the two-thread cost per byte when the second CPU is free, c2busy when it
// is not (both threads then share one CPU, with the hand-over and both threads' memory traffic on top). Two
// threads win from S > D / (c1 - c2(spare)); never when c2(spare) >= c1. Costs are kept relative to c1, so
// the thresholds (in bytes) hold on a faster or slower machine alike: only how free the second CPU is moves
// them, and that is what the probe measures.
//
// On a machine busier than its CPUs (load 12-16 on 2 vCPUs) two threads sometimes finish first all the same:
// the kernel shares CPU time per thread, so a second one takes a bigger share from the other processes (4 GiB,
// medians: 9.98 s against 14.17 s, at +16% CPU). Not chosen by default: on a scheduler host the others are
// nova; --threads 2 is there for an operator who wants that share.

/** Relative costs, measured on 2-vCPU VMs (issue 16 and README, Performance; medians of 3-5, warm cache). */
export const SCAN_COSTS = {
  plain: {
    /** One thread: ~0.70 s per GiB of the realistic bench log (issue 16: 4 GiB 2.95-3.35 s, 0.7 s per extra GiB). */
    c1PerGiB: 0.7,
    /** Two threads, second CPU free: 0.38 s per extra GiB (issue 16) = 0.54 c1. */
    c2Free: 0.38 / 0.7,
    /**
     * Two threads sharing one CPU: what they cost in CPU per GiB over one thread (4 GiB: 5.3-5.9 s against
     * 4.4-4.75 s at load ~9, when nothing was spare) = 1.25 c1.
     */
    c2Busy: 1.25,
    /**
     * The second thread's fixed cost, in GiB of one-thread scanning: at 4 GiB two threads took 2.39 s where
     * the per-GiB costs give 0.38 x 4 = 1.52 s over a one-thread base of 3.15 - 0.7 x 4 = 0.35 s: D = 0.52 s
     * = 0.74 GiB of one-thread scanning. (Worker start ~50 ms of CPU, 150-200 ms of wall next to a busy
     * thread; its own warm-up; the first ranges' hand-over.)
     */
    dGiB: 0.52 / 0.7,
  },
  gzip: {
    // Per GiB decompressed, relative to c1 of a plain scan. A .gz scanned by one thread inflates and scans
    // (CPU 2.46 s against a plain scan's ~1.4 s for the same GiB at load ~13: 1.75 c1); with a helper
    // decompressing on a free CPU the scan takes 0.8x that (README: gz ratio 0.41 with it, 0.51 without):
    // 1.4 c1; on a shared CPU the two cost 1.15x one's CPU (2.71-2.98 s against 2.46 s): 2.0 c1. The helper
    // only inflates (no scanner to warm up): ~0.1 s, 0.14 GiB.
    c1: 1.75,
    c2Free: 1.4,
    c2Busy: 2.0,
    dGiB: 0.1 / 0.7,
  },
} as const;

/** A .gz's compressed bytes count this many bytes to scan (gzip -6 gives ~10x on nova's debug logs; 8 is safe). */
export const GZIP_RATIO = 8;

export interface ParallelProbe {
  /** Where it came from: CPU time counters over the start window, the 1-minute load average, or nothing. */
  source: 'proc-stat' | 'loadavg' | 'none';
  /** CPUs' worth used by other processes (and the hypervisor: steal) while we started; null: unknown. */
  othersBusy: number | null;
  /** How long the window was (proc-stat). */
  windowMs?: number;
}

export interface ThreadInput {
  /** CPUs this process may use (os.availableParallelism()). */
  cpus: number;
  plainBytes: number;
  gzipBytes: number;
  probe: ParallelProbe;
}

export interface ThreadChoice {
  threads: 1 | 2;
  /** The share (0..1) of a second CPU taken to be free for us. */
  spare: number;
  /** Bytes to scan (a .gz x GZIP_RATIO) from which two threads win at that spare; null: never. */
  breakEvenBytes: number | null;
  /** Bytes to scan: plain + .gz x GZIP_RATIO. */
  workBytes: number;
  probe: ParallelProbe;
  /** One line for a person: what was chosen and why. */
  reason: string;
}

const GiB = 2 ** 30;
const gib = (b: number) => `${(b / GiB).toFixed(2)} GiB`;

/** The share of a second CPU nobody else is using: CPUs, less ours (one), less what the others use. */
export function spareShare(cpus: number, probe: ParallelProbe): number {
  if (cpus < 2) return 0;
  // Unknown load: assume what the CPUs promise (a free machine), as before there was a probe.
  if (probe.othersBusy === null) return 1;
  return Math.min(1, Math.max(0, cpus - 1 - probe.othersBusy));
}

/**
 * Whether what the probe finds can change the choice for this work: false where one thread is chosen even with the
 * second CPU wholly free, or two even with it wholly taken (the probe need not be waited for then).
 */
export function probeMatters(input: Omit<ThreadInput, 'probe'>): boolean {
  const at = (othersBusy: number) =>
    chooseScanThreads({ ...input, probe: { source: 'proc-stat', othersBusy } }).threads;
  return at(0) !== at(input.cpus);
}

/**
 * Threads for a scan: two when the model above says the second one saves time for this much work with the
 * share of a second CPU the probe found free, else one. Pure: the probe is taken at the edge (cpuProbe.ts).
 */
export function chooseScanThreads(input: ThreadInput): ThreadChoice {
  const { cpus, plainBytes, gzipBytes, probe } = input;
  const workBytes = plainBytes + gzipBytes * GZIP_RATIO;
  const spare = spareShare(cpus, probe);
  const base = { spare, workBytes, probe };
  const seen =
    probe.othersBusy === null
      ? 'load unknown'
      : `others busy ${probe.othersBusy.toFixed(2)} CPU (${probe.source}${probe.windowMs !== undefined ? `, ${Math.round(probe.windowMs)} ms` : ''})`;
  if (cpus < 2) return { ...base, threads: 1, breakEvenBytes: null, reason: `1 thread: ${cpus} CPU` };
  if (workBytes === 0)
    return { ...base, threads: 1, breakEvenBytes: null, reason: '1 thread: no file to split (streams only)' };
  // The work is the plain bytes and the decompressed .gz bytes: each costs as its kind does.
  const plainShare = plainBytes / workBytes;
  const mix = (k: 'c1' | 'c2Free' | 'c2Busy' | 'dGiB') => {
    const p = SCAN_COSTS.plain;
    const g = SCAN_COSTS.gzip;
    const pv = k === 'c1' ? 1 : k === 'c2Free' ? p.c2Free : k === 'c2Busy' ? p.c2Busy : p.dGiB;
    return plainShare * pv + (1 - plainShare) * g[k];
  };
  const c1 = mix('c1');
  const c2 = mix('c2Free') + (1 - spare) * (mix('c2Busy') - mix('c2Free'));
  // The fixed cost is paid once per scan: the larger of the two kinds' when both are there.
  const d = Math.max(plainBytes > 0 ? SCAN_COSTS.plain.dGiB : 0, gzipBytes > 0 ? SCAN_COSTS.gzip.dGiB : 0);
  const breakEvenBytes = c2 < c1 ? (d / (c1 - c2)) * GiB : null;
  const two = breakEvenBytes !== null && workBytes > breakEvenBytes;
  const why =
    breakEvenBytes === null
      ? `a second thread never pays with ${spare.toFixed(2)} of a second CPU free`
      : `${gib(workBytes)} to scan ${two ? '>' : '<='} ${gib(breakEvenBytes)}, where two threads start to pay with ${spare.toFixed(2)} of a second CPU free`;
  return {
    ...base,
    threads: two ? 2 : 1,
    breakEvenBytes,
    reason: `${two ? 2 : 1} thread${two ? 's' : ''}: ${why}; ${cpus} CPUs, ${seen}`,
  };
}
