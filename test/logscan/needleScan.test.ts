import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createJsScanner, createWasmScanner, makeNeedle, type NeedleScanner } from '../../src/logscan/needleScan.js';

const needles = [
  'image_props_filter',
  'Filtering removed all hosts',
  'returned 0 hosts',
  'No valid host was found',
  'abc',
].map((t) => makeNeedle(t));

function run(s: NeedleScanner, data: Buffer, lead = 0) {
  data.copy(s.buffer, s.dataStart + lead);
  const r = s.scan(s.dataStart + lead, s.dataStart + lead + data.length);
  return { newlines: r.newlines, hits: r.hits.map((h) => ({ ...h, at: h.at - s.dataStart - lead })) };
}

describe('needle scanners', () => {
  const wasm = createWasmScanner(needles, 1 << 16);
  const js = createJsScanner(needles, 1 << 16);

  it('has a SIMD kernel on this runtime', () => {
    expect(wasm?.kind).toBe('wasm');
  });

  it('finds every needle with exact line numbers', () => {
    const text =
      'x\nfoo image_props_filter bar\n\nFiltering removed all hosts for\nabcabc\nNo valid host was found.\nabc';
    const data = Buffer.from(text);
    const w = run(wasm!, data);
    expect(w).toEqual(run(js, data));
    expect(w.newlines).toBe(6);
    expect(w.hits.map((h) => [needles[h.needle]!.text, h.newlinesBefore])).toEqual([
      ['image_props_filter', 1],
      ['Filtering removed all hosts', 3],
      ['abc', 4],
      ['abc', 4],
      ['No valid host was found', 5],
      ['abc', 6],
    ]);
  });

  it('agrees with the reference on random data at any alignment', () => {
    const alphabet = [
      '\n',
      'a',
      'b',
      'c',
      ' ',
      'image_props_filter',
      'returned 0 hosts',
      'No valid host was found',
      'Filtering removed all hosts',
      'x',
    ];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...alphabet), { maxLength: 400 }),
        fc.integer({ min: 0, max: 31 }),
        (parts, lead) => {
          const data = Buffer.from(parts.join(''));
          expect(run(wasm!, data, lead)).toEqual(run(js, data, lead));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('the SIMD kernel on larger inputs', () => {
  it('resumes when its record buffer is full and keeps exact counts across folds', () => {
    const small = createWasmScanner(needles, 1 << 20, 2)!;
    const js = createJsScanner(needles, 1 << 20);
    fc.assert(
      fc.property(
        fc.array(
          fc.constantFrom(
            '\n',
            'abc',
            'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz',
            '\n\n\n\n\n\n\n\n\n\n\n\n',
          ),
          {
            minLength: 200,
            maxLength: 3000,
          },
        ),
        (parts) => {
          const data = Buffer.from(parts.join(''));
          expect(run(small, data)).toEqual(run(js, data));
        },
      ),
      { numRuns: 40 },
    );
  });
});
