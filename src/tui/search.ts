// What `/` matches against, and the search of a whole table for it. Pure: the packed text is a WeakMap entry on
// the immutable table.
import type { InstanceRow } from '../doctor/types.js';
import type { RowTable } from './rows.js';

/** Everything `/` matches against, lower-cased, one field a line (a term, which has no space, stays in one field). */
export function rowText(view: InstanceRow): string {
  let text = `${view.uuid}\n${view.status}\n${view.displayName ?? ''}\n${view.cellName ?? ''}`;
  const incident = view.incident;
  if (incident) {
    for (const id of incident.requestIds) text += `\n${id}`;
    for (const host of incident.hostsRejected) text += `\n${host}`;
    for (const m of incident.mismatches) text += `\n${m.property}=${m.value}`;
  }
  return text.toLowerCase();
}

export function termsOf(filter: string): string[] {
  return filter.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Every space-separated term must appear somewhere in the instance's fields. */
export function matchesFilter(view: InstanceRow, filter: string): boolean {
  const text = rowText(view);
  return termsOf(filter).every((t) => text.includes(t));
}

/**
 * A table's rows as one text, the rows' texts one after another (each ending in a newline), and where each row's
 * starts: a search is indexOf over one string, and what the filter keeps is one string however many rows there
 * are (a text kept per row of 100k was 100k more strings, and a WeakMap's ephemerons, for every garbage
 * collection to go through while the sweep runs). Made at the first search of a table, kept for its next ones.
 */
export interface Packed {
  text: string;
  starts: Int32Array;
}
const packs = new WeakMap<RowTable, Packed>();

function packed(rows: readonly InstanceRow[]): Packed {
  const starts = new Int32Array(rows.length + 1);
  const texts: string[] = new Array(rows.length);
  let at = 0;
  for (let i = 0; i < rows.length; i++) {
    const text = rowText(rows[i] as InstanceRow);
    starts[i] = at;
    texts[i] = text;
    at += text.length + 1;
  }
  starts[rows.length] = at;
  return { text: `${texts.join('\n')}\n`, starts };
}

/**
 * The packed text of a table whose rows at `replaced` (ascending) took the place of `before`'s: the same object when
 * their texts did not change (a detail read again), else the old text with those rows' texts spliced in, which is
 * copying, not the lower-casing and joining of every row (200 ms at 100k).
 */
export function patched(before: Packed, rows: readonly InstanceRow[], replaced: readonly number[]): Packed {
  const texts = replaced.map((i) => rowText(rows[i] as InstanceRow));
  const same = replaced.every(
    (i, k) => texts[k] === before.text.slice(before.starts[i] as number, (before.starts[i + 1] as number) - 1),
  );
  if (same) return before;
  const pieces: string[] = [];
  const starts = new Int32Array(before.starts.length);
  let copied = 0; // of the old text
  let shift = 0; // how much longer the new text is up to here
  let k = 0;
  for (let i = 0; i < before.starts.length; i++) {
    starts[i] = (before.starts[i] as number) + shift;
    if (k < replaced.length && replaced[k] === i) {
      const start = before.starts[i] as number;
      const end = (before.starts[i + 1] as number) - 1; // its newline stays
      const text = texts[k] as string;
      pieces.push(before.text.slice(copied, start), text);
      copied = end;
      shift += text.length - (end - start);
      k++;
    }
  }
  pieces.push(before.text.slice(copied));
  return { text: pieces.join(''), starts };
}

export function packedOf(table: RowTable): Packed {
  let p = packs.get(table);
  if (!p) {
    p = packed(table.rows);
    packs.set(table, p);
  }
  return p;
}

/**
 * Takes over the packed text of the table this one replaced rows of, if it was made (patched where the rows'
 * texts changed). Call it while that table is still about.
 */
export function carrySearch(table: RowTable): void {
  const from = table.replacementOf();
  const before = from && packs.get(from.table);
  if (!from || !before || packs.has(table)) return;
  packs.set(table, patched(before, table.rows, from.replaced));
}

/**
 * Makes the table's packed text now (when the list has settled and the operator has not typed yet), so the first
 * `/` keystroke over 100k rows does not wait for it.
 */
export function prepareSearch(table: RowTable): void {
  packedOf(table);
}

/**
 * prepareSearch a piece at a time, `size` rows a call (at 100k rows it is 200 ms in one piece, which a key pressed
 * just as the list became whole waited for); the last piece keeps the text. A search before then makes it at once.
 * Each piece joins its rows' texts into one string at once: its rows' own texts die before a scavenge can find them
 * alive (a text kept per row until the end was 100k strings that the young generation's scavenges copied, then
 * promoted, tens of ms of collection during the first keys), and a piece's text of ~1,000 rows is large enough for
 * V8 to keep it where scavenges do not copy it.
 */
export function prepareSearchInPieces(table: RowTable, size: number): (() => void)[] {
  const n = table.size;
  const chunks: string[] = []; // a piece's rows' texts, each followed by a newline
  let starts: Int32Array | null = null; // made by the first piece that has work (a carried text leaves it none)
  let at = 0;
  const pieces: (() => void)[] = [];
  for (let from = 0; from < n; from += size) {
    pieces.push(() => {
      if (packs.has(table)) return;
      starts ??= new Int32Array(n + 1);
      const texts: string[] = [];
      for (let i = from; i < Math.min(n, from + size); i++) {
        const text = rowText(table.rows[i] as InstanceRow);
        starts[i] = at;
        at += text.length + 1;
        texts.push(text);
      }
      chunks.push(`${texts.join('\n')}\n`);
    });
  }
  pieces.push(() => {
    if (packs.has(table) || starts === null) return;
    starts[n] = at;
    packs.set(table, { text: chunks.join(''), starts });
  });
  return pieces;
}

/** The row a text position is in, searching on from `row` (hits come in text order, mostly a row or two on). */
function rowAt(starts: Int32Array, at: number, row: number, rows: number): number {
  // Gallop to a bracket, then halve it.
  let lo = row;
  let step = 1;
  let hi = row + step;
  while (hi < rows && (starts[hi] as number) <= at) {
    lo = hi;
    step *= 2;
    hi = lo + step;
  }
  hi = Math.min(hi, rows) - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if ((starts[mid] as number) <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Which rows have the term: 1 at their index, over the whole text (one indexOf pass). */
function rowsWith(packed: Packed, rows: number, term: string): Uint8Array {
  const { text, starts } = packed;
  const has = new Uint8Array(rows);
  let row = 0;
  for (let at = text.indexOf(term); at >= 0; at = text.indexOf(term, starts[row + 1])) {
    row = rowAt(starts, at, row, rows);
    has[row] = 1;
    if (row + 1 >= rows) break; // one hit a row is enough: search on from the next one
  }
  return has;
}

/**
 * Which rows of a table have every term: 1 at their index. `among`: the only rows that can (the rows a shorter
 * filter kept); when they are few, each one's own text is searched instead of the whole table's.
 */
export function matchingRows(table: RowTable, terms: readonly string[], among: ArrayLike<number> | null): Uint8Array {
  const n = table.size;
  const p = packedOf(table);
  if (among !== null && among.length * 8 <= n) {
    const match = new Uint8Array(n);
    const { text, starts } = p;
    for (let k = 0; k < among.length; k++) {
      const i = among[k] as number;
      const own = text.slice(starts[i] as number, starts[i + 1] as number);
      if (terms.every((t) => own.includes(t))) match[i] = 1;
    }
    return match;
  }
  let match: Uint8Array | null = null;
  if (among !== null) {
    match = new Uint8Array(n);
    for (let k = 0; k < among.length; k++) match[among[k] as number] = 1;
  }
  for (const term of terms) {
    const has = rowsWith(p, n, term);
    if (match) for (let i = 0; i < n; i++) match[i] = (match[i] as number) & (has[i] as number);
    else match = has;
  }
  return match ?? new Uint8Array(n).fill(1);
}
