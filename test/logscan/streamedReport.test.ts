// The streamed report (scan --json on big logs): correlation fed unit by unit in file order, rejections and
// attempts spilled to temp files, the arrays read back as texts. Whatever the spill budget and the size of
// the units, its JSON is byte for byte the whole in-memory report's (correlateWhole, what small logs get).
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  isStreamed,
  JsonTexts,
  reportJsonPieces,
  type ScanOptions,
  scanLogs,
  scanLogsStreamed,
} from '../../src/logscan/index.js';
import { SeqSpill, SortedSpill, TextStore } from '../../src/logscan/spill.js';

const LOGS = join(import.meta.dirname, '..', 'fixtures', 'nova', 'logs');
const DATA = join(import.meta.dirname, 'data');
const zed = join(LOGS, 'scheduler-zed.log');
const y2017 = join(LOGS, 'scheduler-2017.log');
const json = join(LOGS, 'scheduler-zed-json.log.gz');

async function streamedJson(files: string[], opts: ScanOptions): Promise<string> {
  const s = await scanLogsStreamed(files, opts);
  try {
    return [...reportJsonPieces(s.report)].join('');
  } finally {
    s.close();
  }
}

const withoutStats = (text: string) => {
  const r = JSON.parse(text);
  delete r.stats;
  return JSON.stringify(r);
};

describe('the streamed report', () => {
  it.each([
    ['zed', [zed]],
    ['2017', [y2017]],
    ['json.gz', [json]],
    ['all three', [zed, y2017, json]],
    ['all three, the other way round', [json, y2017, zed]],
    ['a conductor log after the scheduler facts', [join(DATA, 'zed-facts.log'), join(DATA, 'conductor-facts.log')]],
  ])('%s: the same bytes as the report in memory, spilled at every element, in small ranges', async (_, files) => {
    const whole = withoutStats(JSON.stringify(await scanLogs(files, { workers: 0 })));
    // One byte of budget: every store goes to its temp file at once; 64 KiB ranges: many units per file.
    const tiny = { spillAfterBytes: 1, rangeBytes: 64 << 10, splitMinBytes: 1, inMemoryBelowBytes: 0 };
    expect(withoutStats(await streamedJson(files, { workers: 0, ...tiny }))).toBe(whole);
    expect(withoutStats(await streamedJson(files, { workers: 0, inMemoryBelowBytes: 0 }))).toBe(whole);
    // Small logs: the whole report, written the same way.
    expect(withoutStats(await streamedJson(files, { workers: 0 }))).toBe(whole);
    // And scanLogs over the streamed correlation parses back to the same report.
    expect(withoutStats(JSON.stringify(await scanLogs(files, { workers: 0, inMemoryBelowBytes: 0 })))).toBe(whole);
  });

  it('counts what it lists, and frees its stores on close', async () => {
    const s = await scanLogsStreamed([zed], { workers: 0, spillAfterBytes: 1, inMemoryBelowBytes: 0 });
    const r = s.report;
    if (!isStreamed(r)) throw new Error('expected a streamed report');
    const report = JSON.parse([...reportJsonPieces(r)].join(''));
    expect(r.instances.count).toBe(report.instances.length);
    expect(r.unattributed.count).toBe(report.unattributed.length);
    expect(r.noValidHost.count).toBe(report.noValidHost.length);
    expect([...s.inputsWithEvents]).toEqual([zed]);
    s.close();
    expect([...r.noValidHost.texts()]).toEqual([]);
  });

  it('is whole in memory below the threshold, streamed above it and for stdin', async () => {
    const small = await scanLogsStreamed([zed], { workers: 0 });
    expect(small.report.instances).toBeInstanceOf(Array);
    small.close();
    const big = await scanLogsStreamed([zed], { workers: 0, inMemoryBelowBytes: 1 });
    expect(big.report.instances).toBeInstanceOf(JsonTexts);
    big.close();
  });
});

describe('spill stores', () => {
  it('SortedSpill gives every entry in key order, out of order, in runs, or merged many times', () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const budget of [1, 50, 10_000, Number.POSITIVE_INFINITY]) {
      const s = new SortedSpill<[string, number]>((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]), budget);
      const keys: [string, number][] = [];
      for (let i = 0; i < 2000; i++) {
        // Mostly in order, as logs are, with stragglers.
        const t = rnd() < 0.9 ? String(1000 + i) : String(1000 + Math.floor(rnd() * 2000));
        keys.push([t, i]);
        s.add([t, i], `{"t":${JSON.stringify(`é ${t}\u2028`)},"i":${i}}`);
      }
      const got = [...s.read()];
      keys.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] - b[1]));
      expect(got.map(([k]) => k)).toEqual(keys);
      expect(got.every(([k, t]) => JSON.parse(t).i === k[1])).toBe(true);
      s.close();
    }
  });

  it('TextStore and SeqSpill give back what was added, in memory or from the file', () => {
    for (const budget of [1, 100, Number.POSITIVE_INFINITY]) {
      const t = new TextStore(budget);
      const q = new SeqSpill(budget);
      const texts = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, s: 'x'.repeat(i % 3000), u: '☕' }));
      const refs = texts.map((x) => t.add(x));
      for (const x of texts) q.add(x);
      expect(refs.map((r) => t.get(r))).toEqual(texts);
      expect([...q.read()]).toEqual(texts);
      t.close();
      q.close();
    }
  });

  it('TextStore reads from the file in any order, texts longer than its read blocks, and texts added after a read', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const t = new TextStore(1);
    const texts: string[] = [];
    const refs: number[] = [];
    const add = (n: number) => {
      for (let i = 0; i < n; i++) {
        // Mostly short, some several read blocks (16 KiB) long.
        const x = JSON.stringify({
          i: texts.length,
          s: 'é'.repeat(rnd() < 0.05 ? 20_000 + texts.length : texts.length % 700),
        });
        texts.push(x);
        refs.push(t.add(x));
      }
    };
    add(300);
    for (let round = 0; round < 3; round++) {
      for (let k = 0; k < 600; k++) {
        const i = Math.floor(rnd() * texts.length);
        expect(t.get(refs[i] as number)).toBe(texts[i]);
      }
      add(100); // the last block read may end where these begin
      expect(t.get(refs[texts.length - 1] as number)).toBe(texts[texts.length - 1]);
    }
    t.close();
  });
});
