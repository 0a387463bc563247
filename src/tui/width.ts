// How many terminal columns text takes: CJK and emoji take two, combining marks none. Columns are
// padded by this, or one wide character would push every cell after it out of line.

const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

// Combining marks, the zero-width joiner and the emoji variation selector.
const ZERO_WIDTH = /^(?:\p{Mn}|\p{Me}|\u200d|\ufe0f)$/u;
const EMOJI = /^\p{Emoji_Presentation}$/u;

/** Columns one code point takes. */
export function charWidth(ch: string): number {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 0x300) return 1;
  if (ZERO_WIDTH.test(ch)) return 0;
  if (EMOJI.test(ch)) return 2;
  for (const [lo, hi] of WIDE_RANGES) if (code >= lo && code <= hi) return 2;
  return 1;
}

export function displayWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch);
  return width;
}
