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
 * A table's rows as texts of `chunkRows` rows each (each row's text ending in a newline), and where each row's text
 * starts, counted as if the chunks were one text: a search is indexOf over a few dozen strings, and what the filter
 * keeps is those strings however many rows there are (a text kept per row of 100k was 100k more strings, and a
 * WeakMap's ephemerons, for every garbage collection to go through while the sweep runs). Not joined into one
 * text: at 100k rows that was a ~14 MiB string allocated at once, copying chunks that then died, right as the
 * list became whole, which set off a major collection whose pause landed on the first keys. A term has no
 * whitespace, so it never spans two rows, let alone two chunks. Made at the first search of a table, kept for its
 * next ones.
 */
export interface Packed {
  chunks: string[];
  chunkRows: number;
  starts: Int32Array;
}
const packs = new WeakMap<RowTable, Packed>();

/** Rows a chunk (a string of ~350 KiB at 100k rows: large enough for V8 to keep where scavenges do not copy it). */
export const CHUNK_ROWS = 2_000;

function packed(rows: readonly InstanceRow[]): Packed {
  const pieces = prepareInPieces(rows, CHUNK_ROWS);
  let p: Packed | null = null;
  for (const piece of pieces) p = piece() ?? p;
  return p as Packed;
}

/** A row's text (without its newline) in a packed table. */
function textOfRow(p: Packed, i: number): string {
  const chunk = Math.floor(i / p.chunkRows);
  const base = p.starts[chunk * p.chunkRows] as number;
  return (p.chunks[chunk] as string).slice((p.starts[i] as number) - base, (p.starts[i + 1] as number) - base - 1);
}

/**
 * The packed text of a table whose rows at `replaced` (ascending) took the place of `before`'s: the same object when
 * their texts did not change (a detail read again), else the chunks that hold those rows made again with their
 * texts spliced in, the others kept as they are (not the lower-casing and joining of every row, 200 ms at 100k).
 */
export function patched(before: Packed, rows: readonly InstanceRow[], replaced: readonly number[]): Packed {
  const texts = replaced.map((i) => rowText(rows[i] as InstanceRow));
  if (replaced.every((i, k) => texts[k] === textOfRow(before, i))) return before;
  const { chunkRows } = before;
  const chunks = before.chunks.slice();
  const starts = new Int32Array(before.starts.length);
  let shift = 0; // how much longer the new text is up to here
  let k = 0;
  for (let c = 0; c < chunks.length; c++) {
    const from = c * chunkRows;
    const to = Math.min(from + chunkRows, before.starts.length - 1);
    const base = before.starts[from] as number;
    const old = chunks[c] as string;
    const pieces: string[] = [];
    let copied = 0; // of the old chunk
    const shiftBefore = shift;
    for (let i = from; i < to; i++) {
      starts[i] = (before.starts[i] as number) + shift;
      if (k < replaced.length && replaced[k] === i) {
        const start = (before.starts[i] as number) - base;
        const end = (before.starts[i + 1] as number) - base - 1; // its newline stays
        const text = texts[k] as string;
        pieces.push(old.slice(copied, start), text);
        copied = end;
        shift += text.length - (end - start);
        k++;
      }
    }
    if (pieces.length > 0 || shift !== shiftBefore) {
      pieces.push(old.slice(copied));
      chunks[c] = pieces.join('');
    }
  }
  const n = before.starts.length - 1;
  starts[n] = (before.starts[n] as number) + shift;
  return { chunks, chunkRows, starts };
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

/** One chunk a piece; the last returns the whole. */
function prepareInPieces(rows: readonly InstanceRow[], chunkRows: number): (() => Packed | null)[] {
  const n = rows.length;
  const chunks: string[] = [];
  const starts = new Int32Array(n + 1);
  let at = 0;
  const pieces: (() => Packed | null)[] = [];
  for (let from = 0; from < n; from += chunkRows) {
    pieces.push(() => {
      const texts: string[] = [];
      for (let i = from; i < Math.min(n, from + chunkRows); i++) {
        const text = rowText(rows[i] as InstanceRow);
        starts[i] = at;
        at += text.length + 1;
        texts.push(text);
      }
      chunks.push(`${texts.join('\n')}\n`);
      return null;
    });
  }
  pieces.push(() => {
    starts[n] = at;
    return { chunks, chunkRows, starts };
  });
  return pieces;
}

/**
 * prepareSearch a piece at a time, a chunk of `size` rows a call (at 100k rows it is 200 ms in one piece, which a
 * key pressed just as the list became whole waited for); the last piece keeps the chunks. A search before then
 * makes them at once, and the pieces left do nothing. Each piece joins its rows' texts into its chunk at once: its
 * rows' own texts die before a scavenge can find them alive (a text kept per row until the end was 100k strings
 * that the young generation's scavenges copied, then promoted, tens of ms of collection during the first keys).
 */
export function prepareSearchInPieces(table: RowTable, size: number = CHUNK_ROWS): (() => void)[] {
  let inner: (() => Packed | null)[] | null = null; // made by the first piece that has work (a carried text leaves it none)
  const count = Math.ceil(table.size / size) + 1;
  return Array.from({ length: count }, (_, k) => () => {
    if (packs.has(table)) return;
    inner ??= prepareInPieces(table.rows, size);
    const done = (inner[k] as () => Packed | null)();
    if (done) packs.set(table, done);
  });
}

/** The row a text position is in, searching on from `row` up to `rows` (hits come in text order, mostly a row or two on). */
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

/** Which rows have the term: 1 at their index, one indexOf pass over each chunk. */
function rowsWith(packed: Packed, rows: number, term: string): Uint8Array {
  const { chunks, chunkRows, starts } = packed;
  const has = new Uint8Array(rows);
  for (let c = 0; c < chunks.length; c++) {
    const text = chunks[c] as string;
    const first = c * chunkRows;
    const last = Math.min(rows, first + chunkRows); // rows of this chunk: [first, last)
    const base = starts[first] as number;
    let row = first;
    for (let at = text.indexOf(term); at >= 0; ) {
      row = rowAt(starts, at + base, row, last);
      has[row] = 1;
      if (row + 1 >= last) break; // one hit a row is enough: search on from the next one
      at = text.indexOf(term, (starts[row + 1] as number) - base);
    }
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
    for (let k = 0; k < among.length; k++) {
      const i = among[k] as number;
      const own = textOfRow(p, i);
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
