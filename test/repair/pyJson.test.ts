import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { parse as losslessParse } from 'lossless-json';
import { describe, expect, it } from 'vitest';
import { type PyJsonValue, pyDumps, pyDumpsString, pyFloatRepr } from '../../src/repair/pyJson.js';

interface Cases {
  strings: { value_json_ascii: string; python: string }[];
  floats: { repr: string; python: string }[];
  documents: string[];
}
const cases = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'pyjson-cases.json'), 'utf8')) as Cases;

function pyNumberFromRepr(repr: string): number {
  if (repr === 'nan') return Number.NaN;
  if (repr === 'inf') return Number.POSITIVE_INFINITY;
  if (repr === '-inf') return Number.NEGATIVE_INFINITY;
  return Number(repr);
}

describe('pyDumpsString', () => {
  it('matches Python json.dumps for every generated string', () => {
    expect(cases.strings.length).toBeGreaterThan(200);
    for (const c of cases.strings) {
      const value = JSON.parse(c.value_json_ascii) as string;
      expect(pyDumpsString(value), c.python).toBe(c.python);
    }
  });

  it('escapes DEL and uses lower-case hex and surrogate pairs', () => {
    expect(pyDumpsString('\u007f')).toBe('"\\u007f"');
    expect(pyDumpsString('qému')).toBe('"q\\u00e9mu"');
    expect(pyDumpsString('🚀')).toBe('"\\ud83d\\ude80"');
  });

  it('always yields printable ASCII that JSON.parse reads back to the same string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const out = pyDumpsString(s);
        expect(/^[\x20-\x7e]*$/.test(out)).toBe(true);
        expect(JSON.parse(out)).toBe(s);
      }),
    );
  });
});

describe('pyFloatRepr', () => {
  it('matches Python repr/json.dumps for every generated float', () => {
    expect(cases.floats.length).toBeGreaterThan(400);
    for (const c of cases.floats) {
      expect(pyFloatRepr(pyNumberFromRepr(c.repr)), c.repr).toBe(c.python);
    }
  });
});

describe('pyDumps', () => {
  it('re-serialises Python-written documents byte for byte when numbers are kept lossless', () => {
    for (const doc of cases.documents) {
      expect(pyDumps(losslessParse(doc) as PyJsonValue)).toBe(doc);
    }
  });

  it('uses Python separators and keeps insertion order', () => {
    expect(pyDumps({ b: [1, 2], a: { c: null, d: true }, e: [], f: {} })).toBe(
      '{"b": [1, 2], "a": {"c": null, "d": true}, "e": [], "f": {}}',
    );
  });

  it('writes integral JS numbers as ints and others as Python floats', () => {
    expect(pyDumps([0, 5, -3, 2 ** 60, 1e21, 0.5, 1e-7, 1.5e-300])).toBe(
      '[0, 5, -3, 1152921504606846976, 1000000000000000000000, 0.5, 1e-07, 1.5e-300]',
    );
  });

  it('refuses values JSON cannot hold', () => {
    expect(() => pyDumps(undefined as unknown as PyJsonValue)).toThrow(/cannot serialise/);
  });
});
