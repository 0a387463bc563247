// The synchronous gunzip (inflate.ts) against zlib's own stream and gunzipSync, and the three ways a .gz
// unit is scanned (helper thread, this thread, the stream fallback) against each other.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InflateError, openInflater } from '../../src/logscan/inflate.js';
import { workerScript } from '../../src/logscan/pool.js';
import { interpretingSink } from '../../src/logscan/unitInterpret.js';
import { DEFAULT_UNIT_OPTIONS, scanGzipStream, scanGzipUnit, type UnitOptions } from '../../src/logscan/unitScan.js';

const ZED = readFileSync(join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs', 'scheduler-zed.log'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'logscan-inflate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** Everything the inflater yields, read `step` bytes at a time, and the error it ends with. */
function inflateAll(path: string, step: (i: number) => number = () => 1 << 16) {
  const inf = openInflater(path);
  if (!inf) throw new Error('no zlib handle on this Node');
  const parts: Buffer[] = [];
  let error: InflateError | null = null;
  try {
    for (let i = 0; ; i++) {
      const out = Buffer.alloc(step(i));
      const n = inf.read(out, 0, out.length);
      if (n === 0) break;
      parts.push(out.subarray(0, n));
    }
  } catch (e) {
    error = e as InflateError;
  } finally {
    inf.close();
  }
  return { data: Buffer.concat(parts), error, compressed: inf.compressedBytes };
}

/** What zlib's stream API makes of the same file. */
function viaStream(data: Buffer): Promise<{ data: Buffer; error: { code?: string } | null }> {
  return new Promise((resolve) => {
    const g = createGunzip();
    const parts: Buffer[] = [];
    g.on('data', (c: Buffer) => parts.push(c));
    g.on('error', (e: NodeJS.ErrnoException) => resolve({ data: Buffer.concat(parts), error: { code: e.code } }));
    g.on('end', () => resolve({ data: Buffer.concat(parts), error: null }));
    g.end(data);
  });
}

describe('openInflater', () => {
  const multi = Buffer.concat([
    gzipSync(ZED.subarray(0, 1000)),
    gzipSync(ZED.subarray(1000, 700_000)),
    gzipSync(ZED.subarray(700_000)),
  ]);

  it('reads multi-member files through, whatever the size of the reads', () => {
    const f = write('multi.gz', multi);
    expect(inflateAll(f).data.equals(ZED)).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 70_000 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const r = inflateAll(f, (i) => sizes[i % sizes.length] as number);
        expect(r.error).toBeNull();
        expect(r.data.equals(ZED)).toBe(true);
      }),
      { numRuns: 15 },
    );
    expect(inflateAll(f).compressed).toBe(multi.length);
  });

  it('a truncated file: the readable part first, then Z_BUF_ERROR, as zlib decompresses it', () => {
    const cut = multi.subarray(0, Math.floor(multi.length * 0.6));
    const r = inflateAll(write('cut.gz', cut));
    expect(r.error).toBeInstanceOf(InflateError);
    expect(r.error?.code).toBe('Z_BUF_ERROR');
    expect(r.data.equals(gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }))).toBe(true);
  });

  it('bytes after the last member (a rotation cut short): everything before them, then TRAILING_GARBAGE', () => {
    const one = gzipSync(ZED);
    const small = ZED.subarray(0, 56 << 10); // small enough for one zlib call: zlib's gunzip lost all of it
    const cases: [string, Buffer, Buffer, string | null][] = [
      ['garbage', Buffer.concat([one, Buffer.from('not gzip at all')]), ZED, 'TRAILING_GARBAGE'],
      ['small + garbage', Buffer.concat([gzipSync(small), Buffer.from([0x42, 0x1f, 0x8b])]), small, 'TRAILING_GARBAGE'],
      ['small + cut member', Buffer.concat([gzipSync(small), gzipSync(small).subarray(0, 9)]), small, 'Z_BUF_ERROR'],
      ['padding', Buffer.concat([one, Buffer.alloc(4096)]), ZED, null],
      ['padding + garbage', Buffer.concat([one, Buffer.alloc(10), Buffer.from('x')]), ZED, 'TRAILING_GARBAGE'],
    ];
    for (const [name, data, expected, code] of cases) {
      const ours = inflateAll(write(`${name}.gz`, data));
      expect({ name, code: ours.error?.code ?? null }).toEqual({ name, code });
      expect(ours.data.equals(expected), name).toBe(true);
    }
  });

  it('a cut member after whole ones: every byte zlib decoded, then Z_BUF_ERROR', () => {
    const small = ZED.subarray(0, 50_000);
    const second = gzipSync(ZED.subarray(50_000, 400_000));
    const cut = Buffer.concat([gzipSync(small), second.subarray(0, Math.floor(second.length / 2))]);
    const r = inflateAll(write('cut-member.gz', cut));
    expect(r.error?.code).toBe('Z_BUF_ERROR');
    // gunzipSync with Z_SYNC_FLUSH gives every byte zlib can decode from the same input.
    expect(r.data.equals(gunzipSync(cut, { finishFlush: constants.Z_SYNC_FLUSH }))).toBe(true);
    expect(r.data.length).toBeGreaterThan(small.length + 100_000);
  });

  it('corruption inside a member ends as zlib’s stream ends it', async () => {
    const one = gzipSync(ZED);
    const data = Buffer.concat([one.subarray(0, 5000), Buffer.alloc(64, 0xff), one.subarray(5064)]);
    const ours = inflateAll(write('corrupt.gz', data));
    const theirs = await viaStream(data);
    expect(ours.error?.code ?? null).toBe(theirs.error?.code ?? null);
    // Both hand out what zlib decompressed before the fault, less the piece of the failing call (at
    // most 64 KiB here, the stream's chunk there): the same bytes, give or take that last piece.
    const common = Math.min(ours.data.length, theirs.data.length);
    expect(ours.data.subarray(0, common).equals(theirs.data.subarray(0, common))).toBe(true);
    expect(Math.abs(ours.data.length - theirs.data.length)).toBeLessThanOrEqual(64 << 10);
  });

  it('a failed length or CRC check is Z_DATA_ERROR, after the member’s bytes', () => {
    const one = Buffer.from(gzipSync(ZED.subarray(0, 1000)));
    one.writeUInt32LE((one.readUInt32LE(one.length - 4) + 1) >>> 0, one.length - 4);
    const r = inflateAll(write('badlen.gz', one));
    expect(r.error?.code).toBe('Z_DATA_ERROR');
    expect(r.data.equals(ZED.subarray(0, 1000))).toBe(true);
  });

  it('a missing file throws at open, like fs does', () => {
    expect(() => openInflater(join(dir, 'nope.gz'))).toThrow(/ENOENT/);
  });
});

describe('.gz units: helper thread, this thread and the stream fallback agree', () => {
  const opts: UnitOptions = { ...DEFAULT_UNIT_OPTIONS, range: { since: null, until: null } };
  const helper = workerScript('gunzipWorker.js');

  it('the compiled helper is found (tests run after npm run build)', () => {
    expect(helper?.pathname).toMatch(/\/dist\/logscan\/gunzipWorker\.js$/);
  });

  for (const [name, make] of [
    ['multi-member', (d: Buffer) => Buffer.concat([gzipSync(d.subarray(0, 300_001)), gzipSync(d.subarray(300_001))])],
    ['truncated', (d: Buffer) => gzipSync(d).subarray(0, 150_000)],
  ] as const) {
    it(name, async () => {
      const file = write(`unit-${name}.gz`, make(ZED));
      const unit = { id: 7, input: 0, file, kind: 'gzip' as const };
      const progress: number[] = [];
      const inThread = await scanGzipUnit(unit, opts, { sink: interpretingSink, onBytes: (n) => progress.push(n) });
      const threaded = await scanGzipUnit(
        unit,
        { ...opts, inflateScript: helper?.href ?? null },
        { sink: interpretingSink },
      );
      const stream = await scanGzipStream(unit, opts, { sink: interpretingSink });
      expect(inThread.events.length).toBeGreaterThan(0);
      expect(threaded).toEqual(inThread);
      expect(stream).toEqual(inThread);
      // Progress is counted in compressed bytes, up to the whole file.
      expect(progress.reduce((a, b) => a + b, 0)).toBe(readFileSync(file).length);
    });
  }
});
