import { describe, expect, it } from 'vitest';
import { jsonSafe, terminalSafe, terminalSafeLine } from '../../src/terminalText.js';

describe('terminalSafe', () => {
  it('escapes CSI, OSC and bell so they cannot drive the terminal', () => {
    const hostile = 'req-\x1b[2J\x1b]0;pwned\x07-x';
    const safe = terminalSafe(hostile);
    expect(safe).toBe('req-\\x1b[2J\\x1b]0;pwned\\x07-x');
    expect(safe).not.toMatch(/[\x00-\x1f]/);
  });

  it('escapes C1 controls and bidi overrides', () => {
    expect(terminalSafe('a\u009bb\u202ec')).toBe('a\\x9bb\\u{202e}c');
  });

  it('keeps ordinary text, tabs, newlines and non-ASCII names intact', () => {
    expect(terminalSafe('serveur-é 🚀\tok\nnext')).toBe('serveur-é 🚀\tok\nnext');
    expect(terminalSafeLine('a\tb\nc')).toBe('a\\tb\\nc');
  });
});

describe('invisible characters', () => {
  it('escapes zero-width, bidi marks, separators and BOM that could hide or reorder text', () => {
    for (const c of ['\u061c', '\u200b', '\u200f', '\u2028', '\u2029', '\u2060', '\u2065', '\ufeff']) {
      expect(terminalSafe(`a${c}b`)).toBe(`a\\u{${c.charCodeAt(0).toString(16)}}b`);
    }
  });
});

describe('tag characters, and JSON', () => {
  it('escapes tag characters (U+E0000-U+E007F) as code points', () => {
    expect(terminalSafe('a\u{e0001}\u{e0041}\u{e007f}b\u{e0080}')).toBe('a\\u{e0001}\\u{e0041}\\u{e007f}b\u{e0080}');
  });

  it('jsonSafe writes \\u escapes that keep the JSON valid and parse back to the same strings', () => {
    const value = { s: 'a\u0085\u009b\u007f\u202e\u2066\u200b\u{e0041}b', k: ['x\u2069'], n: 1, e: '\u001b' };
    const text = jsonSafe(JSON.stringify(value, null, 2));
    expect(text).not.toMatch(/[\u007f-\u009f\u202a-\u202e\u2066-\u2069\u200b]|\udb40/);
    expect(text).toContain('"a\\u0085\\u009b\\u007f\\u202e\\u2066\\u200b\\udb40\\udc41b"');
    expect(JSON.parse(text)).toEqual(value);
  });
});
