import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultLogInputs, scanLogs } from '../../src/logscan/index.js';
import { workerScript } from '../../src/logscan/pool.js';

const DATA = join(import.meta.dirname, 'data');
// Two lines nova Zed wrote (nova-facts.md §1): one rejection of kvm-compute1, request R1, no instance known.
const FACTS = readFileSync(join(DATA, 'zed-facts.log'));
const R1 = 'req-11111111-2222-3333-4444-555555555555';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logscan-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, data: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
};

function expectFactsRejection(report: Awaited<ReturnType<typeof scanLogs>>, file: string) {
  expect(report.instances).toEqual([]);
  expect(report.unattributed).toHaveLength(1);
  const u = report.unattributed[0]!;
  expect(u.requestId).toBe(R1);
  expect(u.mismatches).toEqual([
    { property: 'img_hv_type', value: 'xen' },
    { property: 'hw_vm_mode', value: 'xen' },
  ]);
  expect(u.rejections[0]).toMatchObject({
    host: 'kvm-compute1',
    node: 'kvm-compute1.example.org',
    hypervisorVersion: 2011001,
    location: { file, line: 1, offset: 0 },
  });
}

describe('scanLogs inputs', () => {
  it('a plain file', async () => {
    const f = write('plain.log', FACTS);
    const r = await scanLogs([f], { workers: 0 });
    expectFactsRejection(r, f);
    expect(r.files).toEqual([{ file: f, bytes: FACTS.length, lines: 2 }]);
    expect(r.warnings).toEqual([]);
  });

  it('a multi-member .gz (as logrotate + cat make them)', async () => {
    const cut = FACTS.indexOf(10) + 1;
    const f = write('multi.log.1.gz', Buffer.concat([gzipSync(FACTS.subarray(0, cut)), gzipSync(FACTS.subarray(cut))]));
    const r = await scanLogs([f], { workers: 0 });
    expectFactsRejection(r, f);
    expect(r.warnings).toEqual([]);
  });

  it('a truncated .gz: scanned as far as it goes, with a warning', async () => {
    const big = Buffer.concat([FACTS, Buffer.from('x'.repeat(200_000) + '\n'), FACTS]);
    const gz = gzipSync(big);
    const f = write('trunc.log.2.gz', gz.subarray(0, gz.length - 30));
    const r = await scanLogs([f], { workers: 0 });
    expect(r.unattributed[0]?.rejections[0]?.location).toEqual({ file: f, line: 1, offset: 0 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ file: f });
    expect(r.warnings[0]!.message).toMatch(/truncated gzip/);
  });

  it('stdin, plain and gzip', async () => {
    for (const data of [FACTS, gzipSync(FACTS)]) {
      const stdin = new PassThrough();
      const p = scanLogs(['-'], { stdin, workers: 0 });
      stdin.end(data);
      expectFactsRejection(await p, '-');
    }
  });

  it('globs, expanded here, oldest rotation first', async () => {
    const g = join(dir, 'glob');
    mkdirSync(g);
    for (const n of ['nova-scheduler.log', 'nova-scheduler.log.1', 'nova-scheduler.log.2.gz', 'other.txt']) {
      writeFileSync(join(g, n), n.endsWith('.gz') ? gzipSync(FACTS) : FACTS);
    }
    const r = await scanLogs([join(g, 'nova-scheduler.log*')], { workers: 0 });
    expect(r.files.map((x) => x.file)).toEqual(
      ['nova-scheduler.log.2.gz', 'nova-scheduler.log.1', 'nova-scheduler.log'].map((n) => join(g, n)),
    );
    expect(r.unattributed[0]?.rejectionCount).toBe(3);
    const none = await scanLogs([join(g, '*.nothing')], { workers: 0 });
    expect(none.warnings).toEqual([{ file: join(g, '*.nothing'), message: 'no file matches this pattern' }]);
  });

  it('defaultLogInputs says where it looked', () => {
    const base = join(dir, 'var');
    mkdirSync(join(base, 'nova'), { recursive: true });
    writeFileSync(join(base, 'nova', 'nova-scheduler.log'), FACTS);
    writeFileSync(join(base, 'nova', 'nova-api.log'), FACTS);
    expect(defaultLogInputs([join(base, 'nova'), join(base, 'kolla', 'nova')])).toEqual({
      found: [join(base, 'nova', 'nova-scheduler.log')],
      searched: [join(base, 'nova', 'nova-scheduler.log*'), join(base, 'kolla', 'nova', 'nova-scheduler.log*')],
    });
  });

  it('--since / --until by log timestamp', async () => {
    const f = write('time.log', FACTS);
    expect((await scanLogs([f], { workers: 0, since: '2026-11-27 14:46:47' })).unattributed).toEqual([]);
    expect((await scanLogs([f], { workers: 0, until: '2026-11-27 14:46' })).unattributed).toHaveLength(1);
    expect((await scanLogs([f], { workers: 0, since: '2026-11-27', until: '2026-11-27' })).unattributed).toHaveLength(
      1,
    );
    await expect(scanLogs([f], { since: 'yesterday' })).rejects.toThrow(/--since 'yesterday' is not a time/);
  });
});

describe('scanLogs on bad input: a warning naming the file, the rest goes on', () => {
  it('missing, empty, directory, binary', async () => {
    const good = write('good.log', FACTS);
    const empty = write('empty.log', '');
    const bin = write('bin.log', Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 7919) % 256)));
    const missing = join(dir, 'missing.log');
    const r = await scanLogs([missing, empty, dir, bin, good], { workers: 0 });
    expectFactsRejection(r, good);
    expect(r.warnings).toEqual([
      { file: missing, message: 'no such file' },
      { file: empty, message: 'empty file' },
      { file: dir, message: 'is a directory, not a log file (use a glob such as dir/*.log*)' },
      { file: bin, offset: 0, message: 'binary file (NUL or control bytes), not a log: skipped' },
    ]);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable', async () => {
    const f = write('secret.log', FACTS);
    chmodSync(f, 0);
    const r = await scanLogs([f], { workers: 0 });
    expect(r.warnings).toEqual([{ file: f, message: 'permission denied' }]);
  });

  it('a huge line without a newline is skipped, not buffered', async () => {
    const huge = Buffer.alloc(3 << 20, 0x61);
    huge.write('image_props_filter', 1000);
    const f = write('huge.log', Buffer.concat([FACTS, huge, Buffer.from('\n'), FACTS]));
    const r = await scanLogs([f], { workers: 0, maxLineBytes: 1 << 20 });
    expect(r.unattributed[0]?.rejectionCount).toBe(2);
    expect(r.warnings).toEqual([expect.objectContaining({ file: f, line: 3, offset: FACTS.length })]);
    expect(r.warnings[0]!.message).toMatch(/^line longer than 1048576 bytes \(\d+ bytes\) skipped$/);
  });

  it('NUL bytes and invalid UTF-8 inside a log', async () => {
    const lines = FACTS.toString().split('\n');
    const bad = Buffer.concat([
      Buffer.from(`${lines[0]}\n`),
      Buffer.from('\0\0\0\0'),
      Buffer.from(`${lines[1]}\n`),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(` image_props_filter\n`),
    ]);
    const f = write('nul.log', Buffer.concat([Buffer.from('x'.repeat(70_000) + '\n'), bad]));
    const r = await scanLogs([f], { workers: 0 });
    expect(r.unattributed[0]?.rejections[0]?.host).toBe('kvm-compute1');
    expect(r.warnings).toEqual([
      expect.objectContaining({ file: f, line: 3, message: 'line contains NUL bytes (removed before parsing)' }),
      expect.objectContaining({
        file: f,
        line: 4,
        message: 'line is not valid UTF-8 (read with replacement characters)',
      }),
    ]);
  });
});

describe('worker threads', () => {
  it('the compiled worker is found from src (tests run after npm run build)', () => {
    expect(workerScript()?.pathname).toMatch(/\/dist\/logscan\/worker\.js$/);
  });

  it('byte ranges on two workers give the same report as one thread, line numbers included', async () => {
    // Many copies of the two nova lines, each copy under its own request id, with filler between.
    const parts: string[] = [];
    const text = FACTS.toString();
    for (let i = 0; i < 1000; i++) {
      parts.push(text.replaceAll(R1, `req-11111111-2222-3333-4444-${String(i).padStart(12, '0')}`));
      parts.push(
        `${'2026-11-27 14:46:46.693 14059 DEBUG nova.scheduler.host_manager [-] filler '.padEnd(300, 'z')}\n`.repeat(
          i % 7,
        ),
      );
    }
    const f = write('big.log', parts.join(''));
    const one = await scanLogs([f], { workers: 0 });
    const two = await scanLogs([f], { workers: 2, minBytesForWorkers: 0, splitMinBytes: 0 });
    expect(two.stats?.workers).toBe(2);
    expect(one.stats?.workers).toBe(0);
    const strip = (r: typeof one) => ({ ...r, stats: undefined });
    expect(strip(two)).toEqual(strip(one));
    expect(one.unattributed).toHaveLength(1000);
    const js = await scanLogs([f], { workers: 0, engine: 'js' });
    expect(strip(js)).toEqual(strip(one));
  });

  it('copies, gz and plain mixed, on workers', async () => {
    const a = write('w1.log', FACTS);
    const b = write('w2.log.gz', gzipSync(FACTS));
    copyFileSync(a, join(dir, 'w3.log'));
    const r = await scanLogs([a, b, join(dir, 'w3.log')], { workers: 2, minBytesForWorkers: 0 });
    expect(r.stats?.workers).toBe(2);
    expect(r.unattributed[0]?.rejections.map((x) => x.location.file)).toEqual([a, b, join(dir, 'w3.log')]);
  });
});

describe('progress, cancellation, the usual places', () => {
  it('reports progress in bytes up to the total', async () => {
    const f = write('progress.log', Buffer.concat(Array.from({ length: 200 }, () => FACTS)));
    const seen: { bytesDone: number; bytesTotal: number | null; filesDone: number; filesTotal: number }[] = [];
    await scanLogs([f], { workers: 0, onProgress: (p) => seen.push({ ...p }) });
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen[0]).toMatchObject({ bytesDone: 0, filesDone: 0, filesTotal: 1, bytesTotal: FACTS.length * 200 });
    expect(seen.at(-1)).toMatchObject({ bytesDone: FACTS.length * 200, filesDone: 1 });
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.bytesDone).toBeGreaterThanOrEqual(seen[i - 1]!.bytesDone);
  });

  it('stops when aborted', async () => {
    const f = write('abort.log', FACTS);
    const ac = new AbortController();
    ac.abort();
    await expect(scanLogs([f], { workers: 0, signal: ac.signal })).rejects.toThrow();
    const ac2 = new AbortController();
    const p = scanLogs([f], { workers: 2, minBytesForWorkers: 0, signal: ac2.signal });
    ac2.abort();
    await expect(p).rejects.toThrow();
  });

  it('with no input, looks in the usual places and says where', async () => {
    const r = await scanLogs([], { workers: 0 });
    expect(r.searched).toEqual(['/var/log/nova/nova-scheduler.log*', '/var/log/kolla/nova/nova-scheduler.log*']);
    if (r.files.length === 0) expect(r.warnings[0]?.message).toMatch(/no nova-scheduler log found/);
  });
});
