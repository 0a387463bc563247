// Mutated real lines through the whole text path. Timing-free: inputs are bounded, and the property is
// "no exception, sane result"; the long-running fuzz with timing is bench/fuzz-logscan.mjs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFilterResults } from '../../src/logscan/events.js';
import { eventOfLine } from '../../src/logscan/lineEvent.js';
import { parseRecords } from '../../src/logscan/records.js';
import { parsePyLiteral } from '../../src/nova/pyLiteral.js';

const DATA = join(import.meta.dirname, 'data');
const SEEDS = [
  ...readFileSync(join(DATA, 'zed-facts.log'), 'utf8').trimEnd().split('\n'),
  ...readFileSync(join(DATA, 'conductor-facts.log'), 'utf8').trimEnd().split('\n'),
];

/** Splice, duplicate or insert the characters that matter to the parsers. */
const mutation = fc.record({
  seed: fc.integer({ min: 0, max: SEEDS.length - 1 }),
  at: fc.nat(),
  del: fc.integer({ min: 0, max: 200 }),
  ins: fc.oneof(
    fc.string({ maxLength: 30 }),
    fc.constantFrom(
      "'",
      ',',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      '=',
      '<?>',
      '[...]',
      ' ',
      "',img_hv_type='",
      "u'",
      '\\',
      ' do not match',
      ' that are not provided by the compute node supported_instances ',
    ),
  ),
  repeat: fc.integer({ min: 1, max: 50 }),
});

function mutate(m: { seed: number; at: number; del: number; ins: string; repeat: number }): string {
  const s = SEEDS[m.seed] as string;
  const at = m.at % (s.length + 1);
  return s.slice(0, at) + m.ins.repeat(m.repeat) + s.slice(at + m.del);
}

describe('fuzzed real lines', () => {
  it('eventOfLine never throws and returns a well-formed result', () => {
    fc.assert(
      fc.property(mutation, (m) => {
        const line = mutate(m);
        const r = eventOfLine(line);
        if (r) {
          expect(typeof r.header.level).toBe('string');
          if (r.event?.kind === 'props' && r.event.props) expect(typeof r.event.props.props).toBe('object');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('records and Python literals never throw', () => {
    fc.assert(
      fc.property(fc.array(mutation, { maxLength: 5 }), (ms) => {
        parseRecords(ms.map(mutate).join('\n'));
        for (const m of ms) {
          const s = mutate(m);
          parsePyLiteral(s, s.indexOf('['));
          parseFilterResults(s.slice(s.indexOf('[')));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('deeply nested or unterminated literals are refused, not recursed into', () => {
    expect(parsePyLiteral('['.repeat(100_000))).toBeNull();
    expect(parsePyLiteral(`'${'a'.repeat(100_000)}`)).toBeNull();
    expect(parsePyLiteral(`${'['.repeat(10)}1${']'.repeat(10)}`)?.end).toBe(21);
  });
});
