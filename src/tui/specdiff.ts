// The request spec is one long line of JSON: a line diff would show two multi-kilobyte lines. So
// show each edit in a window of context, word-diffed, old text on one row and new on the next.
import { diffWordsWithSpace } from 'diff';
import { type Line, seg } from './lines.js';

export interface DiffHunk {
  /** Character offset of the first change in the old text. */
  offset: number;
  before: Line;
  after: Line;
}

interface Part {
  kind: 'common' | 'removed' | 'added';
  value: string;
  oldOffset: number;
}

function parts(before: string, after: string): Part[] {
  const out: Part[] = [];
  let oldOffset = 0;
  for (const change of diffWordsWithSpace(before, after)) {
    const kind = change.added ? 'added' : change.removed ? 'removed' : 'common';
    out.push({ kind, value: change.value, oldOffset });
    if (kind !== 'added') oldOffset += change.value.length;
  }
  return out;
}

function lead(text: string, context: number): Line {
  if (text.length <= context) return [seg(text)];
  return [seg('…', { dim: true }), seg(text.slice(text.length - context))];
}

function trail(text: string, context: number): Line {
  if (text.length <= context) return [seg(text)];
  return [seg(text.slice(0, context)), seg('…', { dim: true })];
}

/**
 * Hunks of a word diff with `context` characters either side; edits closer than twice the context
 * share one hunk.
 */
export function specDiffHunks(before: string, after: string, context = 40): DiffHunk[] {
  const all = parts(before, after);
  const hunks: DiffHunk[] = [];
  let i = 0;
  while (i < all.length) {
    const first = all[i];
    if (!first || first.kind === 'common') {
      i += 1;
      continue;
    }
    let j = i;
    for (; j < all.length; j += 1) {
      const p = all[j];
      if (p?.kind !== 'common') continue;
      // A short stretch of common text between two edits stays inside the hunk.
      if (p.value.length <= 2 * context && j + 1 < all.length) continue;
      break;
    }
    const prev = i > 0 ? all[i - 1] : undefined;
    const next = j < all.length ? all[j] : undefined;
    const head = prev ? lead(prev.value, context) : [];
    const tail = next ? trail(next.value, context) : [];
    const beforeLine: Line = [...head];
    const afterLine: Line = [...head];
    for (const p of all.slice(i, j)) {
      if (p.kind === 'common') {
        beforeLine.push(seg(p.value));
        afterLine.push(seg(p.value));
      } else if (p.kind === 'removed') {
        beforeLine.push(seg(p.value, { color: 'red', inverse: true }));
      } else {
        afterLine.push(seg(p.value, { color: 'green', inverse: true }));
      }
    }
    beforeLine.push(...tail);
    afterLine.push(...tail);
    hunks.push({ offset: first.oldOffset, before: beforeLine, after: afterLine });
    i = j;
  }
  return hunks;
}
