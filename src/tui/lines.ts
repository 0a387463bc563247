// Panes are built as plain data (lines of styled segments) by pure functions, then drawn by one
// component that shows only the window in view. That keeps scrolling, sanitising and wrapping in
// one place and lets the pane builders be tested without a terminal.
import { sanitize } from './sanitize.js';
import { charWidth } from './width.js';

export type Color = 'red' | 'green' | 'yellow' | 'blue' | 'magenta' | 'cyan' | 'gray' | 'white';

export interface Segment {
  text: string;
  color?: Color;
  bold?: boolean;
  dim?: boolean;
  inverse?: boolean;
}

export type Line = Segment[];

export type Style = Omit<Segment, 'text'>;

export function seg(text: string, style: Style = {}): Segment {
  return { text, ...style };
}

export function line(...segments: (Segment | string)[]): Line {
  return segments.map((s) => (typeof s === 'string' ? { text: s } : s));
}

export const blank: Line = [];

export function lineText(l: Line): string {
  return l.map((s) => s.text).join('');
}

interface Cell {
  ch: string;
  width: number;
  /** Index of the segment the character came from, for its style. */
  from: number;
}

function rowOf(cells: readonly Cell[], source: Line, prefix: string): Line {
  const row: Line = prefix ? [{ text: prefix }] : [];
  let last = -1;
  for (const c of cells) {
    const tail = row.at(-1);
    if (c.from === last && tail) tail.text += c.ch;
    else row.push({ ...source[c.from], text: c.ch });
    last = c.from;
  }
  return row;
}

/**
 * A line cut into rows of at most `width` columns, at a space when one is near the end of the row
 * (a word is only split when it is longer than half a row). Text is sanitised first, so escapes
 * count at the width they will show; continuation rows are indented by `indent`.
 */
export function wrapLine(l: Line, width: number, indent = 0): Line[] {
  const room = Math.max(1, width);
  const pad = Math.min(indent, Math.floor(room / 2));
  const cells: Cell[] = [];
  l.forEach((s, from) => {
    for (const ch of sanitize(s.text)) cells.push({ ch, width: charWidth(ch), from });
  });
  const rows: Line[] = [];
  let start = 0;
  let first = true;
  while (start < cells.length || first) {
    const avail = first ? room : room - pad;
    let used = 0;
    let end = start;
    while (end < cells.length && used + (cells[end]?.width ?? 0) <= avail) {
      used += cells[end]?.width ?? 0;
      end += 1;
    }
    if (end === start && end < cells.length) end += 1; // a character wider than the row: show it anyway
    let next = end;
    if (end < cells.length) {
      // Break after the last space in the second half of the row, and drop that space.
      for (let i = end; i > start + Math.floor((end - start) / 2); i -= 1) {
        if (cells[i]?.ch === ' ') {
          end = i;
          next = i + 1;
          break;
        }
      }
    }
    rows.push(rowOf(cells.slice(start, end), l, first ? '' : ' '.repeat(pad)));
    first = false;
    start = next;
  }
  return rows;
}
export function wrapLines(lines: readonly Line[], width: number, indent = 0): Line[] {
  return lines.flatMap((l) => wrapLine(l, width, indent));
}
