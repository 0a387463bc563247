// Lines recorded by a worker and interpreted by the calling thread give what interpreting them at once
// gives: same events, same warnings (long lines, NUL bytes, bad UTF-8), in the same order.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LineRecorder, replayLines } from '../../src/logscan/deferredLines.js';
import type { HitLine, LongLine } from '../../src/logscan/hitLines.js';
import { interpretDeferred, interpretingSink } from '../../src/logscan/unitInterpret.js';
import { DEFAULT_UNIT_OPTIONS, recordingSink, scanRangeUnit, type UnitOptions } from '../../src/logscan/unitScan.js';

const FACTS = readFileSync(join(import.meta.dirname, 'data', 'zed-facts.log'));

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'deferred-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Records 1000 lines (every 97th a long one) and checks that they replay as they were recorded. */
function recordAndReplay(rec: LineRecorder): ReturnType<LineRecorder['finish']> {
  const lines: { text: string; offset: number; line: number }[] = [];
  const longs: LongLine[] = [];
  for (let i = 0; i < 1000; i++) {
    if (i % 97 === 0) {
      const l = { offset: i * 1e7, line: i + 1, length: 5e9 + i };
      longs.push(l);
      rec.longLine(l);
    } else {
      const h = { bytes: Buffer.from(`line ${i} ${'x'.repeat(i % 700)}`), offset: 2 ** 40 + i, line: i + 1 };
      lines.push({ text: h.bytes.toString('latin1'), offset: h.offset, line: h.line });
      rec.line(h);
    }
  }
  const seen: typeof lines = [];
  const seenLong: LongLine[] = [];
  const recording = rec.finish();
  replayLines(
    recording,
    (h: HitLine) => seen.push({ text: h.bytes.toString('latin1'), offset: h.offset, line: h.line }),
    (l) => seenLong.push(l),
  );
  expect(seen).toEqual(lines);
  expect(seenLong).toEqual(longs);
  return recording;
}

describe('recorded hit lines', () => {
  it('replay as recorded, across buffer growth', () => {
    recordAndReplay(new LineRecorder());
  });

  it('are recorded into the buffers of an interpreted recording when they fit, grown when not', () => {
    const first = recordAndReplay(new LineRecorder());
    const reuse = { bytes: first.bytes.buffer, meta: first.meta.buffer };
    const again = recordAndReplay(new LineRecorder(reuse));
    expect(again.bytes.buffer).toBe(reuse.bytes);
    expect(again.meta.buffer).toBe(reuse.meta);
    // Too small to hold them: grown, the lines intact (recordAndReplay checked them).
    const small = recordAndReplay(new LineRecorder({ bytes: new ArrayBuffer(100), meta: new ArrayBuffer(0) }));
    expect(small.bytes.byteLength).toBeGreaterThan(100);
  });

  it('interpreted later give the same unit result as interpreted at once', async () => {
    // Small chunks: the 10 kB line spans several, which is where a line longer than maxLineBytes is dropped.
    const opts: UnitOptions = {
      ...DEFAULT_UNIT_OPTIONS,
      range: { since: null, until: null },
      maxLineBytes: 4096,
      chunkBytes: 8192,
    };
    const text = Buffer.concat([
      FACTS,
      Buffer.from(`2026-11-27 14:46:46.693 14059 DEBUG x [-] image_props_filter ${'y'.repeat(10_000)}\n`),
      FACTS,
      Buffer.from('2026-11-27 14:46:46.693 14059 DEBUG x [-] image_props_filter \u0000 nul\n'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from(' image_props_filter bad utf-8\n'),
      FACTS,
    ]);
    const file = join(dir, 'mixed.log');
    writeFileSync(file, text);
    const unit = { id: 3, input: 0, file, kind: 'range' as const, start: 0, end: text.length };
    const direct = await scanRangeUnit(unit, opts, { sink: interpretingSink });
    const recorded = await scanRangeUnit(unit, opts, { sink: recordingSink });
    expect(recorded.events).toEqual([]);
    expect(recorded.deferred?.count).toBeGreaterThan(0);
    const later = await interpretDeferred(recorded, unit, opts);
    expect(later).toEqual(direct);
    expect(direct.events.length).toBeGreaterThan(0);
    expect(direct.warnings.map((w) => w.message)).toEqual([
      expect.stringMatching(/line longer than 4096 bytes/),
      expect.stringMatching(/NUL/),
      expect.stringMatching(/UTF-8/),
    ]);
  });

  it('gives the event loop turns while it interprets a big unit', async () => {
    const opts: UnitOptions = { ...DEFAULT_UNIT_OPTIONS, range: { since: null, until: null } };
    const file = join(dir, 'many.log');
    const text = Buffer.concat(Array.from({ length: 3000 }, () => FACTS)); // 6000 hit lines
    writeFileSync(file, text);
    const unit = { id: 0, input: 0, file, kind: 'range' as const, start: 0, end: text.length };
    const recorded = await scanRangeUnit(unit, opts, { sink: recordingSink });
    expect(recorded.deferred?.count).toBe(6000);
    let turns = 0;
    let done = false;
    const tick = () => {
      if (done) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    const later = await interpretDeferred(recorded, unit, opts);
    done = true;
    expect(turns).toBeGreaterThanOrEqual(2);
    expect(later).toEqual(await scanRangeUnit(unit, opts, { sink: interpretingSink }));
  });
});
