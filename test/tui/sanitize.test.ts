import { describe, expect, it } from 'vitest';
import { safe, sanitize } from '../../src/tui/sanitize.js';

describe('sanitize', () => {
  it('keeps ordinary text, including non-ASCII, as it is', () => {
    const text = "req-57bf0b4e compute-1 ImageMetaProps(img_hv_type='xen') Zürich 東京 🙂";
    expect(sanitize(text)).toBe(text);
  });

  it('turns escape sequences into visible text, so no ESC byte reaches the terminal', () => {
    const out = sanitize('req-\u001b[2J\u001b]0;pwned\u0007\u001b]52;c;Y2F0\u0007');
    expect(out).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    expect(out).toBe('req-\\x1b[2J\\x1b]0;pwned\\x07\\x1b]52;c;Y2F0\\x07');
  });

  it('escapes C1 controls (a lone CSI is 0x9b) and DEL', () => {
    expect(sanitize('a\u009b31mb\u007fc')).toBe('a\\x9b31mb\\x7fc');
  });

  it('escapes bidi overrides, isolates and marks that make text read differently than it is stored', () => {
    expect(sanitize('compute-\u202enex\u202c')).toBe('compute-\\u{202e}nex\\u{202c}');
    expect(sanitize('a\u2066b\u2069\u200fc\u061c')).toBe('a\\u{2066}b\\u{2069}\\u{200f}c\\u{61c}');
  });

  it('escapes invisible characters that would break one row per line', () => {
    expect(sanitize('a\u2028b\u200bc\ufeff')).toBe('a\\u{2028}b\\u{200b}c\\u{feff}');
  });

  it('keeps a value on one row: newlines, carriage returns and tabs are shown, not obeyed', () => {
    expect(sanitize('line one\r\nline two\tend')).toBe('line one\\x0d\\nline two\\tend');
  });

  it('is idempotent, so sanitising twice shows the same text', () => {
    const once = sanitize('x\u001b[31my\u202e\n');
    expect(sanitize(once)).toBe(once);
  });

  it('safe() shows absent values as a placeholder', () => {
    expect(safe(null)).toBe('-');
    expect(safe(undefined, '')).toBe('');
    expect(safe(42)).toBe('42');
    expect(safe('\u001b')).toBe('\\x1b');
  });
});
