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
