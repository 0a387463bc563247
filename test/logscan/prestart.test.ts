// The scan worker the CLI starts early: only for logs big enough, adopted by the pool, and never keeping
// the process alive when nobody adopts it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workerScript } from '../../src/logscan/pool.js';
import {
  adoptPrestartedWorker,
  dropPrestartedWorker,
  MIN_BYTES_FOR_THREADS,
  prestartScanWorker,
} from '../../src/logscan/prestart.js';
import { chooseScanThreads } from '../../src/logscan/threadChoice.js';

let dir: string;
let big: string;
let small: string;
let bigGz: string;
let huge: string;
let hugeGz: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'prestart-'));
  big = join(dir, 'big.log');
  writeFileSync(big, '');
  truncateSync(big, MIN_BYTES_FOR_THREADS + 1); // sparse: no disk used
  bigGz = join(dir, 'big.log.gz');
  writeFileSync(bigGz, '');
  truncateSync(bigGz, MIN_BYTES_FOR_THREADS / 8 + 1); // a .gz counts 8x its size
  huge = join(dir, 'huge.log');
  writeFileSync(huge, '');
  truncateSync(huge, 4 * 2 ** 30); // sparse too
  hugeGz = join(dir, 'huge.log.gz');
  writeFileSync(hugeGz, '');
  truncateSync(hugeGz, 2 ** 30);
  small = join(dir, 'small.log');
  writeFileSync(small, 'x\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prestarting the scan worker', () => {
  it('only for logs worth threads; adopted once, by the script it runs', () => {
    const script = workerScript();
    expect(script, 'compiled worker (npm run build)').not.toBeNull();
    expect(prestartScanWorker([small], null)).toBe(false);
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
    expect(prestartScanWorker([big], 2)).toBe(true);
    const w = adoptPrestartedWorker(script as URL);
    expect(w).not.toBeNull();
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
    void w?.terminate();
    // Another script than the one prestarted: not adopted (and ended).
    expect(prestartScanWorker([big], 2)).toBe(true);
    expect(adoptPrestartedWorker(new URL('file:///elsewhere/worker.js'))).toBeNull();
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
    // One thread asked for: nothing to start.
    expect(prestartScanWorker([big], 1)).toBe(false);
    expect(prestartScanWorker(['-', big], 1)).toBe(false);
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
    // Not asked: started when two threads could pay for that much log with a second CPU free (the scan
    // decides with the probe): not for 128 MiB, plain or gz; for 4 GiB where there are two CPUs.
    expect(prestartScanWorker([big])).toBe(false);
    expect(prestartScanWorker([bigGz])).toBe(false);
    // …and only while the load average leaves a second CPU free (a busy machine does not pay for a worker
    // it will most likely drop).
    const wouldChoose = (plainBytes: number, gzipBytes: number) =>
      chooseScanThreads({
        cpus: availableParallelism(),
        plainBytes,
        gzipBytes,
        probe: { source: 'loadavg', othersBusy: loadavg()[0] as number },
      }).threads === 2;
    expect(prestartScanWorker([huge])).toBe(wouldChoose(4 * 2 ** 30, 0));
    dropPrestartedWorker();
    // A lone .gz, however big, is one unit: its second thread decompresses, and the scan starts that one.
    expect(prestartScanWorker([hugeGz])).toBe(false);
    expect(prestartScanWorker([hugeGz, bigGz])).toBe(wouldChoose(0, 2 ** 30 + MIN_BYTES_FOR_THREADS / 8 + 1));
    dropPrestartedWorker();
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
    // Not needed after all (the scan runs without threads): dropped, nothing left to adopt.
    expect(prestartScanWorker([big], 2)).toBe(true);
    dropPrestartedWorker();
    expect(adoptPrestartedWorker(script as URL)).toBeNull();
  });

  it('does not keep a process alive that never scans', () => {
    const prestart = new URL('../../dist/logscan/prestart.js', import.meta.url).href;
    const t0 = Date.now();
    const r = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const m = await import(${JSON.stringify(prestart)}); console.log(m.prestartScanWorker([${JSON.stringify(big)}], 2));`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    expect(r.stdout.trim()).toBe('true');
    expect(r.status).toBe(0);
    expect(Date.now() - t0).toBeLessThan(10_000);
  });
});
