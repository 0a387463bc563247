// The scan report as JSON, written piece by piece: a report of a big log can be tens of megabytes, and
// one JSON.stringify of it would hold the whole text in memory (and twice that while writing it out).
// The output is byte for byte what JSON.stringify(report, null, indent) gives.
import type { ScanReport } from './types.js';

/**
 * Calls `write` with consecutive pieces of JSON.stringify(report, null, indent): the top-level arrays
 * are serialised one element at a time and gathered into pieces of about `pieceBytes` (one write per
 * piece, not per element: a dense report has ~10^5 elements), so no piece is much larger than that or
 * than one incident. Callers buffer or stream as they like.
 */
export function writeReportJson(
  report: ScanReport,
  emit: (piece: string) => void,
  indent = 0,
  pieceBytes = 16 << 10,
): void {
  for (const piece of reportJsonPieces(report, indent, pieceBytes)) emit(piece);
}

/** The pieces writeReportJson emits, one at a time (a writer that waits for its reader pulls them as it goes). */
export function* reportJsonPieces(report: ScanReport, indent = 0, pieceBytes = 16 << 10): Generator<string> {
  // Pieces are gathered in an array and joined once per piece (one copy), not grown by += (a rope that
  // is copied again when written).
  let parts: string[] = [];
  let pending = 0;
  const ready: string[] = [];
  const write = (s: string) => {
    parts.push(s);
    pending += s.length;
    if (pending >= pieceBytes) {
      ready.push(parts.join(''));
      parts = [];
      pending = 0;
    }
  };
  const nl = indent > 0 ? '\n' : '';
  const pad1 = ' '.repeat(indent);
  const pad2 = ' '.repeat(indent * 2);
  const sep = indent > 0 ? ': ' : ':';
  const entries = Object.entries(report).filter(([, v]) => v !== undefined && typeof v !== 'function');
  write(`{${entries.length > 0 ? nl : ''}`);
  for (let i = 0; i < entries.length; i++) {
    const [key, value] = entries[i] as [string, unknown];
    const last = i === entries.length - 1;
    write(`${pad1}${JSON.stringify(key)}${sep}`);
    if (Array.isArray(value) && value.length > 0) {
      write(`[${nl}`);
      const end = value.length - 1;
      for (let j = 0; j <= end; j++) {
        const text = JSON.stringify(value[j], null, indent) ?? 'null';
        if (indent === 0) {
          write(text);
          if (j < end) write(',');
        } else write(`${pad2}${indentLines(text, pad2)}${j < end ? ',' : ''}${nl}`);
        yield* ready.splice(0);
      }
      write(`${pad1}]`);
    } else {
      write(indentLines(JSON.stringify(value, null, indent) ?? 'null', pad1));
    }
    write(`${last ? '' : ','}${nl}`);
    yield* ready.splice(0);
  }
  write('}');
  yield* ready.splice(0);
  if (parts.length > 0) yield parts.join('');
}

/** JSON.stringify indents nested lines from column 0; shift them to where the value sits. */
function indentLines(text: string, prefix: string): string {
  return prefix === '' ? text : text.replaceAll('\n', `\n${prefix}`);
}
