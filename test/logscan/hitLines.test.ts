import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HitLineScanner, type LongLine } from '../../src/logscan/hitLines.js';
import { createJsScanner, createWasmScanner, makeNeedle } from '../../src/logscan/needleScan.js';

const NEEDLES = ['image_props_filter', 'returned 0 hosts', 'No valid host was found'].map((t) => makeNeedle(t));

/** What a line-by-line reader would report. */
function reference(text: string, max: number) {
  const hits: { offset: number; line: number; text: string }[] = [];
  const long: { offset: number; line: number }[] = [];
  let offset = 0;
  const lines = text.split('\n');
  lines.forEach((l, i) => {
    const last = i === lines.length - 1;
    if (!(last && l === '')) {
      if (Buffer.byteLength(l) > max) long.push({ offset, line: i + 1 });
      else if (NEEDLES.some((n) => l.includes(n.text))) hits.push({ offset, line: i + 1, text: l });
    }
    offset += Buffer.byteLength(l) + 1;
  });
  return { hits, long, newlines: lines.length - 1 };
}

function scan(text: string, capacity: number, max: number, cuts: number[], engine: 'wasm' | 'js') {
  const s = engine === 'wasm' ? createWasmScanner(NEEDLES, capacity)! : createJsScanner(NEEDLES, capacity);
  const hits: { offset: number; line: number; text: string }[] = [];
  const long: LongLine[] = [];
  const h = new HitLineScanner(
    s,
    NEEDLES,
    (x) => hits.push({ offset: x.offset, line: x.line, text: x.bytes.toString() }),
    (l) => long.push(l),
    max,
  );
  const buf = Buffer.from(text);
  let at = 0;
  for (const c of [...cuts, buf.length]) {
    const end = Math.min(buf.length, Math.max(at, c));
    h.feed(buf.subarray(at, end));
    at = end;
  }
  h.end();
  return { hits, long: long.map(({ offset, line }) => ({ offset, line })), newlines: h.newlines };
}

const piece = fc.constantFrom(
  '\n',
  'abc ',
  'image_props_filter',
  'returned 0 hosts',
  'No valid host was found',
  'x'.repeat(50),
  'é',
);

describe('HitLineScanner', () => {
  for (const engine of ['wasm', 'js'] as const) {
    it(`${engine}: same lines, offsets and line numbers as a line-by-line reader, however the input is chunked`, () => {
      fc.assert(
        fc.property(
          fc.array(piece, { maxLength: 120 }),
          fc.array(fc.nat({ max: 3000 }), { maxLength: 12 }),
          fc.integer({ min: 64, max: 256 }),
          (parts, cuts, capacity) => {
            const text = parts.join('');
            const max = capacity * 2;
            const got = scan(
              text,
              capacity,
              max,
              [...cuts].sort((a, b) => a - b),
              engine,
            );
            const want = reference(text, max);
            expect(got.hits).toEqual(want.hits);
            expect(got.long).toEqual(want.long);
            expect(got.newlines).toBe(want.newlines);
          },
        ),
        { numRuns: 300 },
      );
    });
  }

  it('skips a line far longer than the limit without keeping it', () => {
    const text = `a\n${'y'.repeat(200_000)}image_props_filter\nimage_props_filter ok\n`;
    const got = scan(text, 4096, 8192, [], 'wasm');
    expect(got.long).toEqual([{ offset: 2, line: 2 }]);
    expect(got.hits).toEqual([
      { offset: text.indexOf('image_props_filter ok'), line: 3, text: 'image_props_filter ok' },
    ]);
  });
});
