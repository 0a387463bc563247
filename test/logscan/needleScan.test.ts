import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseAnchors,
  createJsScanner,
  createWasmScanner,
  makeNeedle,
  type NeedleScanner,
} from '../../src/logscan/needleScan.js';

const needles = [
  'image_props_filter',
  'Filtering removed all hosts',
  'returned 0 hosts',
  'No valid host was found',
  'abc',
].map((t) => makeNeedle(t));

/** Random log text for the kernel-vs-reference properties: separators, letters and whole needles. */
const LOG_ALPHABET = [
  '\n',
  'a',
  'b',
  'c',
  ' ',
  'image_props_filter',
  'returned 0 hosts',
  'No valid host was found',
  'Filtering removed all hosts',
];

function run(s: NeedleScanner, data: Buffer, lead = 0) {
  data.copy(s.buffer, s.dataStart + lead);
  const r = s.scan(s.dataStart + lead, s.dataStart + lead + data.length);
  return { newlines: r.newlines, hits: r.hits.map((h) => ({ ...h, at: h.at - s.dataStart - lead })) };
}

/** Random texts made of `alphabet`, placed at any of 32 alignments: the scanner finds what the reference finds. */
function agreesWithReference(
  s: NeedleScanner,
  ref: NeedleScanner,
  alphabet: string[],
  maxLength: number,
  numRuns: number,
) {
  fc.assert(
    fc.property(
      fc.array(fc.constantFrom(...alphabet), { maxLength }),
      fc.integer({ min: 0, max: 31 }),
      (parts, lead) => {
        const data = Buffer.from(parts.join(''));
        expect(run(s, data, lead)).toEqual(run(ref, data, lead));
      },
    ),
    { numRuns },
  );
}

describe.each(['strict', 'relaxed'] as const)('needle scanners (%s swizzle)', (swizzle) => {
  const wasm = createWasmScanner(needles, 1 << 16, undefined, swizzle);
  const js = createJsScanner(needles, 1 << 16);

  it('has this SIMD kernel on this runtime (relaxed SIMD: behind a V8 flag on Node 20, turned on)', () => {
    expect(wasm?.kind).toBe('wasm');
    expect(wasm?.swizzle).toBe(swizzle);
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
    agreesWithReference(wasm!, js, [...LOG_ALPHABET, 'x'], 400, 500);
  });
});

describe.each(['strict', 'relaxed'] as const)('the SIMD kernel on larger inputs (%s swizzle)', (swizzle) => {
  it('resumes when its record buffer is full and keeps exact counts across folds', () => {
    const small = createWasmScanner(needles, 1 << 20, 2, swizzle)!;
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

describe.each(['strict', 'relaxed'] as const)(
  'anchors of two bytes, %s swizzle (chosen where the log shows the pair is rare)',
  (swizzle) => {
    // Pairs that share bytes and positions with each other and with a 3-byte anchor in the same nibble
    // tables: 'ps' and 'pr' share offset 0 (and the nibble 7 of 'p'), 'l ' ends in a space like ' v'.
    const mixed = [
      makeNeedle('image_props_filter', 9, 2), // 'ps'
      makeNeedle('Filtering removed all hosts', 20, 2), // 'l '
      makeNeedle('returned 0 hosts'), // 3 bytes
      makeNeedle('No valid host was found', 2, 2), // ' v'
      makeNeedle('abc', 1, 2), // 'bc'
      makeNeedle('props', 0, 2), // 'pr'
    ];
    const wasm = createWasmScanner(mixed, 1 << 16, undefined, swizzle);
    const js = createJsScanner(mixed, 1 << 16);

    it('find exactly what the reference finds, at any alignment', () => {
      expect(mixed.map((n) => n.text.slice(n.anchor, n.anchor + (n.anchorLength ?? 3)))).toEqual([
        'ps',
        'l ',
        expect.any(String),
        ' v',
        'bc',
        'pr',
      ]);
      // Pieces of the anchors too, so that anchor hits without a needle are common.
      agreesWithReference(wasm!, js, [...LOG_ALPHABET, 'p', 'ps', 'l', 'props', ' v', 'x'], 400, 500);
    });

    it('are chosen only for pairs that are rare in the sample', () => {
      // A sample where "ps" is everywhere but "_f" never occurs outside the needle.
      const sample = Buffer.from('ps ps ps image_props_filter zzz Filtering removed all hosts\n'.repeat(200));
      const [props, removed] = chooseAnchors(['image_props_filter', 'Filtering removed all hosts'], sample);
      const anchorText = (n: typeof props) => n!.text.slice(n!.anchor, n!.anchor + (n!.anchorLength ?? 3));
      // Every pair of these needles occurs 200 times in 12 KB: far too common for 2 bytes.
      expect(props!.anchorLength).toBeUndefined();
      expect(removed!.anchorLength).toBeUndefined();
      const big = Buffer.alloc(1 << 20, 'x');
      big.write('image_props_filter Filtering removed all hosts', 1000);
      const [p2, r2] = chooseAnchors(['image_props_filter', 'Filtering removed all hosts'], big);
      expect(p2!.anchorLength).toBe(2);
      expect(r2!.anchorLength).toBe(2);
      expect(anchorText(p2)).not.toContain('x');
    });
  },
);

describe('more needles than the kernel has buckets', () => {
  // Teddy has 8 bucket bits: needles 9 and up share a bucket with earlier ones, so the tables accept
  // byte combinations that are no needle's anchor; verification must drop those, never miss a match.
  const texts = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo'];
  const many = texts.map((t) => makeNeedle(t));
  const wasm = createWasmScanner(many, 1 << 16)!;
  const js = createJsScanner(many, 1 << 16);

  it('finds exactly what the reference finds, also after switching anchors and widths', () => {
    const alphabet = [...texts, '\n', ' ', 'al', 'ki', 'lo', 'ia', 'hot', 'x'];
    const check = () => agreesWithReference(wasm, js, alphabet, 300, 300);
    check();
    // Two-byte anchors at other offsets: the kernel for width 2 is compiled, the tables rewritten.
    const pairs = texts.map((t) => makeNeedle(t, 1, 2));
    wasm.setNeedles(pairs);
    js.setNeedles(pairs);
    check();
    wasm.setNeedles(many);
    js.setNeedles(many);
    check();
  });
});
