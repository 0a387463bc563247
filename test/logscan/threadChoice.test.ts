// The default thread count: chooseScanThreads' decisions for sizes, CPUs and probes (pure), and the probe's
// reading of the kernel's counters.
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import {
  type CpuSample,
  othersBusyBetween,
  parseCpuSample,
  probeParallelism,
  sampleCpu,
} from '../../src/logscan/cpuProbe.js';
import { scanLogs } from '../../src/logscan/index.js';
import {
  chooseScanThreads,
  GZIP_RATIO,
  type ParallelProbe,
  probeMatters,
  spareShare,
} from '../../src/logscan/threadChoice.js';

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const busy = (othersBusy: number): ParallelProbe => ({ source: 'proc-stat', othersBusy, windowMs: 300 });
const unknown: ParallelProbe = { source: 'none', othersBusy: null };
const choose = (plainBytes: number, gzipBytes: number, probe: ParallelProbe, cpus = 2) =>
  chooseScanThreads({ cpus, plainBytes, gzipBytes, probe });

describe('chooseScanThreads', () => {
  it('plain logs on two free CPUs: one thread at 1 GiB (fixed costs), two at 4 GiB (per-GiB costs)', () => {
    expect(choose(1 * GiB, 0, busy(0)).threads).toBe(1);
    expect(choose(4 * GiB, 0, busy(0)).threads).toBe(2);
    const be = choose(GiB, 0, busy(0)).breakEvenBytes as number;
    // D / (c1 - c2free) = 0.74 / 0.46 GiB
    expect(be / GiB).toBeGreaterThan(1.4);
    expect(be / GiB).toBeLessThan(1.9);
    expect(choose(be - MiB, 0, busy(0)).threads).toBe(1);
    expect(choose(be + MiB, 0, busy(0)).threads).toBe(2);
  });

  it('a second CPU busy with others: one thread whatever the size', () => {
    for (const o of [1, 1.3, 5]) {
      const c = choose(64 * GiB, 100 * GiB, busy(o));
      expect(c.threads).toBe(1);
      expect(c.spare).toBe(0);
      expect(c.breakEvenBytes).toBeNull();
      expect(c.reason).toMatch(/never pays/);
    }
  });

  it('half a CPU free: two threads only from much more log', () => {
    const half = choose(4 * GiB, 0, busy(0.5));
    expect(half.spare).toBe(0.5);
    expect(half.threads).toBe(1);
    expect(choose(16 * GiB, 0, busy(0.5)).threads).toBe(2);
    // The less is free, the later two threads pay.
    let last = 0;
    for (const o of [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]) {
      const be = choose(GiB, 0, busy(o)).breakEvenBytes as number;
      expect(be).toBeGreaterThan(last);
      last = be;
    }
  });

  it('.gz: a helper decompressing pays early when a CPU is free, not when it is busy', () => {
    const gz1g = 108 * MiB; // the bench's 1 GiB log, gzip -6
    expect(choose(0, gz1g, busy(0)).threads).toBe(2);
    expect(choose(0, gz1g, busy(0)).workBytes).toBe(gz1g * GZIP_RATIO);
    expect(choose(0, 16 * MiB, busy(0)).threads).toBe(1);
    expect(choose(0, gz1g * 4, busy(1.2)).threads).toBe(1);
  });

  it('more CPUs: what the others leave; one CPU: one thread; nothing but streams: one thread', () => {
    expect(spareShare(8, busy(6.5))).toBe(0.5);
    expect(spareShare(8, busy(2))).toBe(1);
    expect(choose(4 * GiB, 0, busy(2), 8).threads).toBe(2);
    expect(choose(4 * GiB, 0, busy(7), 8).threads).toBe(1);
    expect(choose(64 * GiB, 0, busy(0), 1).threads).toBe(1);
    expect(choose(0, 0, busy(0)).threads).toBe(1);
  });

  it('load unknown: a free second CPU assumed (as before the probe)', () => {
    expect(choose(4 * GiB, 0, unknown).threads).toBe(2);
    expect(choose(4 * GiB, 0, unknown).reason).toMatch(/load unknown/);
  });

  it('says why, with the figures', () => {
    const c = choose(4 * GiB, 0, busy(0.25));
    expect(c.reason).toMatch(
      /^2 threads: 4\.00 GiB to scan > \d\.\d\d GiB.*0\.75 of a second CPU free; 2 CPUs, others busy 0\.25 CPU \(proc-stat, 300 ms\)$/,
    );
  });
});

const STAT = (user: number, idle: number, steal: number) =>
  `cpu  ${user} 0 100 ${idle} 10 0 5 ${steal} 0 0\ncpu0 1 0 0 0 0 0 0 0 0 0\ncpu1 1 0 0 0 0 0 0 0 0 0\nintr 1 2 3\n`;
const SELF = (utime: number, stime: number) =>
  `4242 (node (a) b) R 1 4242 4242 0 -1 4194304 1000 0 0 0 ${utime} ${stime} 0 0 20 0 11 0 500 1000000 5000`;

describe('the probe', () => {
  it('reads /proc/stat (steal counts as busy, iowait as idle) and this process from /proc/self/stat', () => {
    const s = parseCpuSample(STAT(1000, 5000, 50), SELF(70, 30), 0) as CpuSample;
    expect(s).toEqual({
      atMs: 0,
      busy: 1000 + 100 + 5 + 50,
      total: 1000 + 100 + 5000 + 10 + 5 + 50,
      cpus: 2,
      own: 100,
    });
    expect(parseCpuSample('intr 1\n', SELF(1, 1), 0)).toBeNull();
  });

  it('others = all busy ticks less ours, per CPU over the window; too short a window says nothing', () => {
    const a = parseCpuSample(STAT(1000, 5000, 0), SELF(0, 0), 0) as CpuSample;
    // 40 ticks on 2 CPUs (20 each): 30 busy, 20 of them ours -> others 10 ticks = 0.5 CPU.
    const b = parseCpuSample(STAT(1030, 5010, 0), SELF(15, 5), 200) as CpuSample;
    expect(othersBusyBetween(a, b)).toBeCloseTo(0.5);
    // Steal is the others' too (the hypervisor's).
    const c = parseCpuSample(STAT(1020, 5010, 10), SELF(15, 5), 200) as CpuSample;
    expect(othersBusyBetween(a, c)).toBeCloseTo(0.5);
    const short = parseCpuSample(STAT(1002, 5002, 0), SELF(0, 0), 20) as CpuSample;
    expect(othersBusyBetween(a, short)).toBeNull();
  });

  it('on this machine: counts this process own CPU as ours, and gives a probe', () => {
    const a = sampleCpu();
    if (!a) {
      // No /proc: the load average or nothing.
      expect(['loadavg', 'none']).toContain(probeParallelism().source);
      return;
    }
    const u0 = process.cpuUsage();
    const t0 = performance.now();
    let x = 0;
    while (performance.now() - t0 < 300) x += Math.sqrt(x + 1);
    const used = process.cpuUsage(u0);
    const b = sampleCpu() as CpuSample;
    expect(x).toBeGreaterThan(0);
    const ownMs = (b.own - a.own) * 10; // USER_HZ 100
    expect(Math.abs(ownMs - (used.user + used.system) / 1000)).toBeLessThan(60);
    const p = probeParallelism();
    expect(['proc-stat', 'loadavg']).toContain(p.source);
    expect(p.othersBusy).toBeGreaterThanOrEqual(0);
  });
});

describe('waiting for the probe', () => {
  it('only where the second CPU being free or taken changes the choice', () => {
    expect(probeMatters({ cpus: 2, plainBytes: 4 * GiB, gzipBytes: 0 })).toBe(true);
    expect(probeMatters({ cpus: 2, plainBytes: 1 * GiB, gzipBytes: 0 })).toBe(false);
    expect(probeMatters({ cpus: 2, plainBytes: 10 * MiB, gzipBytes: 0 })).toBe(false);
    expect(probeMatters({ cpus: 1, plainBytes: 64 * GiB, gzipBytes: 0 })).toBe(false);
    expect(probeMatters({ cpus: 2, plainBytes: 0, gzipBytes: 1 * GiB })).toBe(true);
  });

  it('a scan that starts faster than the counters tick waits out the window where it matters, not elsewhere', async () => {
    if (!sampleCpu()) return; // no /proc: nothing to wait for
    // A fresh module is a scan that has just started (its window opens when it loads).
    vi.resetModules();
    const fresh = await import('../../src/logscan/cpuProbe.js');
    const t0 = performance.now();
    const p = await fresh.settledProbe(true);
    expect(p.source).toBe('proc-stat');
    expect(p.windowMs).toBeGreaterThanOrEqual(fresh.MIN_WINDOW_MS - 1);
    vi.resetModules();
    const other = await import('../../src/logscan/cpuProbe.js');
    const t1 = performance.now();
    await other.settledProbe(false);
    expect(performance.now() - t1).toBeLessThan(other.MIN_WINDOW_MS / 2);
    expect(t1 - t0).toBeGreaterThanOrEqual(other.MIN_WINDOW_MS / 2);
  });
});

describe('the scan reports its choice', () => {
  it('chosen (with the probe and the figures) or asked for', async () => {
    const log = join(import.meta.dirname, 'data', 'zed-facts.log');
    const chosen = (await scanLogs([log])).stats?.threads;
    expect(chosen?.chosen).toBe(1);
    expect(chosen?.reason).toMatch(/^1 thread: /);
    expect(chosen?.workBytes).toBeGreaterThan(0);
    expect(['proc-stat', 'loadavg', 'none']).toContain(chosen?.probe?.source);
    const asked = (await scanLogs([log], { workers: 2 })).stats?.threads;
    expect(asked).toEqual({ chosen: 2, reason: '--threads 2' });
  });
});
