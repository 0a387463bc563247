import { describe, expect, it } from 'vitest';
import { terminalSafe, terminalSafeLine } from '../../src/terminalText.js';

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
