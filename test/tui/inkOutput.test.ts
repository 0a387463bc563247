// The frame text made again only where it changed (src/tui/inkOutput.ts) against ink's own Output.get, on sequences
// of frames that change a little from one to the next (so rows are both kept and made again): styled texts, wide
// characters, texts over several lines, writes over each other, off the screen, vertically and horizontally
// clipped, transformed, and screens that change size.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INK_VERSION,
  incrementalGet,
  inkOutputClass,
  installIncrementalOutput,
  type OutputGet,
} from '../../src/tui/inkOutput.js';

const ESC = '\u001b[';
/** Pieces of text as ink's Text makes them: plain, coloured, inverse, bold, wide, emoji, lines broken. */
const PIECES = [
  'sort: status · 78,152 instances',
  `${ESC}7m› ${ESC}27m`,
  `${ESC}31mstale${ESC}39m        `,
  `${ESC}1mSTATUS${ESC}22m`,
  'half-fixed   1c2d3e4f-0000-4000-8000-000000000001 cell1',
  '漢字のインスタンス',
  'emoji 🚀 here',
  `${ESC}32m${ESC}7mok${ESC}27m${ESC}39m`,
  'two\nlines',
  'a\nb\nc\nd',
  '',
  ' ',
  'x'.repeat(70),
  '\ttab and\u0007bell',
  `${ESC}2mdim${ESC}1mbold${ESC}22m${ESC}0m plain ${ESC}38;5;208morange${ESC}39m`,
  `${ESC}31m`,
  `${ESC}mempty ${ESC};1mparams ${ESC}1;31;7mcompound${ESC}27;39m end`,
];

type Op =
  | { type: 'write'; x: number; y: number; piece: number; transform: 0 | 1 | 2 }
  | { type: 'clip'; x1: number | null; x2: number | null; y1: number | null; y2: number | null }
  | { type: 'unclip' };

const TRANSFORMS: ((line: string, index: number) => string)[][] = [
  [],
  [(line) => `${ESC}33m${line}${ESC}39m`],
  [(line, index) => (index === 0 ? line.toUpperCase() : line)],
];

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      type: fc.constant('write' as const),
      x: fc.integer({ min: -3, max: 75 }),
      y: fc.integer({ min: -3, max: 14 }),
      piece: fc.integer({ min: 0, max: PIECES.length - 1 }),
      transform: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('clip' as const),
      x1: fc.option(fc.integer({ min: 0, max: 40 })),
      x2: fc.option(fc.integer({ min: 20, max: 80 })),
      y1: fc.option(fc.integer({ min: 0, max: 6 })),
      y2: fc.option(fc.integer({ min: 3, max: 12 })),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ type: 'unclip' as const }) },
);

/** A first frame, then each next one as a few of its operations changed, dropped or added. */
const frames = fc.record({
  first: fc.array(op, { maxLength: 30 }),
  changes: fc.array(
    fc.record({
      at: fc.nat(),
      replace: fc.option(op),
      insert: fc.option(op),
      width: fc.option(fc.constantFrom(40, 60, 80)),
      height: fc.option(fc.constantFrom(6, 10, 12)),
      // The same piece written a column or a row away, or through another transform: a row must not be kept
      // because its lines are the same.
      nudge: fc.option(
        fc.record({
          dx: fc.integer({ min: -1, max: 1 }),
          dy: fc.integer({ min: -1, max: 1 }),
          transform: fc.option(fc.constantFrom(0 as const, 1 as const, 2 as const)),
        }),
      ),
    }),
    { maxLength: 12 },
  ),
});

describe('incremental ink frame text', () => {
  it(`is written against ink ${INK_VERSION}, which is the one installed`, async () => {
    expect(await installIncrementalOutput()).toBe(true);
  });

  it("gives ink's own text for every frame of a changing screen", async () => {
    await installIncrementalOutput();
    const Output = await inkOutputClass();
    const original = Output.prototype.inkGet as OutputGet;
    expect(original).toBeTypeOf('function');
    fc.assert(
      fc.property(frames, ({ first, changes }) => {
        const get = incrementalGet(original); // a fresh memory of rows for each sequence
        let ops = first;
        let [width, height] = [60, 10];
        const check = () => {
          const output = new Output({ width, height });
          for (const o of ops) {
            if (o.type === 'write')
              output.write(o.x, o.y, PIECES[o.piece] as string, { transformers: TRANSFORMS[o.transform] ?? [] });
            else if (o.type === 'clip') {
              const clip: Record<string, number> = {};
              for (const k of ['x1', 'x2', 'y1', 'y2'] as const) if (o[k] !== null) clip[k] = o[k] as number;
              output.clip(clip);
            } else output.unclip();
          }
          expect(get.call(output)).toEqual(original.call(output));
        };
        check();
        for (const c of changes) {
          ops = [...ops];
          const at = ops.length === 0 ? 0 : c.at % ops.length;
          const nudged = ops[at];
          if (c.nudge && nudged?.type === 'write')
            // Only this change in the frame, so that nothing else makes the row again.
            ops[at] = {
              ...nudged,
              x: nudged.x + c.nudge.dx,
              y: nudged.y + c.nudge.dy,
              transform: c.nudge.transform ?? nudged.transform,
            };
          else {
            if (c.replace && ops.length > 0) ops[at] = c.replace;
            else if (!c.insert && ops.length > 0) ops.splice(at, 1);
            if (c.insert) ops.splice(at, 0, c.insert);
          }
          width = c.width ?? width;
          height = c.height ?? height;
          check();
        }
      }),
      { numRuns: 400, seed: 16 },
    );
  });

  it('keeps the rows nothing new was written to from the frame before, and makes the others', async () => {
    const Output = await inkOutputClass();
    const original = Output.prototype.inkGet ?? Output.prototype.get;
    let made = 0;
    // Counts the rows made by the widths asked of ink (each row has one character that is not ASCII).
    const get = incrementalGet(original);
    const frame = (selected: number) => {
      const output = new Output({ width: 30, height: 5 });
      const widths = output.caches.getStringWidth.bind(output.caches);
      output.caches.getStringWidth = (text: string) => {
        made++;
        return widths(text);
      };
      for (let y = 0; y < 5; y++) output.write(0, y, `${y === selected ? '>' : ' '} row ${y} ·`, { transformers: [] });
      return get.call(output).output;
    };
    frame(1);
    made = 0;
    const text = frame(2);
    expect(text.split('\n')[2]).toBe('> row 2 ·');
    expect(made).toBe(2); // rows 1 and 2 only
  });
});
